import assert from 'node:assert/strict';
import appsyncNodes = require('../../src/nodes');
import { API_KEY } from '../support/fixtures';
import { collect, helper, nodeRedVersion, type FlowNode } from '../support/node-red';
import { sleep, waitFor } from '../support/wait';
import { record } from './support/report';
import { emulatorForFlows } from '../support/runtime';

const EVENTS = 2_000;
const DROPS = 50;

// A flow publishes 2,000 numbered events while another subscribes, on one endpoint connection, and the
// emulator drops every connection 50 times at random moments. Nothing queued may be lost: publishes made
// while disconnected wait in the queue, and one in flight at a drop is sent again (at-least-once), after the
// subscription is renewed on the same socket. Duplicates are counted, not forbidden.
describe(`chaos: ${DROPS} abrupt drops while Node-RED ${nodeRedVersion} publishes ${EVENTS} events and subscribes`, function () {
  const current = emulatorForFlows({}, 'suite');

  it('loses nothing that was queued, keeps each publisher in order, and resubscribes after every drop', async () => {
    const emulator = current();
    const flow: FlowNode[] = [
      { id: 'tab', type: 'tab', label: 'drops' },
      { id: 'auth', type: 'events-authorizer', authType: 'apiKey' },
      { id: 'ep', type: 'events-endpoint', url: emulator.httpUrl, authorizer: 'auth', reconnectBaseDelay: 0.01, reconnectMaxDelay: 0.05, requestTimeout: 10, queueSize: 5000 },
      { id: 'pub', type: 'events-publish', z: 'tab', endpoint: 'ep', channel: 'default/numbers', transport: 'websocket', wires: [['pubout']] },
      { id: 'pubout', type: 'helper', z: 'tab' },
      { id: 'sub', type: 'events-subscribe', z: 'tab', endpoint: 'ep', channel: 'default/numbers', wires: [['got']] },
      { id: 'got', type: 'helper', z: 'tab' },
      { id: 'catch', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab' },
    ];
    await helper.load(appsyncNodes, flow, { auth: { apiKey: API_KEY } });
    const got = collect(helper.getNode('got'));
    const pubOut = collect(helper.getNode('pubout'));
    const caught = collect(helper.getNode('caught'));
    await waitFor(() => emulator.stats().subscriptions === 1, 'the subscription');
    const connectionsBefore = emulator.stats().totalConnections;

    let drops = 0;
    const dropping = (async () => {
      while (drops < DROPS) {
        await sleep(20 + Math.random() * 80);
        // A drop counts only when there is a connection to drop.
        if (emulator.stats().openConnections === 0) continue;
        emulator.faults.dropConnections();
        drops++;
      }
    })();
    const pub = helper.getNode('pub');
    for (let n = 0; n < EVENTS; n++) {
      pub.receive({ payload: n });
      if (n % 10 === 9) await sleep(2);
    }
    await dropping;
    await waitFor(() => pubOut.length + caught.length >= EVENTS, `every publish settled (${pubOut.length} ok, ${caught.length} caught)`, 60_000);
    // A dropped socket's close event comes a moment later: wait for a new connection per drop, then the subscription.
    await waitFor(() => emulator.stats().totalConnections - connectionsBefore >= drops && emulator.stats().subscriptions === 1, 'a reconnect and resubscription after every drop', 10_000);
    await waitFor(() => new Set(got.map((m) => m.payload)).size >= EVENTS, `every event received (${new Set(got.map((m) => m.payload)).size})`, 10_000).catch(() => {});

    const received = got.map((m) => m.payload as number);
    const unique = new Set(received);
    const lost = EVENTS - unique.size;
    const duplicates = received.length - unique.size;
    const firsts = received.filter((n, i) => received.indexOf(n) === i);
    const outOfOrder = firsts.filter((n, i) => i > 0 && n < firsts[i - 1]!).length;
    const reconnects = emulator.stats().totalConnections - connectionsBefore;
    const figures = `${drops} drops, ${reconnects} reconnects, ${lost} lost, ${duplicates} duplicates, ${outOfOrder} out of order, ${caught.length} Catch errors`;
    record({ scenario: 'abrupt drops', case: `${EVENTS} events, ${DROPS} drops`, target: 'node-red', passed: lost === 0 && outOfOrder === 0 && caught.length === 0, figures });
    assert.equal(caught.length, 0, `no publish failed: ${caught.map((m) => (m.error as { message: string }).message).slice(0, 3).join('; ')}`);
    assert.equal(lost, 0, figures);
    assert.equal(outOfOrder, 0, figures);
    assert.ok(reconnects >= DROPS, figures);
  });
});
