import assert from 'node:assert/strict';
import http from 'node:http';
import { createEmulator, type Emulator } from '../src/emulator';

// The web console answers its own page only (issue 18): a page of another site cannot publish through it or read it,
// and a DNS-rebound host name is not served.

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(emulator: Emulator, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: emulator.port, method, path, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe("the emulator's web console answers its own page only", () => {
  let emulator: Emulator;
  let own: string;
  const publish = JSON.stringify({ channel: '/default/console', events: [{ n: 1 }] });

  before(async () => {
    emulator = await createEmulator({ apiKeys: ['da2-consoleguardconsoleguard'] });
    own = `127.0.0.1:${emulator.port}`;
  });
  after(() => emulator.stop());

  it('serves its page, state and publish to a request from its own page', async () => {
    assert.equal((await request(emulator, 'GET', '/', { host: own })).status, 200);
    assert.equal((await request(emulator, 'GET', '/console/state', { host: `localhost:${emulator.port}` })).status, 200);
    const answer = await request(emulator, 'POST', '/console/publish', { host: own, origin: `http://${own}`, 'content-type': 'application/json' }, publish);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['access-control-allow-origin'], undefined);
    assert.equal(emulator.stats().publishedEvents, 1);
  });

  it('refuses a POST from another origin, a text/plain POST, and a host name that is not its own', async () => {
    const before = emulator.stats().publishedEvents;
    const cases: Array<[string, Record<string, string>]> = [
      ['another origin', { host: own, origin: 'https://evil.example', 'content-type': 'application/json' }],
      ['the null origin', { host: own, origin: 'null', 'content-type': 'application/json' }],
      ['text/plain, no origin', { host: own, 'content-type': 'text/plain' }],
      ['a rebound host name', { host: `evil.example:${emulator.port}`, 'content-type': 'application/json' }],
    ];
    for (const [name, headers] of cases) {
      const answer = await request(emulator, 'POST', '/console/publish', headers, publish);
      assert.equal(answer.status, 403, name);
      assert.match(answer.body, /ForbiddenException/, name);
      assert.equal(answer.headers['access-control-allow-origin'], undefined, name);
    }
    for (const path of ['/', '/console/state', '/console/log']) {
      assert.equal((await request(emulator, 'GET', path, { host: `rebind.example:${emulator.port}` })).status, 403, path);
    }
    // The fence: a good publish after the refused ones is the only one counted.
    assert.equal((await request(emulator, 'POST', '/console/publish', { host: own, 'content-type': 'application/json' }, publish)).status, 200);
    assert.equal(emulator.stats().publishedEvents, before + 1);
  });

  it('gives no CORS preflight for the console, and still does for POST /event', async () => {
    const preflight = { host: own, origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' };
    const consoleAnswer = await request(emulator, 'OPTIONS', '/console/publish', preflight);
    assert.equal(consoleAnswer.headers['access-control-allow-origin'], undefined);
    assert.notEqual(consoleAnswer.status, 204);
    const eventAnswer = await request(emulator, 'OPTIONS', '/event', preflight);
    assert.equal(eventAnswer.status, 204);
    assert.equal(eventAnswer.headers['access-control-allow-origin'], '*');
  });
});
