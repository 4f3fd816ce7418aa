import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_API_KEY, freePort, launchNodeRed, prepareUserDir, type Launched } from '../demo/demo';
import { readOutbox } from '../src/client/outbox/outbox-file';
import { createEmulator, type Emulator } from '../src/emulator';
import { waitFor } from './support/wait';
import appsyncNodes = require('../src/nodes');
import type { Envelope } from '../src/protocol/envelope';
import { collect, helper } from './support/node-red';

// The gateway story: a real Node-RED process queues publishes while AppSync is unreachable, loses its power
// (SIGKILL, a record torn mid-write), and starts again. Every stored publish arrives, in order, over the transport its
// node uses, and each one's message comes out of its publish node with msg.appsync.replayed.

function restartFlow(outputs: string, envelope = false): unknown[] {
  const tab = 'f1000000000000a1';
  const node = (id: string, rest: Record<string, unknown>) => ({ id, z: tab, x: 100, y: 100, ...rest });
  return [
    { id: tab, type: 'tab', label: 'gateway' },
    { id: 'a1000000000000a1', type: 'events-authorizer', name: 'key', authType: 'apiKey', tokenSource: 'env', tokenName: 'APPSYNC_API_KEY' },
    { id: 'e1000000000000a1', type: 'events-endpoint', url: '${APPSYNC_EVENTS_URL}', authorizer: 'a1000000000000a1', queueStore: 'file', requestTimeout: 1, reconnectBaseDelay: 0.05, reconnectMaxDelay: 0.2 },
    // POST /publish/ws and /publish/http: the body is the event; the HTTP answer does not wait for AppSync.
    ...(['ws', 'http'] as const).flatMap((t) => [
      node(`i${t}00000000000a1`.slice(0, 16), { type: 'http in', url: `/publish/${t}`, method: 'post', wires: [[`p${t}00000000000a1`.slice(0, 16), 'r1000000000000a1']] }),
      node(`p${t}00000000000a1`.slice(0, 16), { type: 'events-publish', endpoint: 'e1000000000000a1', channel: 'default/gateway', channelType: 'str', transport: t === 'ws' ? 'websocket' : 'http', envelope, wires: [['o1000000000000a1']] }),
    ]),
    node('r1000000000000a1', { type: 'http response', statusCode: '200', wires: [] }),
    node('o1000000000000a1', { type: 'function', func: 'msg.payload = JSON.stringify({ n: (msg.payload.data || msg.payload).n, replayed: !!(msg.appsync && msg.appsync.replayed), status: msg.publishResult.status }); return msg;', outputs: 1, wires: [['w1000000000000a1']] }),
    node('w1000000000000a1', { type: 'file', filename: outputs, filenameType: 'str', appendNewline: true, createDir: true, overwriteFile: 'false', encoding: 'none', wires: [[]] }),
  ];
}

