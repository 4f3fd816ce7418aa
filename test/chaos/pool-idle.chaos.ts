import assert from 'node:assert/strict';
import appsyncNodes = require('../../src/nodes');
import { API_KEY } from '../support/fixtures';
import { collect, helper, nodeRedVersion } from '../support/node-red';
import { emulatorForFlows } from '../support/runtime';
import { waitFor } from '../support/wait';
import { record } from './support/report';

// The endpoint's connection pool in Node-RED, on its own clock: 500 channels on one dynamic subscribe node take five
// connections (100 each here); once 450 are unsubscribed, the connections left with none close after their 30 s, the
// first stays, and the 50 left still receive. It waits for the closes, so it lives here rather than in the default suite.
describe(`chaos: Node-RED ${nodeRedVersion}, connections of the pool closing when left empty`, function () {
  this.timeout(90_000);
  const emulator = emulatorForFlows({ maxSubscriptionsPerConnection: 100 });

  it('closes the connections left with no subscription within 30 s, keeps the first, and the rest keep receiving', async () => {
    await helper.load(appsyncNodes, [
      { id: 'tab', type: 'tab', label: 'pool' },
      { id: 'auth', type: 'events-authorizer', authType: 'apiKey' },
      { id: 'ep', type: 'events-endpoint', url: emulator().httpUrl, authorizer: 'auth' },
      { id: 's', type: 'events-subscribe', z: 'tab', endpoint: 'ep', channel: '', channelType: 'str', output: 'json', stateOutput: true, wires: [['out'], ['state']] },
      { id: 'out', type: 'helper', z: 'tab' },
      { id: 'state', type: 'helper', z: 'tab' },
    ], { auth: { apiKey: API_KEY } });
    const out = collect(helper.getNode('out'));
    const states = collect(helper.getNode('state'));
    const count = (state: string) => states.filter((m) => (m.payload as { state: string }).state === state).length;
    const channels = Array.from({ length: 500 }, (_, i) => `default/tag-${i}`);
    helper.getNode('s').receive({ action: 'subscribe', topic: channels });
    await waitFor(() => count('subscribed') === 500, '500 subscribed', 20_000);
    assert.equal(emulator().stats().openConnections, 5);

    const unsubscribed = Date.now();
    helper.getNode('s').receive({ action: 'unsubscribe', topic: channels.slice(50) });
    await waitFor(() => count('unsubscribed') === 450, '450 unsubscribed');
    await waitFor(() => emulator().stats().openConnections === 1, 'the empty connections closed', 40_000);
    const closedAfterMs = Date.now() - unsubscribed;
    assert.ok(closedAfterMs >= 29_000, `closed after ${closedAfterMs} ms, not before their 30 s`);
    assert.equal(emulator().stats().subscriptions, 50);
    channels.slice(0, 50).forEach((c, i) => emulator().publish(c, [String(i)]));
    await waitFor(() => out.length === 50, 'the 50 left receive');
    record({ scenario: 'pool', case: 'connections left empty close', target: 'within 30 s (+ a margin), the first stays', passed: true, figures: `4 of 5 closed ${closedAfterMs} ms after the unsubscribe` });
  });
});
