import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Events, apiKeyAuthorizer, type Authorizer, type Logger } from '../src/client';
import { EndpointOutbox } from '../src/client/outbox/endpoint-outbox';
import { EndpointConnection } from '../src/nodes/endpoint-connection';
import { EventsError } from '../src/protocol/errors';
import type { ClientMessage } from '../src/protocol/messages';
import { API_KEY, FAST, startEmulator } from './support/fixtures';
import { waitFor } from './support/wait';

// The file store is the endpoint connection's own: a publish that names its origin is stored, and the store sends it
// back through the same connection with the authorizer its node gave when it attached, never looked up per publish.

function quietLog(warnings: string[]): Logger {
  const ignore = () => {};
  return { error: ignore, warn: (m) => warnings.push(m), info: ignore, debug: ignore };
}

/** The emulator's API key, counting the requests it authorizes under `name`. */
function counted(name: string, uses: string[]): Authorizer {
  const key = apiKeyAuthorizer(API_KEY);
  return (request) => {
    if (request.operation === 'publish') uses.push(name);
    return key(request);
  };
}

describe("the endpoint connection's file store", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'appsync-endpoint-outbox-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('sends stored publishes in order through the connection: an attached node with its own authorizer, a node gone from the flows with one looked up by id', async () => {
    const emulator = await startEmulator();
    const events = new Events(emulator.httpUrl);
    const connection = new EndpointConnection({
      webSocket: () => events.createWebSocketClient(apiKeyAuthorizer(API_KEY), FAST),
      rest: () => events.createRestClient(apiKeyAuthorizer(API_KEY)),
      pool: { publishConnections: 1 },
    });
    const path = join(dir, 'outbox.jsonl');
    const uses: string[] = [];
    const lookups: string[] = [];
    const warnings: string[] = [];
    const open = () =>
      new EndpointOutbox({
        path,
        maxRequests: 100,
        maxBytes: 1024 * 1024,
        whenFull: 'reject',
        authRetryDelayMs: 60_000,
        log: quietLog(warnings),
        sending: connection,
        authorizerById: (id) => (lookups.push(id), counted(id, uses)),
        probe: () => Promise.resolve(true),
      });
    const received: number[] = [];
    emulator.events.on('message', (_id, m: ClientMessage) => {
      if (m.type === 'publish') received.push(...m.events.map((e) => (JSON.parse(e) as { n: number }).n));
    });
    try {
      // A run that stored three publishes of node "gone" and closed before any was sent (no node attached): the
      // close answers them, although their writes were still under way.
      const first = open();
      const owed = [0, 1, 2].map((n) => first.publish('/default/stored', [{ n }], 'websocket', { node: 'gone', authorizer: 'authA', record: {} }).catch((err: unknown) => err));
      await first.close();
      for (const outcome of await Promise.all(owed)) assert.ok(outcome instanceof EventsError && outcome.errorType === 'StoredForLater');

      const second = open();
      connection.store = second;
      const replayed: string[] = [];
      second.attach('present', { authorizerId: 'authB', authorizer: counted('authB', uses), replayed: (_r, channel) => replayed.push(channel) });
      const answers = [3, 4, 5].map((n) => connection.publish('/default/stored', [{ n }], { transport: 'websocket', origin: { node: 'present', authorizer: 'authB', record: {} } }));
      const results = await Promise.all(answers);
      assert.deepEqual(results.map((r) => r.successful.length), [1, 1, 1]);
      await waitFor(() => second.outbox.size === 0, 'the outbox drained');
      assert.deepEqual(received, [0, 1, 2, 3, 4, 5], 'in the order they were stored, the previous run first');
      assert.deepEqual(uses, ['authA', 'authA', 'authA', 'authB', 'authB', 'authB'], "each with its node's authorizer");
      assert.deepEqual(lookups, ['authA', 'authA', 'authA'], "looked up only for the node that is gone, and its publishes are its node's alone");
      assert.deepEqual(replayed, [], 'the attached node made its publishes in this run: they are answered, not replayed');
      assert.equal(warnings.filter((w) => w.includes('node gone is no longer in the flows')).length, 3);
      await second.close();
    } finally {
      await connection.close();
      await emulator.stop();
    }
  });
});
