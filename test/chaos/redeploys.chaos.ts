import assert from 'node:assert/strict';
import appsyncNodes = require('../../src/nodes');
import { API_KEY } from '../support/fixtures';
import { forgetSpiedCalls, helper, nodeRedVersion, type FlowNode } from '../support/node-red';
import { waitFor } from '../support/wait';
import { heapAfterGc, mb } from './support/heap';
import { record } from './support/report';
import { emulatorForFlows } from '../support/runtime';

const REDEPLOYS = 200;

// An editor user redeploys many times a day. After 200 full deploys of a flow that subscribes and publishes,
// exactly one socket per endpoint config is open, and the heap after garbage collection is within 10 % of
// where it was after the first 20.
describe(`chaos: ${REDEPLOYS} full redeploys while subscribed, Node-RED ${nodeRedVersion}`, function () {
  const current = emulatorForFlows({}, 'suite');

  it('leaves one socket per endpoint and no growing heap', async () => {
    const emulator = current();
    const flow: FlowNode[] = [
      { id: 'tab', type: 'tab', label: 'redeploys' },
      { id: 'auth', type: 'events-authorizer', authType: 'apiKey' },
      { id: 'ep1', type: 'events-endpoint', url: emulator.httpUrl, authorizer: 'auth' },
      { id: 'ep2', type: 'events-endpoint', url: emulator.httpUrl, authorizer: 'auth' },
      { id: 'sub1', type: 'events-subscribe', z: 'tab', endpoint: 'ep1', channel: 'default/one', wires: [[]] },
      { id: 'sub2', type: 'events-subscribe', z: 'tab', endpoint: 'ep2', channel: 'default/two', wires: [[]] },
      { id: 'pub', type: 'events-publish', z: 'tab', endpoint: 'ep1', channel: 'default/two', wires: [[]] },
    ];
    const credentials = { auth: { apiKey: API_KEY } };
    await helper.load(appsyncNodes, flow, credentials);
    const steady = () => emulator.stats().openConnections === 2 && emulator.stats().subscriptions === 2;
    await waitFor(steady, 'two sockets with one subscription each');
    let baseline = 0;
    for (let i = 1; i <= REDEPLOYS; i++) {
      await helper.setFlows(flow, 'full', credentials);
      await waitFor(steady, `two sockets and two subscriptions after redeploy ${i} (${JSON.stringify(emulator.stats())})`, 10_000);
      forgetSpiedCalls();
      if (i === 20) baseline = await heapAfterGc();
    }
    // Sockets of the last deploy only: the old ones are closed, not left to time out.
    await waitFor(steady, 'the final state');
    const final = await heapAfterGc();
    const growth = (final - baseline) / baseline;
    const figures = `${emulator.stats().openConnections} sockets for 2 endpoints, ${emulator.stats().totalConnections} opened in all; heap ${mb(baseline)} → ${mb(final)} (${(growth * 100).toFixed(1)} %)`;
    record({ scenario: 'redeploys', case: `${REDEPLOYS} full deploys`, target: 'node-red', passed: growth < 0.1, figures });
    assert.ok(growth < 0.1, figures);
  });
});
