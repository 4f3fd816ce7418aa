import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../src/emulator';
import { API_KEY, startEmulator } from './support/fixtures';

/** A throw-away self-signed certificate for localhost, made with the system's openssl. */
function selfSignedCertificate(): { cert: string; key: string; certPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'appsync-tls-'));
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8'), certPath };
}

/** Runs one of the Amplify scripts against `emulator` and returns its report. */
function runAmplify(script: string, emulator: Emulator, certPath: string, apiKey: string): Promise<Record<string, unknown>> {
  const endpoint = emulator.httpUrl.replace('127.0.0.1', 'localhost');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--require', 'tsx/cjs', script, endpoint, apiKey], { env: { ...process.env, NODE_EXTRA_CA_CERTS: certPath }, timeout: 45_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stdout}\n${stderr}`)) : resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>),
    );
  });
}

describe('the official Amplify JS client against the emulator (https/wss, self-signed)', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  let certPath: string;

  before(async () => {
    const tls = selfSignedCertificate();
    certPath = tls.certPath;
    emulator = await startEmulator({ host: '127.0.0.1', tls: { cert: tls.cert, key: tls.key } });
  });
  after(() => emulator.stop());

  it('subscribes, and publishes over HTTP and WebSocket, unmodified', async () => {
    const endpoint = emulator.httpUrl.replace('127.0.0.1', 'localhost');
    const output = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--require', 'tsx/cjs', 'test/support/amplify-client.ts', endpoint, API_KEY],
        { env: { ...process.env, NODE_EXTRA_CA_CERTS: certPath }, timeout: 45_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout)),
      );
    });
    const report = JSON.parse(output.trim().split('\n').pop()!) as { received: unknown[]; wildReceived: unknown[]; httpFailed: unknown; errors: unknown[] };
    assert.deepEqual(report.errors, []);
    assert.equal(report.httpFailed, null);
    const expected = [{ via: 'http' }, { via: 'websocket' }, { batch: 1 }, { batch: 2 }];
    assert.deepEqual(report.received, expected);
    assert.deepEqual(report.wildReceived, expected);
  });
});

describe('the official Amplify JS client against an emulator with handlers and per-namespace auth modes', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  let certPath: string;
  let dir: string;

  before(async () => {
    const tls = selfSignedCertificate();
    certPath = tls.certPath;
    dir = mkdtempSync(join(tmpdir(), 'appsync-amplify-handlers-'));
    writeFileSync(
      join(dir, 'rooms.mjs'),
      `import { util } from '@aws-appsync/utils';
export function onSubscribe(ctx) { if (ctx.info.channel.segments[1] === 'staff') util.unauthorized(); }
export function onPublish(ctx) {
  if (ctx.events.some((e) => e.payload && e.payload.explode)) throw new Error('boom');
  if (ctx.events.some((e) => e.payload && e.payload.loop)) for (;;) {}
  return ctx.events.filter((e) => !(e.payload && e.payload.drop)).map(({ id, payload }) => payload === null ? { id, error: 'empty event' } : { id, payload: { ...payload, channel: ctx.info.channel.path } });
}
`,
    );
    emulator = await startEmulator({
      host: '127.0.0.1',
      tls: { cert: tls.cert, key: tls.key },
      namespaces: ['default', { name: 'secure', publishAuthModes: ['AWS_IAM'], subscribeAuthModes: ['AWS_IAM'] }, { name: 'rooms', codeHandlers: join(dir, 'rooms.mjs') }],
    });
  });
  after(async () => {
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an API key on an IAM-only namespace, and shows the handlers refusing, transforming, filtering and failing', async () => {
    const report = await runAmplify('test/support/amplify-handlers-client.ts', emulator, certPath, API_KEY);
    assert.equal(report.fatal, undefined);
    // Amplify names an HTTP error by its x-amzn-ErrorType and does not read the service's `errors` body.
    assert.equal(report.iamOnly, 'UnauthorizedException: Unknown error');
    assert.match(String(report.refusedSubscription), /Unauthorized/);
    assert.deepEqual((report.failed as Array<{ index: number; message: string }>).map((f) => [f.index, f.message]), [[2, 'empty event']]);
    assert.equal(report.thrown, 'BadRequestException: Unknown error', 'a throwing handler: an error answer');
    assert.equal(report.looped, 'BadRequestException: Unknown error', 'a looping handler: stopped, an error answer');
    assert.equal(report.after, null, 'and the server goes on');
    assert.deepEqual(report.received, [{ text: 'hi', channel: '/rooms/lobby' }, { text: 'after', channel: '/rooms/lobby' }]);
  });
});
