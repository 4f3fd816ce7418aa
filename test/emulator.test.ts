import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import WebSocket from 'ws';
import { createEmulator, type Emulator } from '../src/emulator';
import { iamAuthorizer, staticCredentials } from '../src/client';
import { encodeAuthSubprotocol } from '../src/protocol/encoding';
import { publishSigningBody } from '../src/protocol/signing-body';
import { API_KEY, IAM_KEY, startEmulator } from './support/fixtures';

type Frame = Record<string, unknown> & { type: string };

/** A raw protocol session: frames in, frames out, no client library involved. */
class RawSession {
  readonly frames: Frame[] = [];
  closeCode: number | undefined;
  /** Resolves with the close code. */
  readonly closed: Promise<number>;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => this.frames.push(JSON.parse(d.toString()) as Frame));
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve((this.closeCode = code))));
  }

  static async open(emulator: Emulator, auth: Record<string, string> | undefined, headers: Record<string, string> = {}): Promise<RawSession> {
    const protocols = ['aws-appsync-event-ws', ...(auth ? [`header-${encodeAuthSubprotocol(auth)}`] : [])];
    const ws = new WebSocket(emulator.realtimeUrl, protocols, { headers });
    const session = new RawSession(ws);
    await once(ws, 'open');
    assert.equal(ws.protocol, 'aws-appsync-event-ws');
    return session;
  }

  send(frame: object | string): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next frame of `type`, taken out of `frames`: one already received, or the first to come. */
  next(type: string, timeoutMs = 2_000): Promise<Frame> {
    return this.nextWhere((f) => f.type === type, timeoutMs, type);
  }

  /** The next frame that matches, taken out of `frames`. */
  nextWhere(matches: (frame: Frame) => boolean, timeoutMs = 2_000, what = 'matching'): Promise<Frame> {
    const take = () => {
      const i = this.frames.findIndex(matches);
      return i >= 0 ? this.frames.splice(i, 1)[0] : undefined;
    };
    const found = take();
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      // Registered after the listener that fills `frames`, so it sees each frame once it is there.
      const check = () => {
        const frame = take();
        if (!frame) return;
        clearTimeout(timer);
        this.ws.off('message', check);
        resolve(frame);
      };
      const timer = setTimeout(() => {
        this.ws.off('message', check);
        reject(new Error(`no ${what} frame; got ${JSON.stringify(this.frames)}`));
      }, timeoutMs);
      this.ws.on('message', check);
    });
  }

  /**
   * A fence: publishes `"fence"` on `channel` and waits for its `count` data frames, which come after every frame the
   * emulator sent before (one connection keeps the order), then drops them from `frames`.
   */
  async fence(channel: string, count: number, authorization: Record<string, string>): Promise<void> {
    this.send({ type: 'publish', id: 'fence', channel, events: ['"fence"'], authorization });
    await this.next('publish_success');
    for (let i = 0; i < count; i++) await this.nextWhere((f) => f.type === 'data' && f.event === '"fence"');
  }
}

