import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { generateTls, tlsFiles } from '../src/emulator/certificates';

describe('emulator: a private CA and a server certificate, without openssl', () => {
  it('makes a CA that signs a server certificate for localhost and 127.0.0.1', () => {
    const tls = generateTls();
    const ca = new X509Certificate(tls.ca);
    const cert = new X509Certificate(tls.cert);
    assert.ok(ca.ca, 'the CA certificate is a CA');
    assert.ok(!cert.ca);
    assert.ok(cert.verify(ca.publicKey), 'signed by the CA');
    assert.ok(cert.checkIssued(ca));
    assert.equal(cert.checkHost('localhost'), 'localhost');
    assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(cert.checkIP('::1'), '::1');
    assert.equal(cert.checkHost('example.com'), undefined);
  });

  it('serves TLS that a client trusts with the CA alone, and refuses without it', async () => {
    const tls = generateTls();
    const server = https.createServer({ cert: tls.cert, key: tls.key }, (_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const get = (options: https.RequestOptions) =>
      new Promise<string>((resolve, reject) => https.get({ host: '127.0.0.1', port, path: '/', ...options }, (res) => res.on('data', (d: Buffer) => resolve(d.toString()))).on('error', reject));
    try {
      assert.equal(await get({ ca: tls.ca }), 'ok');
      assert.equal(await get({ ca: tls.ca, servername: 'localhost', host: 'localhost' }), 'ok');
      await assert.rejects(get({ ca: [] }), (err: NodeJS.ErrnoException) => /UNABLE_TO_VERIFY|SELF_SIGNED/.test(err.code ?? ''));
    } finally {
      server.close();
    }
  });

  it('writes ca.pem, cert.pem and key.pem once and uses them again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'appsync-tls-'));
    try {
      const first = tlsFiles(dir);
      const second = tlsFiles(dir);
      assert.equal(first.created, true);
      assert.equal(second.created, false);
      assert.equal(second.ca, first.ca);
      assert.equal(readFileSync(join(dir, 'ca.pem'), 'utf8'), first.ca);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('appsync-events-local --tls-generate DIR serves https with a CA a client can trust from DIR/ca.pem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'appsync-cli-tls-'));
    const child = spawn(process.execPath, [join(__dirname, '..', 'dist', 'emulator-cli.js'), '--port', '0', '--api-key', 'da2-clitlsclitlsclitlsclitls', '--tls-generate', dir]);
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.once('data', (d: Buffer) => resolve(d.toString().split('\n')[0]!));
        child.once('exit', (code) => reject(new Error(`the emulator exited with ${code}`)));
      });
      assert.match(url, /^https:\/\/127\.0\.0\.1:\d+\/event$/);
      const status = await new Promise<number>((resolve, reject) => {
        const req = https.request(url, { method: 'POST', ca: readFileSync(join(dir, 'ca.pem')), headers: { 'content-type': 'application/json', 'x-api-key': 'da2-clitlsclitlsclitlsclitls' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end('{"channel":"default/x","events":["1"]}');
      });
      assert.equal(status, 200);
    } finally {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
