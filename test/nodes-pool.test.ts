import assert from 'node:assert/strict';
import appsyncNodes = require('../src/nodes');
import { API_KEY } from './support/fixtures';
import { catchAll, collect, helper, nodeRedVersion, statusTexts, type FlowNode } from './support/node-red';
import { emulatorForFlows } from './support/runtime';
import { waitFor } from './support/wait';
import { subscriptionStatus, type Translate } from '../src/nodes/status';
import messages from '../src/editor/locales/en-US.json';

/** The pack's English catalogue, as Node-RED fills it in (`__name__` placeholders). */
const inWords: Translate = (key, subs = {}) => {
  const text = key.split('.').reduce<unknown>((node, part) => (typeof node === 'object' && node !== null ? Reflect.get(node, part) : undefined), messages);
  return String(text).replace(/__(\w+)__/g, (_, name: string) => String(subs[name]));
};

// A gateway beyond one connection's quotas, against an AppSync stand-in that allows 100 subscriptions and 25 publish
// requests per second per connection: one endpoint holds them all, and nothing reaches Catch.

const TAB = { id: 'tab', type: 'tab', label: 'pool' };
const endpoint = (url: string, settings: Record<string, unknown> = {}): FlowNode[] => [
  { id: 'auth', type: 'events-authorizer', authType: 'apiKey' },
  { id: 'ep', type: 'events-endpoint', url, authorizer: 'auth', reconnectBaseDelay: 0.02, reconnectMaxDelay: 0.2, ...settings },
];

describe(`Node-RED ${nodeRedVersion}: many channels and high rates on one endpoint`, function () {
  this.timeout(60_000);
  const emulator = emulatorForFlows({ maxSubscriptionsPerConnection: 100, publishRequestsPerSecond: 25 });

  it('one dynamic subscribe node on 500 channels: all subscribed on 5 connections, each event once, all made again after a drop', async () => {
    const flow = [
      TAB,
      ...endpoint(emulator().httpUrl),
      { id: 's', type: 'events-subscribe', z: 'tab', endpoint: 'ep', channel: '', channelType: 'str', output: 'json', stateOutput: true, wires: [['s-out'], ['s-state']] },
      { id: 's-out', type: 'helper', z: 'tab' },
      { id: 's-state', type: 'helper', z: 'tab' },
      ...catchAll,
    ];
    await helper.load(appsyncNodes, flow, { auth: { apiKey: API_KEY } });
    const out = collect(helper.getNode('s-out'));
    const states = collect(helper.getNode('s-state'));
    const caught = collect(helper.getNode('caught'));
    const channels = Array.from({ length: 500 }, (_, i) => `default/device-${i}`);
    helper.getNode('s').receive({ action: 'subscribe', topic: channels });
    const count = (state: string) => states.filter((m) => (m.payload as { state: string }).state === state).length;
    await waitFor(() => count('subscribed') === 500, '500 subscribed', 20_000);
    assert.deepEqual(caught, [], 'no MaxSubscriptionsReachedError in Catch');
    assert.equal(emulator().stats().subscriptions, 500);
    assert.equal(emulator().stats().openConnections, 5);
    // The helper's runtime has no message catalogue: the status is its key here; in the editor's words it reads
    // "subscribed (500) on 5 connections" (checked below with the pack's catalogue).
    await waitFor(() => statusTexts(helper.getNode('s')).at(-1) === 'appsync.status.on-connections', 'the status');
    assert.equal(subscriptionStatus({ status: 'connected' }, Array.from({ length: 500 }, () => ({ status: 'subscribed' as const })), inWords, 5).text, 'subscribed (500) on 5 connections');

    channels.forEach((c, i) => emulator().publish(c, [String(i)]));
    await waitFor(() => out.length === 500, 'an event on each channel');
    assert.deepEqual(new Set(out.map((m) => m.topic)), new Set(channels.map((c) => `/${c}`)), 'each channel once');

    emulator().faults.dropConnections();
    await waitFor(() => count('resubscribed') === 500, 'all 500 made again', 20_000);
    channels.forEach((c, i) => emulator().publish(c, [String(i)]));
    await waitFor(() => out.length === 1000, 'an event on each channel after the drop');

    helper.getNode('s').receive({ action: 'getStats' });
    await waitFor(() => out.some((m) => m.topic === 'stats'), 'the stats');
    const stats = out.find((m) => m.topic === 'stats')!.payload as { connections: Array<{ subscriptions: number; state: string }> };
    assert.deepEqual(stats.connections.map((c) => [c.state, c.subscriptions]), Array.from({ length: 5 }, () => ['connected', 100]));
    assert.deepEqual(caught, []);
  });

  for (const queueStore of ['memory', 'file'] as const) {
    it(`a burst of 2,500 events on 10 channels through a publish node with Coalesce, ${queueStore} store: all accepted over up to 4 connections, in order per channel, none in Catch`, async () => {
      const flow = [
        TAB,
        ...endpoint(emulator().httpUrl, { publishRate: 25, queueStore }),
        { id: 'p', type: 'events-publish', z: 'tab', endpoint: 'ep', channel: '', channelType: 'str', transport: 'websocket', coalesce: true, coalesceMs: 10, wires: [['p-out']] },
        { id: 'p-out', type: 'helper', z: 'tab' },
        ...catchAll,
      ];
      await helper.load(appsyncNodes, flow, { auth: { apiKey: API_KEY } });
      const published = collect(helper.getNode('p-out'));
      const caught = collect(helper.getNode('caught'));
      const received = new Map<string, number[]>();
      emulator().events.on('published', (channel, events) => received.set(channel, [...(received.get(channel) ?? []), ...events.map(Number)]));
      for (let n = 0; n < 250; n++) for (let c = 0; c < 10; c++) helper.getNode('p').receive({ topic: `default/line-${c}`, payload: n });
      await waitFor(() => published.length + caught.length === 2500, 'every message answered', 40_000);
      assert.deepEqual(caught, []);
      for (let c = 0; c < 10; c++) assert.deepEqual(received.get(`/default/line-${c}`), Array.from({ length: 250 }, (_, n) => n), `line-${c} in order`);
      assert.ok(emulator().stats().totalConnections > 1 && emulator().stats().totalConnections <= 4, `${emulator().stats().totalConnections} connections`);
    });
  }
});