function post(emulator: Emulator, body: string, headers: Record<string, string>, path = '/event', method = 'POST'): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, emulator.httpUrl), { method, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString() || '{}') as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('emulator: the wire protocol, frame by frame', () => {
  let emulator: Emulator;
  const auth = { 'x-api-key': API_KEY };
  beforeEach(async () => {
    emulator = await startEmulator({ keepAliveIntervalMs: 100, connectionTimeoutMs: 1234 });
  });
  afterEach(() => emulator.stop());

  it('acknowledges connection_init with connectionTimeoutMs and sends ka frames', async () => {
    const s = await RawSession.open(emulator, { host: new URL(emulator.httpUrl).host, ...auth });
    s.send({ type: 'connection_init' });
    assert.deepEqual(await s.next('connection_ack'), { type: 'connection_ack', connectionTimeoutMs: 1234 });
    await s.next('ka');
    await s.next('ka', 300);
    s.ws.close();
  });

  it('accepts operations without connection_init, and auth as plain upgrade headers (KT, Swift style)', async () => {
    const s = await RawSession.open(emulator, undefined, auth);
    s.send({ type: 'subscribe', id: 'sub-1', channel: 'default/a', authorization: auth });
    assert.deepEqual(await s.next('subscribe_success'), { type: 'subscribe_success', id: 'sub-1' });
    s.ws.close();
  });

  it('refuses a bad key with connection_error, then a normal close', async () => {
    const s = await RawSession.open(emulator, { 'x-api-key': 'da2-nope' });
    const error = await s.next('connection_error');
    assert.deepEqual(error.errors, [{ errorType: 'UnauthorizedException', message: 'You are not authorized to make this call.', errorCode: 401 }]);
    assert.equal(await s.closed, 1000);
  });

  it('answers 404 for another path, and needs the aws-appsync-event-ws subprotocol', async () => {
    const wrongPath = new WebSocket(emulator.realtimeUrl.replace('realtime', 'elsewhere'), ['aws-appsync-event-ws']);
    const [, res] = (await once(wrongPath, 'unexpected-response')) as [unknown, http.IncomingMessage];
    assert.equal(res.statusCode, 404);
    const noProtocol = new WebSocket(emulator.realtimeUrl, ['graphql-ws'], { headers: auth });
    const [, res2] = (await once(noProtocol, 'unexpected-response')) as [unknown, http.IncomingMessage];
    assert.equal(res2.statusCode, 400);
  });

  it('fans out one data frame per event per matching subscription, wildcards at any depth', async () => {
    const s = await RawSession.open(emulator, auth);
    s.send({ type: 'subscribe', id: 'exact', channel: '/default/a/b', authorization: auth });
    s.send({ type: 'subscribe', id: 'wild', channel: 'default/*', authorization: auth });
    s.send({ type: 'subscribe', id: 'deepwild', channel: 'default/a/*', authorization: auth });
    for (let i = 0; i < 3; i++) await s.next('subscribe_success');
    s.send({ type: 'publish', id: 'p1', channel: 'default/a/b', events: ['{"n":1}', '2'], authorization: auth });
    const ack = await s.next('publish_success');
    assert.deepEqual((ack.successful as Array<{ index: number }>).map((x) => x.index), [0, 1]);
    assert.deepEqual(ack.failed, []);
    await s.fence('default/a/b', 3, auth);
    const data = s.frames.filter((f) => f.type === 'data').map((f) => `${f.id as string}:${f.event as string}`).sort();
    assert.deepEqual(data, ['deepwild:2', 'deepwild:{"n":1}', 'exact:2', 'exact:{"n":1}', 'wild:2', 'wild:{"n":1}']);
    s.frames.length = 0;
    // The bare namespace is not below `default/*` (an undocumented case; see fanOut).
    s.send({ type: 'publish', id: 'p2', channel: 'default', events: ['3'], authorization: auth });
    await s.next('publish_success');
    await s.fence('default/a/b', 3, auth);
    assert.deepEqual(s.frames.filter((f) => f.type === 'data'), []);
    s.ws.close();
  });

  it('gives each error its documented shape', async () => {
    const s = await RawSession.open(emulator, auth);
    s.send({ type: 'subscribe', id: 'dup', channel: 'default/a', authorization: auth });
    await s.next('subscribe_success');
    s.send({ type: 'subscribe', id: 'dup', channel: 'default/b', authorization: auth });
    assert.equal(((await s.next('subscribe_error')).errors as Frame[])[0]?.errorType, 'DuplicatedOperationError');
    s.send({ type: 'subscribe', id: 'badns', channel: 'nope/a', authorization: auth });
    assert.deepEqual((await s.next('subscribe_error')).errors, [{ errorType: 'UnauthorizedException' }]);
    s.send({ type: 'subscribe', id: 'badch', channel: 'default/a_b', authorization: auth });
    assert.deepEqual((await s.next('subscribe_error')).errors, [{ errorType: 'BadRequestException', message: 'Invalid Channel Format' }]);
    s.send({ type: 'subscribe', id: 'badkey', channel: 'default/a', authorization: { 'x-api-key': 'da2-x' } });
    assert.equal(((await s.next('subscribe_error')).errors as Frame[])[0]?.errorType, 'UnauthorizedException');
    s.send({ type: 'unsubscribe', id: 'ghost' });
    assert.deepEqual(await s.next('unsubscribe_error'), { type: 'unsubscribe_error', id: 'ghost', errors: [{ errorType: 'UnknownOperationError', message: 'Unknown operation id ghost' }] });
    s.send({ type: 'unsubscribe', id: 'dup' });
    assert.deepEqual(await s.next('unsubscribe_success'), { type: 'unsubscribe_success', id: 'dup' });
    s.send({ type: 'publish', id: 'six', channel: 'default/a', events: ['1', '2', '3', '4', '5', '6'], authorization: auth });
    assert.deepEqual((await s.next('publish_error')).errors, [{ errorType: 'InvalidInputError', message: 'input exceeded 5 event limit' }]);
    s.send({ type: 'publish', id: 'wild', channel: 'default/*', events: ['1'], authorization: auth });
    assert.deepEqual((await s.next('publish_error')).errors, [{ errorType: 'BadRequestException', message: 'Invalid Channel Format' }]);
    s.send({ type: 'publish', id: 'big', channel: 'default/a', events: [JSON.stringify('x'.repeat(250_000)), '1', 'not json'], authorization: auth });
    const partial = await s.next('publish_success');
    assert.deepEqual(
      (partial.failed as Frame[]).map((f) => [f.index, f.code]),
      [[0, 'EventTooLargeException'], [2, 'BadRequestException']],
    );
    assert.equal((partial.failed as Frame[])[0]?.message, 'Transformed event is larger than 240KB');
    s.send({ type: 'mystery', id: 'm' });
    assert.equal(((await s.next('error')).errors as Frame[])[0]?.errorType, 'UnsupportedOperation');
    s.send('not json');
    assert.equal(((await s.next('error')).errors as Frame[])[0]?.errorType, 'UnsupportedOperation');
    s.ws.close();
  });

  it('enforces the subscriptions-per-connection limit', async () => {
    await emulator.stop();
    emulator = await createEmulator({ apiKeys: [API_KEY], maxSubscriptionsPerConnection: 2 });
    const s = await RawSession.open(emulator, auth);
    for (const id of ['a', 'b', 'c']) s.send({ type: 'subscribe', id, channel: `default/${id}`, authorization: auth });
    await s.next('subscribe_success');
    await s.next('subscribe_success');
    assert.equal(((await s.next('subscribe_error')).errors as Frame[])[0]?.errorType, 'MaxSubscriptionsReachedError');
    s.ws.close();
  });

  it('reproduces the IAM WebSocket signature mismatch for raw "<" in events (aws-appsync-community#400)', async () => {
    const sign = iamAuthorizer({ region: 'us-east-1', credentials: staticCredentials(IAM_KEY) });
    const url = new URL(emulator.httpUrl);
    const s = await RawSession.open(emulator, auth);
    const publish = async (id: string, event: string) => {
      const authorization = await sign({ operation: 'publish', transport: 'websocket', httpUrl: emulator.httpUrl, httpHost: url.host, body: publishSigningBody('/default/a', [event]) });
      s.send({ type: 'publish', id, channel: '/default/a', events: [event], authorization });
    };
    await publish('plain', '{"a":"b"}');
    await s.next('publish_success');
    await publish('html', '{"a":"<b>"}');
    assert.match((((await s.next('publish_error')).errors as Frame[])[0]?.message as string) ?? '', /signature we calculated does not match/);
    await publish('escaped', '{"a":"\\u003cb\\u003e"}');
    await s.next('publish_success');
    s.ws.close();
  });

  it('publishes from the server side, as a backend would', async () => {
    const s = await RawSession.open(emulator, auth);
    s.send({ type: 'subscribe', id: 'w', channel: 'default/*', authorization: auth });
    await s.next('subscribe_success');
    emulator.publish('default/from/backend', ['{"b":1}', '2']);
    assert.deepEqual(await s.next('data'), { type: 'data', id: 'w', event: '{"b":1}' });
    assert.deepEqual(await s.next('data'), { type: 'data', id: 'w', event: '2' });
    assert.throws(() => emulator.publish('default/*', ['1']), /InvalidChannel/);
    s.ws.close();
  });

  it('can limit WebSocket publish requests per connection and second', async () => {
    await emulator.stop();
    emulator = await createEmulator({ apiKeys: [API_KEY], publishRequestsPerSecond: 3 });
    const s = await RawSession.open(emulator, auth);
    for (let i = 0; i < 5; i++) s.send({ type: 'publish', id: `p${i}`, channel: 'default/a', events: ['1'], authorization: auth });
    for (let i = 0; i < 3; i++) await s.next('publish_success');
    assert.deepEqual((await s.next('publish_error')).errors, [{ errorType: 'LimitExceededError', message: 'Rate exceeded' }]);
    await s.next('publish_error');
    s.ws.close();
  });

  it("enforces AppSync's quoted quotas by default: 25 publish requests per second and 200 subscriptions per connection", async () => {
    await emulator.stop();
    emulator = await createEmulator({ apiKeys: [API_KEY] });
    const s = await RawSession.open(emulator, auth);
    for (let i = 0; i < 26; i++) s.send({ type: 'publish', id: `p${i}`, channel: 'default/a', events: ['1'], authorization: auth });
    for (let i = 0; i < 25; i++) await s.next('publish_success');
    assert.equal(((await s.next('publish_error')).errors as Frame[])[0]?.errorType, 'LimitExceededError');
    for (let i = 0; i < 201; i++) s.send({ type: 'subscribe', id: `s${i}`, channel: `default/c${i}`, authorization: auth });
    for (let i = 0; i < 200; i++) await s.next('subscribe_success');
    assert.deepEqual((await s.next('subscribe_error')).errors, [{ errorType: 'MaxSubscriptionsReachedError', message: 'Max number of 200 subscriptions reached' }]);
    s.ws.close();
  });

  it('serves HTTP publish with the documented status codes and shapes', async () => {
    const key = { 'x-api-key': API_KEY };
    const ok = await post(emulator, '{"channel":"default/a","events":["1"]}', key);
    assert.equal(ok.status, 200);
    assert.equal((ok.body.successful as unknown[]).length, 1);
    assert.deepEqual(await post(emulator, '{"channel":"default/a","events":["1","2","3","4","5","6"]}', key), { status: 400, body: { errors: [{ errorType: 'BadRequestException', message: 'Input exceeded 5 event limit' }] } });
    assert.equal((await post(emulator, '{"channel":"default/a","events":["1"]}', { 'x-api-key': 'da2-no' })).status, 401);
    assert.equal((await post(emulator, '{"channel":"default/a","events":["1"]}', key, '/other')).status, 404);
    assert.equal((await post(emulator, '', key, '/event', 'GET')).status, 405);
    emulator.faults.throttlePublishes(1);
    assert.equal((await post(emulator, '{"channel":"default/a","events":["1"]}', key)).status, 429);
  });
});

