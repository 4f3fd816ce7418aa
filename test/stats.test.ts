import assert from 'node:assert/strict';
import appsyncNodes = require('../src/nodes');
import type { Emulator } from '../src/emulator';
import type { EndpointConnection } from '../src/nodes/endpoint-connection';
import type { EndpointStatsReport } from '../src/nodes/endpoint-stats';
import { API_KEY } from './support/fixtures';
import { emulatorForFlows } from './support/runtime';
import { collect, helper, nextMessage, nodeRedVersion, type FlowNode } from './support/node-red';
import { waitFor } from './support/wait';

describe(`Node-RED ${nodeRedVersion}: msg.action getStats`, function () {
  let emulator: Emulator;
  const current = emulatorForFlows();
  beforeEach(() => {
    emulator = current();
  });

  it("answers with the endpoint connection's figures, the same on either node, matching what the flow did", async () => {
    const flow: FlowNode[] = [
      { id: 'tab', type: 'tab', label: 'stats' },
      { id: 'auth', type: 'events-authorizer', authType: 'apiKey' },
      { id: 'ep', type: 'events-endpoint', url: emulator.httpUrl, authorizer: 'auth', reconnectBaseDelay: 0.02, reconnectMaxDelay: 0.05, requestTimeout: 2 },
      { id: 'pub', type: 'events-publish', z: 'tab', endpoint: 'ep', channel: '', transport: 'websocket', wires: [['pubout']] },
      { id: 'pubout', type: 'helper', z: 'tab' },
      { id: 'static', type: 'events-subscribe', z: 'tab', endpoint: 'ep', channel: 'default/stats', wires: [['got']] },
      { id: 'got', type: 'helper', z: 'tab' },
      { id: 'dynamic', type: 'events-subscribe', z: 'tab', endpoint: 'ep', channel: '', wires: [['dynout']] },
      { id: 'dynout', type: 'helper', z: 'tab' },
    ];
    await helper.load(appsyncNodes, flow, { auth: { apiKey: API_KEY } });
    const got = collect(helper.getNode('got'));
    const pubOut = collect(helper.getNode('pubout'));
    await waitFor(() => emulator.stats().subscriptions === 1, 'the static subscription');
    const started = Date.now();
    helper.getNode('pub').receive({ topic: 'default/stats', payload: { n: 1 } });
    helper.getNode('pub').receive({ topic: 'default/stats', payload: [2, 3, 4, 5, 6, 7, 8] });
    // A namespace the API does not have: sent, and refused by the service.
    helper.getNode('pub').receive({ topic: 'nope/stats', payload: 9 });
    await waitFor(() => got.length === 8 && pubOut.length === 2, 'eight events and two published messages');
    emulator.faults.dropConnections();
    // The client's own view: the emulator counts a subscription before the client has read its subscribe_success.
    const endpointConnection: EndpointConnection = Reflect.get(helper.getNode('ep'), 'connection');
    await waitFor(() => emulator.stats().totalConnections === 2 && endpointConnection.report().subscriptions.subscribed === 1, 'the reconnect and resubscription');
    await waitFor(() => helper.getNode('dynamic') !== undefined, 'the dynamic node');

    const fromSubscribe = nextMessage(helper.getNode('dynout'));
    helper.getNode('dynamic').receive({ action: 'getStats' });
    const stats = (await fromSubscribe) as { topic: string; payload: EndpointStatsReport };
    assert.equal(stats.topic, 'stats');
    const { connection, publishes, receivedEvents, subscriptions } = stats.payload;
    assert.equal(connection.state, 'connected');
    assert.ok(connection.connectedSince !== null && connection.connectedSince >= started);
    assert.equal(connection.reconnects, 1);
    assert.equal(connection.lastErrorType, 'ConnectionClosed');
    assert.deepEqual({ requests: publishes.requests, events: publishes.events, failedEvents: publishes.failedEvents, queued: publishes.queued }, { requests: 4, events: 9, failedEvents: 1, queued: 0 });
    assert.ok(publishes.ackMsP50 !== null && publishes.ackMsP99 !== null && publishes.ackMsP50 <= publishes.ackMsP99 && publishes.ackMsP99 < Date.now() - started + 1);
    assert.equal(receivedEvents, 8);
    assert.deepEqual(subscriptions, { pending: 0, subscribed: 1, failed: 0, closed: 0 });

    const fromPublish = nextMessage(helper.getNode('pubout'));
    helper.getNode('pub').receive({ action: 'getStats' });
    const again = (await fromPublish) as { topic: string; payload: EndpointStatsReport };
    assert.equal(again.topic, 'stats');
    assert.deepEqual(again.payload.publishes.events, 9, 'the same connection, seen from the publish node');
    assert.equal(emulator.stats().publishedEvents, 8, 'getStats published nothing');
  });
});
