import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import appsyncNodes = require('../src/nodes');
import type { Emulator } from '../src/emulator';
import { generateTls } from '../src/emulator/certificates';
import { API_KEY, startEmulator } from './support/fixtures';
import { helper, nodeRedPath, nodeRedVersion } from './support/node-red';
import { waitFor } from './support/wait';

// The envelope is plain JSON: a web app with Amplify's `events` client reads it with the README's few lines.
const tlsNode = require(require.resolve('@node-red/nodes/core/network/05-tls.js', { paths: [dirname(nodeRedPath)] })) as unknown;

describe(`Node-RED ${nodeRedVersion} publishing envelopes to an unmodified Amplify JS subscriber (wss)`, function () {
  this.timeout(60_000);
  let emulator: Emulator;
  let dir: string;
  let amplify: ChildProcess | undefined;

  before(async () => {
    const tls = generateTls();
    dir = mkdtempSync(join(tmpdir(), 'appsync-envelope-'));
    writeFileSync(join(dir, 'ca.pem'), tls.ca);
    emulator = await startEmulator({ tls: { cert: tls.cert, key: tls.key } });
    await helper.startServer();
  });
  after(async () => {
    amplify?.kill();
    await helper.unload();
    await helper.stopServer();
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows each event once, with its real channel, from a wildcard subscription', async () => {
    const endpoint = emulator.httpUrl.replace('127.0.0.1', 'localhost');
    const lines: string[] = [];
    amplify = spawn(process.execPath, ['--require', 'tsx/cjs', 'test/support/amplify-envelope-subscriber.ts', endpoint, API_KEY, '4'], { env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') } });
    amplify.stdout?.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
    await waitFor(() => lines.includes('{"subscribed":true}') && emulator.stats().subscriptions === 1, 'Amplify subscribed', 30_000);

    await helper.load([appsyncNodes, tlsNode], [
      { id: 'tab', type: 'tab', label: 'envelopes' },
      { id: 'auth', type: 'events-authorizer', authType: 'apiKey' },
      { id: 'ca', type: 'tls-config', ca: join(dir, 'ca.pem'), cert: '', key: '', servername: '', verifyservercert: true },
      { id: 'ep', type: 'events-endpoint', url: emulator.httpUrl, authorizer: 'auth', tls: 'ca', sourceId: 'line-3' },
      { id: 'p', type: 'events-publish', z: 'tab', endpoint: 'ep', channel: '', channelType: 'str', transport: 'websocket', envelope: true, wires: [[]] },
    ], { auth: { apiKey: API_KEY } });
    const published: string[] = [];
    emulator.events.on('published', (_c, events) => published.push(...events));
    helper.getNode('p').receive({ topic: 'default/pump-1', payload: { rpm: 1200 } });
    helper.getNode('p').receive({ topic: 'default/fan-2', payload: { rpm: 800 } });
    await waitFor(() => published.length === 2, 'two envelopes published');
    // The first one again, as a gateway sends it after a crash: the same id.
    emulator.publish('/default/pump-1', [published[0]!]);
    helper.getNode('p').receive({ topic: 'default/pump-1', payload: { rpm: 1210 } });

    await waitFor(() => lines.some((l) => l.startsWith('{"shown"')), "Amplify's report", 30_000);
    const report = JSON.parse(lines.find((l) => l.startsWith('{"shown"'))!) as { shown: Array<[string, unknown]> };
    assert.deepEqual(report.shown, [
      ['/default/pump-1', { rpm: 1200 }],
      ['/default/fan-2', { rpm: 800 }],
      ['/default/pump-1', { rpm: 1210 }],
    ]);
  });
});