describe('emulator command (appsync-events-local)', () => {
  it('prints the endpoint and a generated API key, serves, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['dist/emulator-cli.js', '--port', '0', '--namespace', 'default', '--namespace', 'news', '--ka-interval', '500'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no api key line within 5 s: ${out}`)), 5_000);
        const check = () => {
          if (!/api key: \S+\n/.test(out)) return;
          clearTimeout(timer);
          child.stdout.off('data', check);
          resolve();
        };
        child.stdout.on('data', check);
      });
      const [url, keyLine] = out.trim().split('\n');
      assert.match(url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/event$/);
      const key = keyLine?.replace('api key: ', '') ?? '';
      const fake = { httpUrl: url! } as Emulator;
      const answer = await post(fake, '{"channel":"news/today","events":["1"]}', { 'x-api-key': key });
      assert.equal(answer.status, 200);
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 0);
  });

  it('takes the quotas as --max-subscriptions and --publish-rate (0: no limit)', async () => {
    const child = spawn(process.execPath, ['dist/emulator-cli.js', '--port', '0', '--api-key', API_KEY, '--max-subscriptions', '1', '--publish-rate', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise<void>((resolve) => child.stdout.on('data', () => /\/event\n/.test(out) && resolve()));
      const port = Number(/:(\d+)\/event/.exec(out)?.[1]);
      const auth = { 'x-api-key': API_KEY };
      const s = await RawSession.open({ realtimeUrl: `ws://127.0.0.1:${port}/event/realtime`, httpUrl: `http://127.0.0.1:${port}/event` } as Emulator, auth);
      for (let i = 0; i < 30; i++) s.send({ type: 'publish', id: `p${i}`, channel: 'default/a', events: ['1'], authorization: auth });
      for (let i = 0; i < 30; i++) await s.next('publish_success');
      for (const id of ['a', 'b']) s.send({ type: 'subscribe', id, channel: `default/${id}`, authorization: auth });
      await s.next('subscribe_success');
      assert.equal(((await s.next('subscribe_error')).errors as Frame[])[0]?.errorType, 'MaxSubscriptionsReachedError');
      s.ws.close();
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('explains bad arguments', async () => {
    const child = spawn(process.execPath, ['dist/emulator-cli.js', '--iam', 'onlyonepart'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 2);
    assert.match(err, /--iam takes ACCESS_KEY_ID:SECRET/);
  });
});
