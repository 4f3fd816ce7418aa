import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
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
