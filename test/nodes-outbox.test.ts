import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import appsyncNodes = require('../src/nodes');
import { readOutbox } from '../src/client/outbox/outbox-file';
import type { Emulator } from '../src/emulator';
import { API_KEY, startEmulator } from './support/fixtures';
import { collect, connectAttempts, helper, nodeRedVersion, statusTexts, type FlowNode } from './support/node-red';
import { waitFor } from './support/wait';

// The file publish queue in Node-RED: publishes made while AppSync is unreachable are written to the outbox file,
// survive a redeploy (the runtime stops their nodes), and are sent in order when it is back, each producing its
// output with msg.appsync.replayed. Restarts of a real process (SIGKILL, torn records) are in outbox-restart.test.ts.

const TAB = { id: 'tab', type: 'tab', label: 'outbox' };
const KEY = { auth: { apiKey: API_KEY } };

function flow(emulator: Emulator, endpoint: Record<string, unknown> = {}): FlowNode[] {
  return [
    { id: 'auth', type: 'events-authorizer', authType: 'apiKey' },
    { id: 'ep', type: 'events-endpoint', url: emulator.httpUrl, authorizer: 'auth', reconnectBaseDelay: 0.02, reconnectMaxDelay: 0.1, requestTimeout: 1, queueStore: 'file', ...endpoint },
    { id: 'ws', type: 'events-publish', z: 'tab', endpoint: 'ep', channel: 'default/outbox', channelType: 'str', transport: 'websocket', wires: [['out']] },
    { id: 'http', type: 'events-publish', z: 'tab', endpoint: 'ep', channel: 'default/outbox', channelType: 'str', transport: 'http', wires: [['out']] },
    { id: 'out', type: 'helper', z: 'tab' },
    { id: 'catch', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

describe(`Node-RED ${nodeRedVersion}: the file publish queue`, function () {
  this.timeout(30_000);
  let userDir: string;
  let emulator: Emulator;
  const received: number[] = [];
  const record = (em: Emulator) =>
    em.events.on('published', (_channel, events) => received.push(...events.map((e) => (JSON.parse(e) as { n: number }).n)));

  before(() => helper.startServer());
  after(() => helper.stopServer());
  beforeEach(async () => {
    userDir = mkdtempSync(join(tmpdir(), 'appsync-nr-outbox-'));
    helper.settings({ userDir });
    received.length = 0;
    emulator = await startEmulator();
  });
  afterEach(async () => {
    await helper.unload();
    await emulator.stop();
    helper.settings({ userDir: undefined });
    rmSync(userDir, { recursive: true, force: true });
  });

  it('keeps publishes made while AppSync is down across a redeploy, then sends them in order with their outputs replayed', async () => {
    const port = emulator.port;
    await emulator.stop();
    await helper.load(appsyncNodes, [TAB, ...flow(emulator)], KEY);
    const file = join(userDir, 'appsync-events', 'outbox-ep.jsonl');
    assert.ok(existsSync(file), 'one file per endpoint, under the user directory');
    for (let n = 0; n < 10; n++) helper.getNode(n % 2 ? 'http' : 'ws').receive({ payload: { n }, topic: 'default/outbox', extra: `kept ${n}` });
    await waitFor(() => readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"op":"put"')).length === 10, 'ten stored publishes');
    assert.ok(statusTexts(helper.getNode('ws')).includes('appsync.status.queued-disk'), 'the status says they are on disk');
    const caughtWhileStored = collect(helper.getNode('caught'));
    // The fence: three more refused connection attempts, while the stored publishes wait, none of which is an error.
    const attempts = connectAttempts('ep');
    await waitFor(() => attempts() >= 3, 'three more attempts');
    assert.deepEqual(caughtWhileStored, [], 'failed attempts while stored are not errors');
    await helper.unload();

    emulator = await startEmulator({ port });
    record(emulator);
    await helper.load(appsyncNodes, [TAB, ...flow(emulator)], KEY);
    const out = collect(helper.getNode('out'));
    await waitFor(() => out.length === 10, 'the ten replayed outputs', 15_000);
    assert.deepEqual(received, Array.from({ length: 10 }, (_, n) => n), 'every stored publish, once, in order');
    assert.deepEqual(out.map((m) => (m.payload as { n: number }).n).sort((a, b) => a - b), Array.from({ length: 10 }, (_, n) => n));
    for (const m of out) {
      assert.deepEqual(m.appsync, { replayed: true });
      assert.equal((m.publishResult as { status: string }).status, 'successful');
      assert.equal(m.extra, `kept ${(m.payload as { n: number }).n}`, 'the other message properties are stored too');
    }
    await waitFor(() => readFileSync(file, 'utf8').trim().split('\n').length === 1, 'the file compacted to its header');
  });

  it('when full: reject refuses the new message (Catch), dropOldest drops the oldest and warns once', async () => {
    await emulator.stop();
    await helper.load(appsyncNodes, [TAB, ...flow(emulator, { queueSize: 3 })], KEY);
    const caught = collect(helper.getNode('caught'));
    for (let n = 0; n < 5; n++) helper.getNode('ws').receive({ payload: { n } });
    await waitFor(() => caught.length === 2, 'two refusals');
    assert.equal((caught[0]!.error as { code: string }).code, 'QueueFull');
    await helper.unload();
    rmSync(join(userDir, 'appsync-events'), { recursive: true, force: true });

    await helper.load(appsyncNodes, [TAB, ...flow(emulator, { queueSize: 3, queueFull: 'dropOldest' })], KEY);
    const caughtAgain = collect(helper.getNode('caught'));
    for (let n = 0; n < 6; n++) helper.getNode('ws').receive({ payload: { n } });
    // The fence: all six handled (the file owes the last three), each of which could have reached Catch.
    const file = join(userDir, 'appsync-events', 'outbox-ep.jsonl');
    await waitFor(() => readOutbox(file).publishes.map((p) => p.events.join()).join(' ') === '{"n":3} {"n":4} {"n":5}', 'the newest three stored');
    assert.deepEqual(caughtAgain, []);
    const warnings = helper.log().args.filter((a) => JSON.stringify(a).includes('dropping the oldest'));
    assert.equal(warnings.length, 1, 'one warning for the episode');
  });

  it('takes a queue bound of 0 or below as its default, never as a bound that refuses every publish', async () => {
    await emulator.stop();
    await helper.load(appsyncNodes, [TAB, ...flow(emulator, { queueSize: '-5', queueMaxMB: '-1' })], KEY);
    const caught = collect(helper.getNode('caught'));
    for (let n = 0; n < 5; n++) helper.getNode('ws').receive({ payload: { n } });
    const file = join(userDir, 'appsync-events', 'outbox-ep.jsonl');
    await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"op":"put"')).length === 5, 'five stored publishes');
    assert.deepEqual(caught, []);
  });

  it('a publish refused for its channel (no such namespace) ends in Catch on both transports, and the line moves on', async () => {
    // The channel from msg.topic.
    const nodes = flow(emulator, { authRetryDelay: 60 }).map((n) => (n.type === 'events-publish' ? { ...n, channel: '' } : n));
    await helper.load(appsyncNodes, [TAB, ...nodes], KEY);
    const caught = collect(helper.getNode('caught'));
    const outputs = collect(helper.getNode('out'));
    record(emulator);
    for (const transport of ['http', 'ws']) {
      helper.getNode(transport).receive({ payload: { n: -1 }, topic: 'nosuchnamespace/x' });
      for (let n = 0; n < 3; n++) helper.getNode(transport).receive({ payload: { n }, topic: 'default/outbox' });
    }
    // Without the check, the refused publish held everything behind it for authRetryDelay (60 s) and more.
    await waitFor(() => outputs.length === 6 && caught.length === 2, 'six delivered and two in Catch');
    assert.deepEqual(received, [0, 1, 2, 0, 1, 2], 'in order, behind the refused ones');
    for (const msg of caught) assert.equal((msg.error as { code?: string }).code, 'UnauthorizedException');
  });

  it('a refused key keeps every publish stored and retries it; nothing reaches Catch', async () => {
    await helper.load(appsyncNodes, [TAB, ...flow(emulator, { authRetryDelay: 0.2 })], { auth: { apiKey: 'da2-refusedrefusedrefusedrefused' } });
    const caught = collect(helper.getNode('caught'));
    const file = join(userDir, 'appsync-events', 'outbox-ep.jsonl');
    for (let n = 0; n < 4; n++) helper.getNode(n % 2 ? 'ws' : 'http').receive({ payload: { n }, topic: 'default/outbox' });
    await waitFor(() => readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"op":"put"')).length === 4, 'four stored publishes');
    // The fence: three attempts of the first (HTTP) publish, each refused, and each probe with the key refused too.
    await waitFor(() => emulator.stats().httpPublishRequests >= 3, 'three attempts');
    assert.deepEqual(caught, []);
    assert.equal(readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"op":"done"')).length, 0, 'nothing finished');
  });
});
