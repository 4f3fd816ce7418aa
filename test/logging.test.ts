import assert from 'node:assert/strict';
import appsyncNodes = require('../src/nodes');
import type { Emulator } from '../src/emulator';
import { API_KEY } from './support/fixtures';
import { emulatorForFlows } from './support/runtime';
import { helper, nodeRedVersion, type FlowNode } from './support/node-red';
import { waitFor } from './support/wait';

const flow = (emulator: Emulator): FlowNode[] => [
  { id: 'tab', type: 'tab', label: 'logs' },
  { id: 'auth', type: 'events-authorizer', authType: 'apiKey' },
  { id: 'ep', type: 'events-endpoint', url: emulator.httpUrl, authorizer: 'auth' },
  { id: 'sub', type: 'events-subscribe', z: 'tab', endpoint: 'ep', channel: 'default/logs', wires: [[]] },
];

/** Every line logged, with its level name. */
function lines(): Array<{ level: number; msg: string }> {
  return helper.log().args.map(([entry]) => entry as { level: number; msg: unknown }).map((e) => ({ level: e.level, msg: String(e.msg) }));
}
const TRACE = 60;
const DEBUG = 50;

describe(`Node-RED ${nodeRedVersion}: what the endpoint logs`, function () {
  let emulator: Emulator;
  const current = emulatorForFlows();
  beforeEach(() => {
    emulator = current();
  });
  afterEach(() => {
    helper.settings({ logging: undefined });
  });

  it('logs the connection lifecycle at debug, and no frames unless a handler keeps trace lines', async () => {
    await helper.load(appsyncNodes, flow(emulator), { auth: { apiKey: API_KEY } });
    await waitFor(() => emulator.stats().subscriptions === 1, 'the subscription');
    const debug = lines().filter((l) => l.level === DEBUG).map((l) => l.msg);
    assert.ok(debug.some((m) => m.includes('connection connecting')), debug.join('\n'));
    assert.ok(debug.some((m) => m.includes('connection connected')));
    assert.ok(!lines().some((l) => l.msg.includes('frame out:')), 'frames are not even built without trace logging');
  });

  it('logs every frame in and out at trace, with the API key scrubbed', async () => {
    helper.settings({ logging: { console: { level: 'trace' } } });
    await helper.load(appsyncNodes, flow(emulator), { auth: { apiKey: API_KEY } });
    await waitFor(() => emulator.stats().subscriptions === 1, 'the subscription');
    await waitFor(() => lines().some((l) => l.msg.includes('frame in: {"type":"subscribe_success"')), 'the subscribe_success frame in the log');
    const trace = lines().filter((l) => l.level === TRACE).map((l) => l.msg);
    assert.ok(trace.some((m) => m.startsWith('frame out: {"type":"connection_init"}')), trace.join('\n'));
    assert.ok(trace.some((m) => m.startsWith('frame in: {"type":"connection_ack"')));
    const subscribe = trace.find((m) => m.startsWith('frame out: {"type":"subscribe"'));
    assert.ok(subscribe?.includes('[redacted'), subscribe);
    assert.ok(!JSON.stringify(helper.log().args).includes(API_KEY), 'the API key is in no log line');
  });
});
