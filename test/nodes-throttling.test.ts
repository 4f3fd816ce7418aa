import assert from 'node:assert/strict';
import appsyncNodes = require('../src/nodes');
import type { Emulator } from '../src/emulator';
import { API_KEY } from './support/fixtures';
import { collect, helper, nodeRedVersion, type FlowNode } from './support/node-red';
import { emulatorForFlows } from './support/runtime';
import { waitFor } from './support/wait';

// Publishing above AppSync's quota (quoted as 25 publish requests per second per connection, protocol.md §6): the
// emulator enforces it, and unpaced, the endpoint retries what is throttled, in order, with nothing in Catch. Paced to
// the quota, the throughput with Coalesce is a figure of test/chaos/faults.chaos.ts.

const TAB = { id: 'tab', type: 'tab', label: 'quota' };
const QUOTA = 25;

function flow(emulator: Emulator, requestTimeout: number): FlowNode[] {
  return [
    { id: 'auth', type: 'events-authorizer', authType: 'apiKey' },
    { id: 'ep', type: 'events-endpoint', url: emulator.httpUrl, authorizer: 'auth', requestTimeout },
    { id: 'p', type: 'events-publish', z: 'tab', endpoint: 'ep', channel: 'default/quota', channelType: 'str', transport: 'websocket', coalesce: true, coalesceMs: 5, wires: [['out']] },
    { id: 'out', type: 'helper', z: 'tab' },
    { id: 'catch', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

describe(`Node-RED ${nodeRedVersion}: publishing above AppSync's quota`, function () {
  this.timeout(60_000);
  const emulator = emulatorForFlows({ publishRequestsPerSecond: QUOTA });

  /** Sends `messages` numbered messages unpaced; what the service accepted, in order, and what reached Catch. */
  async function burst(messages: number, requestTimeout: number): Promise<{ order: number[]; caught: unknown[] }> {
    const order: number[] = [];
    emulator().events.on('published', (_c, events) => order.push(...events.map((e) => (JSON.parse(e) as { n: number }).n)));
    await helper.load(appsyncNodes, [TAB, ...flow(emulator(), requestTimeout)], { auth: { apiKey: API_KEY } });
    const out = collect(helper.getNode('out'));
    const caught = collect(helper.getNode('caught'));
    for (let n = 0; n < messages; n++) helper.getNode('p').receive({ payload: { n } });
    await waitFor(() => out.length + caught.length === messages, 'every message answered', 40_000);
    return { order, caught: caught.map((m) => m.error) };
  }

  it('unpaced, every throttled request is retried, past a request timeout of 1 s: all delivered, in order, nothing in Catch', async () => {
    // 60 requests at 25 a second take 2.4 s: a publish still throttled at the request timeout is not an error, and the
    // throttled ones go out again in their order.
    const { order, caught } = await burst(300, 1);
    assert.deepEqual(caught, []);
    assert.deepEqual(order, Array.from({ length: 300 }, (_, n) => n));
  });
});
