import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import appsyncNodes = require('../src/nodes');
import { API_KEY } from './support/fixtures';
import { collect, helper, nextMessage, nodeRedVersion, type FlowNode } from './support/node-red';
import { emulatorForFlows } from './support/runtime';
import { waitFor } from './support/wait';

// Node-RED flows against a namespace with handlers: the README's channel stamp reaches the subscribe node, an event
// the handler fails comes back in msg.publishResult and goes to Catch, and a refused subscription is reported.

const TAB = { id: 'tab', type: 'tab', label: 'handlers' };
const dir = mkdtempSync(join(tmpdir(), 'appsync-nr-handlers-'));
const HANDLER = join(dir, 'rooms.mjs');
writeFileSync(
  HANDLER,
  `import { util } from '@aws-appsync/utils';
export function onSubscribe(ctx) { if (ctx.info.channel.segments[1] === 'staff') util.unauthorized(); }
export function onPublish(ctx) {
  return ctx.events.map(({ id, payload }) => payload === null ? { id, error: 'empty event' } : { id, payload: { ...payload, channel: ctx.info.channel.path } });
}
`,
);

function flow(url: string): FlowNode[] {
  return [
    { id: 'auth', type: 'events-authorizer', authType: 'apiKey' },
    { id: 'ep', type: 'events-endpoint', url, authorizer: 'auth' },
    { id: 'p', type: 'events-publish', z: 'tab', endpoint: 'ep', channel: '', channelType: 'str', transport: 'websocket', wires: [['p-out']] },
    { id: 'p-out', type: 'helper', z: 'tab' },
    { id: 's', type: 'events-subscribe', z: 'tab', endpoint: 'ep', channel: 'rooms/*', channelType: 'str', output: 'json', wires: [['s-out']] },
    { id: 's-out', type: 'helper', z: 'tab' },
    { id: 'staff', type: 'events-subscribe', z: 'tab', endpoint: 'ep', channel: 'rooms/staff', channelType: 'str', output: 'json', wires: [[]] },
    { id: 'catch', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

/** The handler the pack ships for real AppSync, run by the emulator as it is. */
const STAMP_CHANNEL = join(__dirname, '..', 'examples', 'handlers', 'stamp-channel.js');

describe(`Node-RED ${nodeRedVersion}: flows against a namespace with handlers`, () => {
  const emulator = emulatorForFlows({ namespaces: ['default', { name: 'rooms', codeHandlers: HANDLER }, { name: 'devices', codeHandlers: STAMP_CHANNEL }] });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('topicProperty: the channel the shipped stamp-channel.js handler stamps becomes msg.topic under a wildcard', async () => {
    const nodes: FlowNode[] = [
      ...flow(emulator().httpUrl).filter((n) => n.id !== 's' && n.id !== 'staff'),
      { id: 's', type: 'events-subscribe', z: 'tab', endpoint: 'ep', channel: 'devices/*', channelType: 'str', output: 'json', topicProperty: 'channel', wires: [['s-out']] },
    ];
    await helper.load(appsyncNodes, [TAB, ...nodes], { auth: { apiKey: API_KEY } });
    await waitFor(() => emulator().stats().subscriptions === 1, 'devices/*');
    const got = collect(helper.getNode('s-out'));
    helper.getNode('p').receive({ topic: 'devices/pump-1', payload: { rpm: 1200 } });
    helper.getNode('p').receive({ topic: 'devices/hall/fan-2', payload: { rpm: 800 } });
    // An event that is not an object cannot be stamped: it keeps the subscribed channel as its topic.
    helper.getNode('p').receive({ topic: 'devices/pump-1', payload: 42 });
    await waitFor(() => got.length === 3, 'three events');
    assert.deepEqual(got.map((m) => [m.topic, m.payload]), [
      ['/devices/pump-1', { rpm: 1200, channel: '/devices/pump-1' }],
      ['/devices/hall/fan-2', { rpm: 800, channel: '/devices/hall/fan-2' }],
      ['/devices/*', 42],
    ]);
    assert.deepEqual(got.map((m) => (m.appsync as { channel: string }).channel), ['/devices/*', '/devices/*', '/devices/*']);
  });

  it('receives the events as the handler stamped them, and reports what it refused', async () => {
    await helper.load(appsyncNodes, [TAB, ...flow(emulator().httpUrl)], { auth: { apiKey: API_KEY } });
    const caught = collect(helper.getNode('caught'));
    await waitFor(() => caught.some((m) => (m.error as { source: { id: string } }).source.id === 'staff'), 'the refused subscription');
    assert.equal((caught[0]!.error as { code: string }).code, 'Unauthorized');
    await waitFor(() => emulator().stats().subscriptions === 1, 'rooms/*');
    const received = nextMessage(helper.getNode('s-out'));
    helper.getNode('p').receive({ topic: 'rooms/lobby', payload: { text: 'hi' } });
    const m = await received;
    assert.deepEqual(m.payload, { text: 'hi', channel: '/rooms/lobby' });
    helper.getNode('p').receive({ topic: 'rooms/lobby', payload: [{ text: 'ok' }, null] });
    await waitFor(() => caught.length === 2, 'the failed event');
    const result = caught[1]!.publishResult as { status: string; failed: Array<{ index: number; message: string }> };
    assert.equal(result.status, 'partial');
    assert.deepEqual(result.failed.map((f) => [f.index, f.message]), [[1, 'empty event']]);
  });
});
