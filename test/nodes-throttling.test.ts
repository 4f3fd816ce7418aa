import assert from 'node:assert/strict';
import appsyncNodes = require('../src/nodes');
import type { Emulator } from '../src/emulator';
import { API_KEY } from './support/fixtures';
import { collect, helper, nodeRedVersion, type FlowNode } from './support/node-red';
import { emulatorForFlows } from './support/runtime';
import { waitFor } from './support/wait';

// Publishing within AppSync's quota (quoted as 25 publish requests per second per connection, protocol.md §6):
// the emulator enforces it; the endpoint paces to `publishRate` and the Coalesce option fills each request with 5 events, or,
// unpaced, retries what is throttled. Either way no message reaches Catch.

const TAB = { id: 'tab', type: 'tab', label: 'quota' };
const QUOTA = 25;

function flow(emulator: Emulator, publishRate: number, requestTimeout: number): FlowNode[] {
  return [
    { id: 'auth', type: 'events-authorizer', authType: 'apiKey' },
    { id: 'ep', type: 'events-endpoint', url: emulator.httpUrl, authorizer: 'auth', requestTimeout, publishRate },
    { id: 'p', type: 'events-publish', z: 'tab', endpoint: 'ep', channel: 'default/quota', channelType: 'str', transport: 'websocket', coalesce: true, coalesceMs: 5, wires: [['out']] },
    { id: 'out', type: 'helper', z: 'tab' },
    { id: 'catch', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

describe(`Node-RED ${nodeRedVersion}: publishing within AppSync's quota`, function () {
  this.timeout(60_000);
  const emulator = emulatorForFlows({ publishRequestsPerSecond: QUOTA });

  async function burst(publishRate: number, messages: number, requestTimeout = 15): Promise<{ accepted: number[]; order: number[]; caught: unknown[] }> {
    const accepted: number[] = [];
    const order: number[] = [];
    emulator().events.on('published', (_c, events) => {
      for (const e of events) {
        accepted.push(performance.now());
        order.push((JSON.parse(e) as { n: number }).n);
      }
    });
    await helper.load(appsyncNodes, [TAB, ...flow(emulator(), publishRate, requestTimeout)], { auth: { apiKey: API_KEY } });
    const out = collect(helper.getNode('out'));
    const caught = collect(helper.getNode('caught'));
    for (let n = 0; n < messages; n++) helper.getNode('p').receive({ payload: { n } });
    await waitFor(() => out.length + caught.length === messages, `every message answered (${out.length + caught.length})`, 40_000);
    return { accepted, order, caught: caught.map((m) => m.error) };
  }

  it('paced to the quota with Coalesce on, carries at least 90 % of quota × 5 events per second, with no error', async () => {
    const { accepted, caught } = await burst(QUOTA, 500);
    assert.deepEqual(caught, []);
    const seconds = (accepted.at(-1)! - accepted[0]!) / 1000;
    const rate = (accepted.length - 5) / seconds;
    assert.ok(rate >= 0.9 * QUOTA * 5, `${Math.round(rate)} events/s accepted, quota × 5 = ${QUOTA * 5}`);
  });

  it('unpaced, every throttled request is retried, past a request timeout of 1 s: all delivered, in order, nothing in Catch', async () => {
    // 60 requests at 25 a second take 2.4 s: before issue 18, those still throttled at 1 s went to Catch, and
    // throttled requests retried on timers of their own went out of order.
    const { order, caught } = await burst(0, 300, 1);
    assert.deepEqual(caught, []);
    assert.deepEqual(order, Array.from({ length: 300 }, (_, n) => n));
  });
});