function post(port: number, path: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** The emulator on `port` (0: any), recording the `n` of every event it broadcasts, in order. */
async function recordingEmulator(port: number, received: number[]): Promise<Emulator> {
  const em = await createEmulator({ port, apiKeys: [DEMO_API_KEY] });
  em.events.on('published', (_c, events) => received.push(...events.map((e) => (JSON.parse(e) as { n: number }).n)));
  return em;
}

/** Node-RED on a free port over `userDir`, its endpoint pointed at the emulator's port, its log lines to `log`. */
async function launchGateway(userDir: string, appsyncPort: number, log: (line: string) => void): Promise<Launched> {
  const port = await freePort(0);
  const env = { ...process.env, PORT: String(port), APPSYNC_EVENTS_URL: `http://127.0.0.1:${appsyncPort}/event`, APPSYNC_API_KEY: DEMO_API_KEY };
  return launchNodeRed(userDir, port, env, log);
}

describe('a real Node-RED process with the file publish queue, killed and restarted', function () {
  this.timeout(90_000);
  let userDir: string;
  let emulator: Emulator | undefined;
  let nodeRed: Launched | undefined;

  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(async () => {
    await helper.unload();
    nodeRed?.nodeRed.kill('SIGKILL');
    await nodeRed?.exit;
    await emulator?.stop();
    rmSync(userDir, { recursive: true, force: true });
  });

  it('sends every publish queued before a SIGKILL after the restart, in order, with the replayed outputs', async () => {
    userDir = mkdtempSync(join(tmpdir(), 'appsync-gateway-'));
    const outputs = join(userDir, 'outputs.jsonl');
    const received: number[] = [];
    const start = (port: number) => recordingEmulator(port, received);
    emulator = await start(0);
    const appsyncPort = emulator.port;
    prepareUserDir(userDir, restartFlow(outputs));
    const log: string[] = [];
    const launch = async () => {
      const launched = await launchGateway(userDir, appsyncPort, (line) => log.push(line));
      assert.ok(launched.started, 'Node-RED started its flows');
      return launched;
    };
    nodeRed = await launch();
    const publish = (n: number) => post(nodeRed!.port, `/publish/${n % 2 ? 'http' : 'ws'}`, { n });

    for (let n = 0; n < 3; n++) assert.equal(await publish(n), 200);
    await waitFor(() => received.length === 3, 'the first three, while AppSync is up');

    await emulator.stop();
    emulator = undefined;
    for (let n = 3; n < 23; n++) assert.equal(await publish(n), 200);
    const file = join(userDir, 'appsync-events', 'outbox-e1000000000000a1.jsonl');
    // The HTTP response leaves before the publish is stored: wait until the file owes all twenty (the done lines of
    // the first three may still be there, so counting put lines is not enough: that made this test flaky).
    await waitFor(() => readOutbox(file).publishes.length === 20, 'twenty publishes owed on disk', 10_000);

    nodeRed.nodeRed.kill('SIGKILL');
    await nodeRed.exit;
    // The power cut tore the record being written.
    appendFileSync(file, '{"op":"put","seq":999,"channel":"/default/gateway","events":["{\\"n\\":');

    emulator = await start(appsyncPort);
    nodeRed = await launch();
    // On failure, the end of Node-RED's log tells why (this failed once in CI, with no clue).
    await waitFor(() => received.length >= 23, 'every publish after the restart', 20_000).catch((err: unknown) => {
      throw new Error(`${String(err)}: ${received.length} of 23 arrived (${received.join(" ")}); Node-RED's log ends:\n${log.slice(-40).join('\n')}`);
    });
    assert.deepEqual(received, Array.from({ length: 23 }, (_, n) => n), 'each once, in order, across both transports');

    await waitFor(() => existsSync(outputs) && readFileSync(outputs, 'utf8').trim().split('\n').length >= 23, 'the outputs');
    const lines = readFileSync(outputs, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { n: number; replayed: boolean; status: string });
    assert.deepEqual(lines.filter((l) => l.replayed).map((l) => l.n).sort((a, b) => a - b), Array.from({ length: 20 }, (_, n) => n + 3), 'the stored ones replayed');
    assert.deepEqual(lines.filter((l) => !l.replayed).map((l) => l.n), [0, 1, 2]);
    assert.ok(lines.every((l) => l.status === 'successful'));
    assert.ok(log.some((l) => /publish outbox: .*outbox-e1000000000000a1\.jsonl/.test(l)), 'the file is named in the log');
    assert.ok(log.some((l) => l.includes('the last record was cut short')), 'the torn record is reported');
  });

  it('over WebSocket alone, 40 publishes stored before a SIGKILL arrive in order after the restart (handed over in their order, whatever order their reads finish in)', async () => {
    userDir = mkdtempSync(join(tmpdir(), 'appsync-gateway-'));
    const received: number[] = [];
    const start = (port: number) => recordingEmulator(port, received);
    emulator = await start(0);
    const appsyncPort = emulator.port;
    await emulator.stop();
    emulator = undefined;
    prepareUserDir(userDir, restartFlow(join(userDir, 'outputs.jsonl')));
    const log: string[] = [];
    nodeRed = await launchGateway(userDir, appsyncPort, (line) => log.push(line));
    for (let n = 0; n < 40; n++) assert.equal(await post(nodeRed.port, '/publish/ws', { n }), 200);
    const file = join(userDir, 'appsync-events', 'outbox-e1000000000000a1.jsonl');
    await waitFor(() => readOutbox(file).publishes.length === 40, 'forty publishes owed on disk', 10_000);
    nodeRed.nodeRed.kill('SIGKILL');
    await nodeRed.exit;
    emulator = await start(appsyncPort);
    nodeRed = await launchGateway(userDir, appsyncPort, (line) => log.push(line));
    await waitFor(() => received.length >= 40, 'every publish after the restart', 20_000);
    assert.deepEqual(received, Array.from({ length: 40 }, (_, n) => n), 'each once, in order');
  });

  it('a second Node-RED process on the same user directory refuses its publishes and writes nothing in the outbox file', async () => {
    userDir = mkdtempSync(join(tmpdir(), 'appsync-gateway-'));
    const received: number[] = [];
    emulator = await recordingEmulator(0, received);
    prepareUserDir(userDir, restartFlow(join(userDir, 'outputs.jsonl')));
    nodeRed = await launchGateway(userDir, emulator.port, () => {});
    const firstPort = nodeRed.port;
    const secondLog: string[] = [];
    const second = await launchGateway(userDir, emulator.port, (line) => secondLog.push(line));
    const secondPort = second.port;
    try {
      assert.ok(second.started);
      assert.ok(secondLog.some((l) => l.includes(`outbox in use by process ${nodeRed!.nodeRed.pid}`)), secondLog.slice(-20).join('\n'));
      for (let n = 100; n < 105; n++) assert.equal(await post(secondPort, '/publish/ws', { n }), 200);
      // The fence: the first process's publishes arrive, in order, and none of the second's among them.
      for (let n = 0; n < 10; n++) assert.equal(await post(firstPort, '/publish/ws', { n }), 200);
      await waitFor(() => received.length >= 10, 'the first process\'s ten');
      assert.deepEqual(received, Array.from({ length: 10 }, (_, n) => n));
      await waitFor(() => secondLog.filter((l) => l.includes('OutboxInUse')).length >= 6, 'each refused publish in the log');
    } finally {
      second.nodeRed.kill('SIGKILL');
      await second.exit;
    }
  });

  it('envelopes: publishes AppSync took but never answered are sent again after a SIGKILL with the same id and seq, a subscriber delivers each once, and seq goes on from there', async () => {
    userDir = mkdtempSync(join(tmpdir(), 'appsync-gateway-'));
    const broadcast: Envelope[] = [];
    emulator = await createEmulator({ apiKeys: [DEMO_API_KEY] });
    emulator.events.on('published', (_c, events) => broadcast.push(...events.map((e) => JSON.parse(e) as Envelope)));
    // A dashboard in another Node-RED (this test's own runtime) that outlives the gateway's restart.
    await helper.load(appsyncNodes, [
      { id: 'tab', type: 'tab', label: 'dashboard' },
      { id: 'auth', type: 'events-authorizer', authType: 'apiKey' },
      { id: 'ep', type: 'events-endpoint', url: emulator.httpUrl, authorizer: 'auth', reconnectBaseDelay: 0.05 },
      { id: 's', type: 'events-subscribe', z: 'tab', endpoint: 'ep', channel: 'default/gateway', channelType: 'str', output: 'json', wires: [['s-out']] },
      { id: 's-out', type: 'helper', z: 'tab' },
    ], { auth: { apiKey: DEMO_API_KEY } });
    const delivered = collect(helper.getNode('s-out'));
    await waitFor(() => emulator!.stats().subscriptions === 1, 'the dashboard subscribed');

    prepareUserDir(userDir, restartFlow(join(userDir, 'outputs.jsonl'), true));
    emulator.faults.withholdPublishAnswers(5);
    nodeRed = await launchGateway(userDir, emulator.port, () => {});
    for (let n = 0; n < 5; n++) assert.equal(await post(nodeRed.port, '/publish/ws', { n }), 200);
    await waitFor(() => broadcast.length === 5 && delivered.length === 5, 'five taken and broadcast, none answered');
    nodeRed.nodeRed.kill('SIGKILL');
    await nodeRed.exit;

    nodeRed = await launchGateway(userDir, emulator.port, () => {});
    await waitFor(() => broadcast.length === 10, 'the five sent again after the restart', 20_000);
    assert.deepEqual(broadcast.slice(5).map((e) => [e.id, e.seq]), broadcast.slice(0, 5).map((e) => [e.id, e.seq]), 'the same ids and seq numbers');
    assert.deepEqual(broadcast.slice(0, 5).map((e) => e.seq), [1, 2, 3, 4, 5]);
    // The next publish is the fence: when it arrives, the five repeats before it were dropped.
    assert.equal(await post(nodeRed.port, '/publish/ws', { n: 5 }), 200);
    await waitFor(() => delivered.length === 6, 'the publish after the restart');
    assert.deepEqual(delivered.map((m) => (m.payload as { n: number }).n), [0, 1, 2, 3, 4, 5], 'each delivered once');
    assert.deepEqual(delivered.map((m) => (m.appsync as { seq: number; gap: number }).seq), [1, 2, 3, 4, 5, 6], 'seq goes on across the restart');
    assert.ok(delivered.every((m) => (m.appsync as { gap: number }).gap === 0));
  });
});

