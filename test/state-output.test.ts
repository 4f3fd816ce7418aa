import assert from 'node:assert/strict';
import appsyncNodes = require('../src/nodes');
import type { Emulator } from '../src/emulator';
import type { SubscriptionSignal } from '../src/nodes/subscription-signals';
import { API_KEY } from './support/fixtures';
import { emulatorForFlows } from './support/runtime';
import { collect, helper, nodeRedVersion, type FlowNode } from './support/node-red';
import { sleep, waitFor } from './support/wait';

describe(`Node-RED ${nodeRedVersion}: the subscribe node's state output`, function () {
  let emulator: Emulator;
  const current = emulatorForFlows();
  beforeEach(() => {
    emulator = current();
  });

  const flow = (): FlowNode[] => [
    { id: 'tab', type: 'tab', label: 'state' },
    { id: 'auth', type: 'events-authorizer', authType: 'apiKey' },
    { id: 'ep', type: 'events-endpoint', url: emulator.httpUrl, authorizer: 'auth', reconnectBaseDelay: 0.05, reconnectMaxDelay: 0.1, requestTimeout: 2 },
    { id: 'static', type: 'events-subscribe', z: 'tab', endpoint: 'ep', channel: 'default/state', stateOutput: true, wires: [['events'], ['states']] },
    { id: 'events', type: 'helper', z: 'tab' },
    { id: 'states', type: 'helper', z: 'tab' },
    { id: 'dynamic', type: 'events-subscribe', z: 'tab', endpoint: 'ep', channel: '', stateOutput: true, wires: [[], ['dynstates']] },
    { id: 'dynstates', type: 'helper', z: 'tab' },
  ];
  const payloads = (messages: Array<Record<string, unknown>>) => messages.map((m) => m.payload as SubscriptionSignal);

  it('says subscribed, then disconnected and resubscribed with the outage across a drop', async () => {
    await helper.load(appsyncNodes, flow(), { auth: { apiKey: API_KEY } });
    const states = collect(helper.getNode('states'));
    const events = collect(helper.getNode('events'));
    await waitFor(() => states.length === 1, 'the first state message');
    assert.equal(states[0]!.topic, 'state');
    assert.equal(payloads(states)[0]!.state, 'subscribed');
    assert.equal(events.length, 0, 'state messages go to the second output only');

    // An outage of a known length: the connection drops and the next attempts are refused for a while.
    emulator.faults.refuseConnections(1_000);
    const dropped = Date.now();
    emulator.faults.dropConnections();
    // Time is the subject: an outage of a known length, which the resubscribed message reports.
    await sleep(400);
    emulator.faults.refuseConnections(0);
    await waitFor(() => payloads(states).some((p) => p.state === 'resubscribed'), 'the resubscribed message', 10_000);
    const acknowledged = Date.now();
    const [disconnected, resubscribed] = payloads(states).slice(1);
    assert.equal(disconnected?.state, 'disconnected');
    assert.ok(resubscribed?.state === 'resubscribed');
    assert.equal(resubscribed.channel, '/default/state');
    // The drop is seen a moment after it happens; the acknowledgement a moment before the test sees the message.
    assert.ok(resubscribed.outageMs >= 400 && resubscribed.outageMs <= acknowledged - dropped + 20, `outage ${resubscribed.outageMs} ms for a ${acknowledged - dropped} ms gap`);
    assert.ok(Math.abs(resubscribed.at - acknowledged) < 1_000);
  });

  it('says failed with the code for a refused subscription, and unsubscribed on unsubscribe', async () => {
    await helper.load(appsyncNodes, flow(), { auth: { apiKey: API_KEY } });
    const dynstates = collect(helper.getNode('dynstates'));
    helper.getNode('dynamic').receive({ action: 'subscribe', topic: 'nope/refused' });
    await waitFor(() => payloads(dynstates).some((p) => p.state === 'failed'), 'the failed message');
    const failed = payloads(dynstates).find((p) => p.state === 'failed');
    assert.ok(failed?.state === 'failed' && failed.code === 'UnauthorizedException' && failed.channel === '/nope/refused' && failed.message.length > 0);
    helper.getNode('dynamic').receive({ action: 'subscribe', topic: 'default/later' });
    await waitFor(() => payloads(dynstates).some((p) => p.state === 'subscribed' && p.channel === '/default/later'), 'subscribed');
    helper.getNode('dynamic').receive({ action: 'unsubscribe', topic: 'default/later' });
    await waitFor(() => payloads(dynstates).some((p) => p.state === 'unsubscribed' && p.channel === '/default/later'), 'unsubscribed');
  });
});
