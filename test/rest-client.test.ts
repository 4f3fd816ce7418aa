import assert from 'node:assert/strict';
import { Events, EventsError, apiKeyAuthorizer, authTokenAuthorizer, iamAuthorizer, staticCredentials, type EventsRestClient } from '../src/client';
import type { Emulator } from '../src/emulator';
import { API_KEY, FAST, IAM_KEY, startEmulator } from './support/fixtures';
import { Collector, waitFor } from './support/wait';

describe('REST client against the emulator', () => {
  let emulator: Emulator;
  const clients: EventsRestClient[] = [];
  const rest = (authorizer = apiKeyAuthorizer(API_KEY)) => {
    const c = new Events(emulator.httpUrl).createRestClient(authorizer, { retryBaseDelayMs: 5, retryMaxDelayMs: 20 });
    clients.push(c);
    return c;
  };
  beforeEach(async () => {
    emulator = await startEmulator();
  });
  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    await emulator.stop();
  });

  it('publishes over HTTP in requests of at most 5, in order, to WebSocket subscribers', async () => {
    const ws = new Events(emulator.httpUrl).createWebSocketClient(apiKeyAuthorizer(API_KEY), FAST);
    try {
      const got = new Collector<unknown>();
      await ws.subscribe('default/*', { onEvent: got.push }).ready;
      const twelve = Array.from({ length: 12 }, (_, i) => `e${i}`);
      const result = await rest().publish('/default/http', twelve);
      assert.deepEqual(result.successful.map((s) => s.index), twelve.map((_, i) => i));
      assert.equal(emulator.stats().httpPublishRequests, 3);
      assert.deepEqual(await got.waitFor(12), twelve);
    } finally {
      await ws.disconnect();
    }
  });

  it('signs the exact HTTP body with IAM, special characters included', async () => {
    const client = rest(iamAuthorizer({ region: 'us-east-1', credentials: staticCredentials(IAM_KEY) }));
    const result = await client.publish('default/iam', [{ s: '<b>&\'"é😀/' }]);
    assert.equal(result.successful.length, 1);
  });

  it('accepts token authorization', async () => {
    assert.equal((await rest(authTokenAuthorizer('good-token')).publish('default/t', [1])).successful.length, 1);
  });

  it('retries throttling with backoff and succeeds', async () => {
    emulator.faults.throttlePublishes(2);
    const result = await rest().publish('default/retry', [1]);
    assert.equal(result.successful.length, 1);
    assert.equal(emulator.stats().httpPublishRequests, 3);
  });

  it('retries throttling past the request timeout, until the publish goes through', async () => {
    emulator.faults.throttlePublishes(Infinity);
    const started = Date.now();
    const throttled = new Events(emulator.httpUrl).createRestClient(apiKeyAuthorizer(API_KEY), { requestTimeoutMs: 400, retryBaseDelayMs: 10, retryMaxDelayMs: 50 }).publish('default/retry', [1]);
    await waitFor(() => emulator.stats().httpPublishRequests > 4 && Date.now() - started > 400, 'more attempts than the retry budget of other errors, past the request timeout', 10_000);
    emulator.faults.throttlePublishes(0);
    assert.equal((await throttled).successful.length, 1);
  });

  it('paces requests to publishRate', async () => {
    const client = new Events(emulator.httpUrl).createRestClient(apiKeyAuthorizer(API_KEY), { publishRate: 20 });
    const started = Date.now();
    await Promise.all(Array.from({ length: 6 }, (_, n) => client.publish('default/paced', [n])));
    assert.ok(Date.now() - started >= 240, `6 requests at 20/s take at least 250 ms (${Date.now() - started} ms)`);
  });

  it('never retries a 4xx', async () => {
    await assert.rejects(rest(apiKeyAuthorizer('da2-wrong')).publish('default/x', [1]), (err: EventsError) => err.errorType === 'UnauthorizedException' && err.code === 401 && !err.retryable);
    await assert.rejects(rest().publish('nonamespace/x', [1]), (err: EventsError) => err.errorType === 'UnauthorizedException');
    assert.equal(emulator.stats().httpPublishRequests, 2);
  });

  it('retries network errors and reports them clearly', async () => {
    const url = emulator.httpUrl;
    await emulator.stop();
    const client = new Events(url).createRestClient(apiKeyAuthorizer(API_KEY), { retryBaseDelayMs: 1, retryMaxDelayMs: 2, maxRetries: 2 });
    clients.push(client);
    await assert.rejects(client.publish('default/x', [1]), (err: EventsError) => err.errorType === 'NetworkError' && err.retryable && /ECONNREFUSED/.test(err.message));
    emulator = await startEmulator();
  });

  it('refuses bad input before sending', async () => {
    const client = rest();
    await assert.rejects(client.publish('default/*', [1]), /InvalidChannel/);
    await assert.rejects(client.publish('default/x', [undefined]), /InvalidEvent/);
    await assert.rejects(client.publish('default/x', []), /EmptyBatch/);
    await assert.rejects(client.publish('default/x', ['x'.repeat(250_000)]), /EventTooLarge/);
    assert.equal(emulator.stats().httpPublishRequests, 0);
  });
});
