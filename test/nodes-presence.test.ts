import assert from 'node:assert/strict';
import appsyncNodes = require('../src/nodes');
import { API_KEY } from './support/fixtures';
import { catchAll, collect, helper, nodeRedVersion, type FlowNode } from './support/node-red';
import { emulatorForFlows } from './support/runtime';
import { waitFor } from './support/wait';

// Presence and provenance in Node-RED against the emulator: the endpoint's birth, close and heartbeat messages, as a
// dashboard subscribed to the presence channel sees them; envelopes from a publish node unwrapped by a subscribe node.

const TAB = { id: 'tab', type: 'tab', label: 'presence' };

function endpoint(url: string, presence: Record<string, unknown> = {}): FlowNode[] {
  return [
    { id: 'auth', type: 'events-authorizer', authType: 'apiKey' },
    { id: 'ep', type: 'events-endpoint', url, authorizer: 'auth', reconnectBaseDelay: 0.02, reconnectMaxDelay: 0.2, sourceId: 'gateway-1', ...presence },
  ];
}

describe(`Node-RED ${nodeRedVersion}: presence and provenance`, () => {
  const emulator = emulatorForFlows();

  /** Every presence message the emulator accepted, in order: what a dashboard subscribed to the channel gets. */
  function watchPresence(): unknown[] {
    const seen: unknown[] = [];
    emulator().events.on('published', (channel, events) => {
      if (channel === '/default/presence') seen.push(...events.map((e) => JSON.parse(e) as unknown));
    });
    return seen;
  }

  it('birth after connecting, once the subscriptions are made, and again after a drop; close on msg.action disconnect, on redeploy and when Node-RED stops', async () => {
    const seen = watchPresence();
    const flow = [
      TAB,
      ...endpoint(emulator().httpUrl, { birthChannel: 'default/presence', closeChannel: 'default/presence' }),
      { id: 's', type: 'events-subscribe', z: 'tab', endpoint: 'ep', channel: 'default/presence', channelType: 'str', output: 'json', wires: [['s-out']] },
      { id: 's-out', type: 'helper', z: 'tab' },
    ];
    await helper.load(appsyncNodes, flow, { auth: { apiKey: API_KEY } });
    const own = collect(helper.getNode('s-out'));
    await waitFor(() => seen.length === 1, 'the birth message');
    assert.deepEqual(seen, [{ src: 'gateway-1', status: 'online' }]);
    // Sent once the node's own subscription was made: the gateway's subscriber hears its birth too.
    await waitFor(() => own.length === 1, 'the birth message on the gateway subscription');

    emulator().faults.dropConnections();
    await waitFor(() => seen.length === 2, 'the birth message after the drop');
    await waitFor(() => own.length === 2, 'heard again by the gateway subscription, made again first');
    assert.deepEqual(seen[1], { src: 'gateway-1', status: 'online' });

    helper.getNode('s').receive({ action: 'disconnect' });
    await waitFor(() => seen.length === 3, 'the close message');
    assert.deepEqual(seen[2], { src: 'gateway-1', status: 'offline' });
    await waitFor(() => emulator().stats().openConnections === 0, 'the gateway connection closed');

    helper.getNode('s').receive({ action: 'connect' });
    await waitFor(() => seen.length === 4, 'birth after connect');
    // A redeploy that changes the endpoint: the old one says goodbye before its socket closes, the new one is born.
    await helper.setFlows(flow.map((n) => (n.id === 'ep' ? { ...n, closePayload: '{"bye":1}' } : n)), 'nodes', { auth: { apiKey: API_KEY } });
    await waitFor(() => seen.length === 6, 'close, then birth, on redeploy');
    await helper.unload();
    await waitFor(() => seen.length === 7, 'the close message when the flow stops');
    assert.deepEqual(seen.slice(3), [
      { src: 'gateway-1', status: 'online' },
      { src: 'gateway-1', status: 'offline' },
      { src: 'gateway-1', status: 'online' },
      { bye: 1 },
    ]);
  });

  it('connects at deploy with a birth channel and no flow node, repeats it as a heartbeat, with the payload given', async () => {
    const seen = watchPresence();
    const flow = [TAB, ...endpoint(emulator().httpUrl, { birthChannel: 'default/presence', birthPayload: '{"gateway":"line-3","up":true}', heartbeatInterval: 0.05 })];
    await helper.load(appsyncNodes, flow, { auth: { apiKey: API_KEY } });
    await waitFor(() => seen.length >= 3, 'birth and two heartbeats');
    assert.deepEqual(new Set(seen.map((e) => JSON.stringify(e))), new Set(['{"gateway":"line-3","up":true}']));
  });

  it('envelopes: a wildcard subscriber gets the data, the real channel as msg.topic, id, src, seq, ts and gap; repeats are dropped, gaps counted', async () => {
    const flow = [
      TAB,
      ...endpoint(emulator().httpUrl),
      { id: 'p', type: 'events-publish', z: 'tab', endpoint: 'ep', channel: '', channelType: 'str', transport: 'websocket', envelope: true, wires: [[]] },
      { id: 's', type: 'events-subscribe', z: 'tab', endpoint: 'ep', channel: 'default/*', channelType: 'str', output: 'json', stateOutput: true, wires: [['s-out'], ['s-state']] },
      { id: 's-out', type: 'helper', z: 'tab' },
      { id: 's-state', type: 'helper', z: 'tab' },
      // A second node on the same channel delivers each event once too.
      { id: 's2', type: 'events-subscribe', z: 'tab', endpoint: 'ep', channel: 'default/*', channelType: 'str', output: 'json', wires: [['s2-out']] },
      { id: 's2-out', type: 'helper', z: 'tab' },
      ...catchAll,
    ];
    await helper.load(appsyncNodes, flow, { auth: { apiKey: API_KEY } });
    await waitFor(() => emulator().stats().subscriptions === 1, 'default/*');
    const got = collect(helper.getNode('s-out'));
    const got2 = collect(helper.getNode('s2-out'));
    const states = collect(helper.getNode('s-state'));
    const caught = collect(helper.getNode('caught'));
    const before = Date.now();
    helper.getNode('p').receive({ topic: 'default/pump-1', payload: { rpm: 1200 } });
    helper.getNode('p').receive({ topic: 'default/hall/fan-2', payload: [{ rpm: 800 }, { rpm: 810 }] });
    await waitFor(() => got.length === 3 && got2.length === 3, 'three events on each node');
    assert.deepEqual(got.map((m) => [m.topic, m.payload]), [
      ['/default/pump-1', { rpm: 1200 }],
      ['/default/hall/fan-2', { rpm: 800 }],
      ['/default/hall/fan-2', { rpm: 810 }],
    ]);
    const meta = got.map((m) => m.appsync as Record<string, unknown>);
    assert.deepEqual(meta.map((a) => [a.channel, a.src, a.seq, a.gap]), [
      ['/default/*', 'gateway-1', 1, 0],
      ['/default/*', 'gateway-1', 1, 0],
      ['/default/*', 'gateway-1', 2, 0],
    ]);
    for (const a of meta) {
      assert.match(String(a.id), /^[0-9a-f-]{36}$/);
      assert.ok(typeof a.ts === 'number' && a.ts >= before && a.ts <= Date.now());
    }
    assert.equal(new Set(meta.map((a) => a.id)).size, 3);

    // The same envelope again (a resend after a crash): dropped by each node and counted. Then seq 5 after 2: two missed.
    const first = { id: meta[0]!.id, src: 'gateway-1', seq: 1, ts: meta[0]!.ts, channel: '/default/pump-1', data: { rpm: 1200 } };
    emulator().publish('/default/pump-1', [JSON.stringify(first)]);
    const skipped = { id: 'later-1', src: 'gateway-1', seq: 5, ts: Date.now(), channel: '/default/hall/fan-2', data: { rpm: 900 } };
    emulator().publish('/default/hall/fan-2', [JSON.stringify(skipped)]);
    // The event after the repeat is the fence: the repeat, published first, was dropped by then.
    await waitFor(() => got.length === 4 && got2.length === 4, 'the event after the repeat');
    assert.deepEqual([got[3]!.payload, (got[3]!.appsync as Record<string, unknown>).gap], [{ rpm: 900 }, 2]);
    const gaps = states.filter((m) => (m.payload as { state?: string }).state === 'gap');
    assert.deepEqual(gaps.map((m) => m.payload), [{ state: 'gap', channel: '/default/hall/fan-2', src: 'gateway-1', missed: 2 }]);

    helper.getNode('s').receive({ action: 'getStats' });
    await waitFor(() => got.some((m) => m.topic === 'stats'), 'the stats message');
    const report = got.find((m) => m.topic === 'stats')!.payload as { repeatsDropped: number };
    assert.equal(report.repeatsDropped, 2, 'one repeat dropped by each of the two nodes');

    // A plain event passes unchanged; so does one with only some of the fields.
    emulator().publish('/default/plain', [JSON.stringify({ id: 'x', data: 1 })]);
    await waitFor(() => got.some((m) => m.topic === '/default/*'), 'the plain event');
    assert.deepEqual(got.find((m) => m.topic === '/default/*')!.payload, { id: 'x', data: 1 });
    assert.deepEqual(caught, []);
  });
});
