import assert from 'node:assert/strict';
import type { Emulator } from '../src/emulator';
import { Events, EventsError, apiKeyAuthorizer, authTokenAuthorizer, iamAuthorizer, staticCredentials, type Authorizer, type EventsWebSocketClient, type SubscriptionState } from '../src/client';
import type { ClientMessage } from '../src/protocol/messages';
import { API_KEY, FAST, IAM_KEY, apiKeyClient, recordStates, scriptedServer, startEmulator } from './support/fixtures';
import { Collector, sleep, waitFor } from './support/wait';

describe('WebSocket client against the emulator', () => {
  let emulator: Emulator;
  const clients: EventsWebSocketClient[] = [];
  const track = (c: EventsWebSocketClient) => (clients.push(c), c);

  beforeEach(async () => {
    emulator = await startEmulator();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.disconnect(false)));
    await emulator.stop();
  });

  it('opens the socket on first use only, with the auth subprotocol, and reports its states', async () => {
    const client = track(apiKeyClient(emulator));
    const states = recordStates(client);
    // Opening is synchronous (the state turns to connecting at once): idle means nothing opened it.
    assert.equal(client.state.status, 'idle');
    assert.equal(emulator.stats().totalConnections, 0);
    await client.subscribe('default/a').ready;
    assert.deepEqual(states.map((s) => s.status), ['connecting', 'connected']);
    assert.equal(emulator.stats().openConnections, 1);
  });

  it('delivers published events to exact and wildcard subscriptions, in order, with their channel', async () => {
    const client = track(apiKeyClient(emulator));
    const exact = new Collector<unknown>();
    const wild = new Collector<[unknown, string]>();
    await client.subscribe('default/room', { onEvent: exact.push }).ready;
    await client.subscribe('/default/*', { onEvent: (e, m) => wild.push([e, m.channel]) }).ready;
    const values = [{ a: 1 }, 'two', 3, [4], null, false, { deep: { é: '😀' } }];
    const result = await client.publish('default/room', values);
    assert.deepEqual(result.successful.map((s) => s.index), [0, 1, 2, 3, 4, 5, 6]);
    assert.deepEqual(await exact.waitFor(7), values);
    await client.publish('default/room/deeper/still', [{ b: 2 }]);
    const got = await wild.waitFor(8);
    assert.deepEqual(got.map(([e]) => e), [...values, { b: 2 }]);
    assert.ok(got.every(([, c]) => c === '/default/*'));
    // The fence: an event on the exact channel after the deeper one arrives after it would have.
    await client.publish('default/room', ['fence']);
    assert.deepEqual(await exact.waitFor(8), [...values, 'fence'], 'the exact subscription must not get deeper channels');
  });

  it('delivers raw JSON text when asked', async () => {
    const client = track(apiKeyClient(emulator));
    const raw = new Collector<unknown>();
    await client.subscribe('default/raw', { onEvent: raw.push }, { output: 'string' }).ready;
    await client.publish('default/raw', [{ a: [1, 2] }]);
    assert.deepEqual(await raw.waitFor(1), ['{"a":[1,2]}']);
  });

  it('splits 12 events into requests of 5, 5 and 2, in order, and maps results to the caller indices', async () => {
    const client = track(apiKeyClient(emulator));
    const sent: ClientMessage[] = [];
    emulator.events.on('message', (_c, m) => sent.push(m));
    const received = new Collector<unknown>();
    await client.subscribe('default/batch', { onEvent: received.push }).ready;
    const twelve = Array.from({ length: 12 }, (_, i) => ({ i }));
    const result = await client.publish('default/batch', twelve);
    assert.deepEqual(result.successful.map((s) => s.index), twelve.map((_, i) => i));
    assert.deepEqual(sent.filter((m) => m.type === 'publish').map((m) => (m.type === 'publish' ? m.events.length : 0)), [5, 5, 2]);
    assert.deepEqual(await received.waitFor(12), twelve);
  });

  it('retries a throttled chunk past the request timeout; a chunk that fails turns into failed entries at the right indices', async () => {
    const client = track(apiKeyClient(emulator, { requestTimeoutMs: 300 }));
    await client.connect();
    emulator.faults.throttlePublishes(0);
    const sent: number[] = [];
    // The second request is throttled for good: retried, never reported, until the client is closed.
    emulator.events.on('message', (_c, m) => {
      if (m.type === 'publish' && (sent.push(m.events.length), sent.length === 2)) emulator.faults.throttlePublishes(Infinity);
    });
    const started = Date.now();
    const publishing = client.publish('default/x', [0, 1, 2, 3, 4, 5, 6]);
    await waitFor(() => sent.length >= 4 && Date.now() - started > 300, 'retries past the request timeout', 10_000);
    await client.disconnect(false);
    const result = await publishing;
    emulator.faults.throttlePublishes(0);
    assert.deepEqual(result.successful.map((s) => s.index), [0, 1, 2, 3, 4]);
    assert.deepEqual(result.failed.map((f) => [f.index, f.code]), [[5, 'ClientClosed'], [6, 'ClientClosed']]);
  });

  it('rejects with the service error when every chunk is refused', async () => {
    const client = track(apiKeyClient(emulator));
    await assert.rejects(client.publish('nope/x', [1]), (err: EventsError) => err.errorType === 'UnauthorizedException' && !err.retryable);
    emulator.faults.throttlePublishes(2);
    assert.equal((await client.publish('default/x', [1])).successful.length, 1, 'throttled twice, then accepted: not an error');
    const impatient = track(apiKeyClient(emulator, { requestTimeoutMs: 200 }));
    let attempts = 0;
    emulator.events.on('message', (_c, m) => m.type === 'publish' && attempts++);
    emulator.faults.throttlePublishes(Infinity);
    const started = Date.now();
    const throttled = impatient.publish('default/x', [1]);
    await waitFor(() => attempts >= 3 && Date.now() - started > 200, 'retries past the request timeout', 10_000);
    emulator.faults.throttlePublishes(0);
    assert.equal((await throttled).successful.length, 1, 'throttled past the request timeout, then accepted: not an error');
  });

  it('paces publish requests to publishRate, in order', async () => {
    const client = track(apiKeyClient(emulator, { publishRate: 20 }));
    await client.connect();
    const at: number[] = [];
    emulator.events.on('message', (_c, m) => m.type === 'publish' && at.push(Date.now()));
    const results = await Promise.all(Array.from({ length: 6 }, (_, n) => client.publish('default/paced', [n])));
    assert.equal(results.length, 6);
    assert.ok(at.at(-1)! - at[0]! >= 240, `6 requests at 20/s spread over at least 250 ms (${at.at(-1)! - at[0]!} ms)`);
  });

  it('keeps many operations in flight at once, each answered by id', async () => {
    const client = track(apiKeyClient(emulator));
    const received = new Collector<unknown>();
    await client.subscribe('default/many', { onEvent: received.push }).ready;
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => client.publish('default/many', [i])));
    assert.ok(results.every((r) => r.successful.length === 1 && r.failed.length === 0));
    const got = await received.waitFor(200);
    assert.deepEqual(got, Array.from({ length: 200 }, (_, i) => i), 'frames go out in call order');
  });

  it('writes a burst a slice per event-loop turn, in call order, and never refuses it for the queue size while connected', async () => {
    const client = track(apiKeyClient(emulator, { queueSize: 10 }));
    const received = new Collector<unknown>();
    await client.subscribe('default/burst', { onEvent: received.push }).ready;
    const burst = Array.from({ length: 1_000 }, (_, i) => client.publish('default/burst', [i]));
    const waiting = client.queuedPublishes;
    assert.ok(waiting > 0 && waiting < 1_000, `part of the burst is written in the caller's turn, the rest waits for the next turns (${waiting} waiting)`);
    await new Promise(setImmediate);
    assert.ok(client.queuedPublishes < waiting, 'the next turn writes the next slice');
    // Published while the burst is still leaving: it goes behind it.
    const after = client.publish('default/burst', [1_000]);
    await Promise.all([...burst, after]);
    assert.deepEqual(await received.waitFor(1_001), Array.from({ length: 1_001 }, (_, i) => i));
  });

  it('reconnects after an abrupt drop and resubscribes every live subscription', async () => {
    const client = track(apiKeyClient(emulator));
    const states = recordStates(client);
    const a = new Collector<unknown>();
    const b = new Collector<unknown>();
    const subStates: SubscriptionState['status'][] = [];
    await client.subscribe('default/a', { onEvent: a.push, onStateChange: (s) => subStates.push(s.status) }).ready;
    await client.subscribe('default/*', { onEvent: b.push }).ready;
    emulator.faults.dropConnections();
    await waitFor(() => states.some((s) => s.status === 'reconnecting' && s.attempt === 1), 'the drop to be noticed');
    // The server counts a subscription before its acknowledgement reaches the client: wait for the client's view.
    await waitFor(() => client.subscriptions.every((s) => s.state.status === 'subscribed') && client.state.status === 'connected', 'resubscription');
    assert.equal(emulator.stats().subscriptions, 2);
    assert.deepEqual(subStates, ['subscribed', 'pending', 'subscribed']);
    await client.publish('default/a', ['after']);
    assert.deepEqual(await a.waitFor(1), ['after']);
    assert.deepEqual(await b.waitFor(1), ['after']);
    assert.equal(emulator.stats().totalConnections, 2);
  });

  it('reconnects and resubscribes when the service ends a connection at its maximum duration', async () => {
    emulator = (await emulator.stop(), await startEmulator({ maxConnectionDurationMs: 300 }));
    const client = track(apiKeyClient(emulator));
    const got = new Collector<unknown>();
    await client.subscribe('default/long', { onEvent: got.push }).ready;
    await waitFor(() => emulator.stats().totalConnections >= 2 && emulator.stats().subscriptions === 1 && client.state.status === 'connected', 'a second connection');
    await client.publish('default/long', ['still subscribed']);
    assert.deepEqual(await got.waitFor(1), ['still subscribed']);
  });

  it('replaces the connection before the maximum duration, make before break: no gap, no duplicate, no state change', async () => {
    emulator = (await emulator.stop(), await startEmulator({ maxConnectionDurationMs: 1_000 }));
    // The client knows the same limit, so it moves to a new connection half a second before it (rotationTime's least margin).
    const client = track(apiKeyClient(emulator, { maxConnectionDurationMs: 1_000 }));
    const states = recordStates(client);
    const exact: number[] = [];
    const wildcard: number[] = [];
    await client.subscribe('default/rotate', { onEvent: (e) => exact.push(e as number) }).ready;
    await client.subscribe('default/*', { onEvent: (e) => wildcard.push(e as number) }).ready;
    // A publish every few milliseconds from a second client, so that events land in every overlap window.
    // It rotates too: a publisher dropped at the limit would send its publishes in flight again (at-least-once).
    const publisher = track(apiKeyClient(emulator, { maxConnectionDurationMs: 1_000 }));
    const sent: number[] = [];
    const until = Date.now() + 4_500;
    const inFlight: Array<Promise<unknown>> = [];
    for (let n = 0; Date.now() < until; n++) {
      sent.push(n);
      inFlight.push(publisher.publish('default/rotate', [n]));
      // The subscriber publishes too: its publishes in flight when it switches are answered on the old connection.
      if (n % 10 === 0) inFlight.push(client.publish('other/x', [n]));
      // Time is the subject: publishes spread over 4.5 s land in every overlap window of the replacements.
      await sleep(3);
    }
    await Promise.all(inFlight);
    // The fence: a last event; a repeat of an earlier one would have come before it.
    await publisher.publish('default/rotate', [-1]);
    await waitFor(() => exact.at(-1) === -1 && wildcard.at(-1) === -1, `every event and the fence (${exact.length}/${sent.length})`);
    assert.deepEqual(exact, [...sent, -1], 'exact subscription: every event once, in order');
    assert.deepEqual(wildcard, [...sent, -1], 'wildcard subscription: every event once, in order');
    assert.deepEqual(states.map((s) => s.status), ['connecting', 'connected'], 'the connection was replaced without a state change');
    assert.ok(emulator.stats().totalConnections >= 5, `replaced about every 0.9 s (${emulator.stats().totalConnections} connections)`);
    await waitFor(() => emulator.stats().openConnections === 2, 'the old connections closed (one per client left)');
  });

  it('backs off with growing attempts while the server refuses connections, then recovers', async () => {
    const client = track(apiKeyClient(emulator, { reconnectBaseDelayMs: 10, reconnectMaxDelayMs: 50 }));
    const states = recordStates(client);
    emulator.faults.refuseConnections(3);
    await client.subscribe('default/a').ready;
    const attempts = states.filter((s) => s.status === 'reconnecting').map((s) => (s.status === 'reconnecting' ? s.attempt : 0));
    assert.deepEqual(attempts, [1, 2, 3]);
    assert.ok(states.every((s) => s.status !== 'reconnecting' || (s.delayMs >= 0 && s.delayMs <= 50)));
  });

  it('treats keep-alive silence as a dead connection and reconnects', async () => {
    emulator = (await emulator.stop(), await startEmulator({ keepAliveIntervalMs: 50 }));
    const client = track(apiKeyClient(emulator, { keepAliveTimeoutMs: 300 }));
    const received = new Collector<unknown>();
    await client.subscribe('default/ka', { onEvent: received.push }).ready;
    // Time is the subject: the connection must outlive its keep-alive timeout (300 ms) while ka frames arrive.
    await sleep(400);
    assert.equal(emulator.stats().totalConnections, 1, 'ka frames keep the connection alive');
    const states = recordStates(client);
    emulator.faults.setKeepAlive(false);
    await waitFor(() => states.some((s) => s.status === 'reconnecting'), 'the watchdog to fire', 2_000);
    const reason = states.find((s) => s.status === 'reconnecting');
    assert.ok(reason?.status === 'reconnecting' && reason.error?.errorType === 'Timeout');
    emulator.faults.setKeepAlive(true);
    await waitFor(() => client.state.status === 'connected' && emulator.stats().subscriptions === 1, 'reconnection');
    await client.publish('default/ka', [1]);
    assert.deepEqual(await received.waitFor(1), [1]);
  });

  it('reports a refused key as failed, fails waiting publishes, and does not retry in a storm', async () => {
    const client = track(apiKeyClient(emulator, { authRetryDelayMs: 60_000 }, 'da2-wrongwrongwrongwrongwrong'));
    const states = recordStates(client);
    const sub = client.subscribe('default/a');
    const pending = client.publish('default/a', [1]);
    await assert.rejects(pending, (err: EventsError) => err.errorType === 'UnauthorizedException' && err.code === 401);
    // An absence no later event can fence: the next attempt is due after authRetryDelay (60 s), a storm would come
    // within milliseconds.
    await sleep(300);
    assert.equal(emulator.stats().totalConnections, 0);
    const failed = states.filter((s) => s.status === 'failed');
    assert.equal(failed.length, 1);
    assert.ok(failed[0]?.status === 'failed' && failed[0].retryInMs === 60_000 && failed[0].error.isAuthError);
    assert.equal(states.filter((s) => s.status === 'connecting').length, 1, 'one attempt, no storm');
    await assert.rejects(client.publish('default/a', [2]), /UnauthorizedException/, 'publishes fail at once while failed');
    assert.equal(sub.state.status, 'pending');
  });

  it("survives an authorizer that throws from renew and expiresAt (its config node removed): the refusal is reported, the socket handler never throws", async () => {
    const gone = () => {
      throw new EventsError({ errorType: 'InvalidConfiguration', message: 'the authorizer is gone' });
    };
    const refused: Authorizer = Object.assign(apiKeyAuthorizer('da2-wrongwrongwrongwrongwrong'), { renew: gone, expiresAt: gone });
    const client = track(new Events(emulator.httpUrl).createWebSocketClient(refused, { ...FAST, authRetryDelayMs: 60_000 }));
    const states = recordStates(client);
    await assert.rejects(client.connect(), (err: EventsError) => err.errorType === 'InvalidConfiguration');
    assert.ok(states.some((s) => s.status === 'failed' && s.error.errorType === 'InvalidConfiguration'), JSON.stringify(states));
    const accepted: Authorizer = Object.assign(apiKeyAuthorizer(API_KEY), { expiresAt: gone });
    const other = track(new Events(emulator.httpUrl).createWebSocketClient(accepted, FAST));
    await other.subscribe('default/a').ready;
    assert.equal(other.state.status, 'connected', 'a credential whose expiry cannot be read is not replaced early');
  });

  it('retries a refused connection slowly and recovers when the credential becomes valid', async () => {
    let key = 'da2-wrongwrongwrongwrongwrong';
    const client = track(new Events(emulator.httpUrl).createWebSocketClient(apiKeyAuthorizer(() => key), { ...FAST, authRetryDelayMs: 200 }));
    const states = recordStates(client);
    const sub = client.subscribe('default/a');
    // `ready` settles with the refusal (awaiting it never hangs); the subscription stays and is made on recovery.
    await assert.rejects(sub.ready, (err: EventsError) => err.errorType === 'UnauthorizedException');
    assert.ok(states.some((s) => s.status === 'failed'));
    key = API_KEY;
    await waitFor(() => sub.state.status === 'subscribed', 'the subscription after recovery');
    assert.equal(client.state.status, 'connected');
  });

  it('isolates a refused subscription: the socket and sibling subscriptions keep working', async () => {
    const client = track(apiKeyClient(emulator));
    const good = new Collector<unknown>();
    const errors = new Collector<EventsError>();
    await client.subscribe('default/good', { onEvent: good.push }).ready;
    const denied = client.subscribe('undefined-namespace/x', { onError: errors.push });
    await assert.rejects(denied.ready, (err: EventsError) => err.errorType === 'UnauthorizedException');
    const wrongKey = client.subscribe('default/good', {}, { authorizer: apiKeyAuthorizer('da2-bad') });
    await assert.rejects(wrongKey.ready, /UnauthorizedException/);
    assert.equal(denied.state.status, 'failed');
    assert.equal((await errors.waitFor(1))[0]?.errorType, 'UnauthorizedException');
    await client.publish('default/good', ['still here']);
    assert.deepEqual(await good.waitFor(1), ['still here']);
    assert.equal(emulator.stats().totalConnections, 1);
    assert.deepEqual(client.subscriptions.map((s) => [s.channel, s.state.status]), [['/default/good', 'subscribed']]);
  });

  it('sends unsubscribe only after the subscribe is acknowledged, and stops delivery at once', async () => {
    const client = track(apiKeyClient(emulator));
    const order: string[] = [];
    emulator.events.on('message', (_c, m) => order.push(m.type));
    const early = client.subscribe('default/u');
    await early.unsubscribe();
    assert.equal(early.state.status, 'closed', 'never sent: nothing to unsubscribe');
    await client.connect();
    const received = new Collector<unknown>();
    const sub = client.subscribe('default/u', { onEvent: received.push });
    await sub.unsubscribe();
    assert.deepEqual(order.filter((t) => t !== 'connection_init'), ['subscribe', 'unsubscribe']);
    assert.equal(sub.state.status, 'closed');
    assert.equal(emulator.stats().subscriptions, 0);
    await client.publish('default/u', [1]);
    // The fence: a subscription made after the unsubscribe gets the next event; the first would have come before it.
    const fence = new Collector<unknown>();
    await client.subscribe('default/u', { onEvent: fence.push }).ready;
    await client.publish('default/u', [2]);
    assert.deepEqual(await fence.waitFor(1), [2]);
    assert.deepEqual(received.items, []);
  });

  it('queues publishes while disconnected and sends them after reconnecting', async () => {
    const client = track(apiKeyClient(emulator, { reconnectBaseDelayMs: 50, reconnectMaxDelayMs: 50 }));
    const received = new Collector<unknown>();
    await client.subscribe('default/q', { onEvent: received.push }).ready;
    emulator.faults.refuseConnections(2);
    emulator.faults.dropConnections();
    await waitFor(() => client.state.status === 'reconnecting', 'the drop');
    const publishes = [client.publish('default/q', [1]), client.publish('default/q', [2, 3])];
    assert.equal(client.queuedPublishes, 2);
    await Promise.all(publishes);
    assert.deepEqual(await received.waitFor(3), [1, 2, 3]);
  });

  it('fails a publish at once when the queue is full', async () => {
    const client = track(apiKeyClient(emulator, { queueSize: 2, reconnectBaseDelayMs: 5_000, reconnectMaxDelayMs: 5_000 }));
    emulator.faults.refuseConnections(1);
    const queued = [client.publish('default/q', [1]), client.publish('default/q', [2])];
    queued.forEach((p) => p.catch(() => {}));
    await assert.rejects(client.publish('default/q', [3]), (err: EventsError) => err.errorType === 'QueueFull');
    await assert.rejects(client.publish('default/q', Array.from({ length: 6 }, (_, i) => i)), /QueueFull/);
    assert.equal(client.queuedPublishes, 2);
  });

  it('stop() is a state of its own: a publish waits without opening the socket, and connect() opens it and sends it', async () => {
    const client = track(apiKeyClient(emulator));
    await client.connect();
    await client.stop();
    assert.equal(client.state.status, 'stopped');
    const waiting = client.publish('default/stopped', [1]);
    // Opening is synchronous (the state turns to connecting at once): still stopped means it did not open.
    assert.equal(client.state.status, 'stopped');
    assert.equal(client.queuedPublishes, 1);
    await client.connect();
    assert.equal((await waiting).successful.length, 1);
  });

  it('disconnect(true) flushes queued publishes; disconnect(false) drops them', async () => {
    const client = track(apiKeyClient(emulator));
    await client.connect();
    const flushed = client.publish('default/f', [1, 2, 3]);
    await client.disconnect(true);
    assert.equal((await flushed).successful.length, 3);
    assert.equal(client.state.status, 'closed');

    const dropper = track(apiKeyClient(emulator, { reconnectBaseDelayMs: 5_000, reconnectMaxDelayMs: 5_000 }));
    emulator.faults.refuseConnections(1);
    const dropped = dropper.publish('default/f', [1]);
    await dropper.disconnect(false);
    await assert.rejects(dropped, (err: EventsError) => err.errorType === 'ClientClosed');
  });

  it('opens one socket when disconnect and a new operation race a slow connect authorizer', async () => {
    // Each connect authorization waits for a gate; both gates open in the same tick, before any socket exists.
    const gates: Array<() => void> = [];
    const key = apiKeyAuthorizer(API_KEY);
    const gated: Authorizer = async (r) => {
      if (r.operation === 'connect') await new Promise<void>((open) => gates.push(open));
      return key(r);
    };
    const client = track(new Events(emulator.httpUrl).createWebSocketClient(gated, FAST));
    void client.connect().catch(() => {});
    await client.disconnect(false);
    const sub = client.subscribe('default/race');
    await waitFor(() => gates.length === 2, 'both connect attempts');
    gates.forEach((open) => open());
    await sub.ready;
    // The fence: a second client's connection, opened after both attempts were let go, is the second one counted.
    await track(apiKeyClient(emulator)).connect();
    assert.equal(emulator.stats().totalConnections, 2, 'the abandoned attempt opened no socket');
    assert.equal(emulator.stats().openConnections, 2);
  });

  it('opens a new socket on use after disconnect', async () => {
    const client = track(apiKeyClient(emulator));
    await client.publish('default/x', [1]);
    await client.disconnect();
    await waitFor(() => emulator.stats().openConnections === 0, 'close');
    await client.publish('default/x', [2]);
    assert.equal(emulator.stats().totalConnections, 2);
  });

  it('runs several clients for different APIs in one process', async () => {
    const second = await startEmulator({ apiKeys: ['da2-secondsecondsecondsecond'] });
    try {
      const a = track(apiKeyClient(emulator));
      const b = track(apiKeyClient(second, {}, 'da2-secondsecondsecondsecond'));
      const ra = new Collector<unknown>();
      const rb = new Collector<unknown>();
      await a.subscribe('default/x', { onEvent: ra.push }).ready;
      await b.subscribe('default/x', { onEvent: rb.push }).ready;
      await a.publish('default/x', ['a']);
      await b.publish('default/x', ['b']);
      assert.deepEqual(await ra.waitFor(1), ['a']);
      assert.deepEqual(await rb.waitFor(1), ['b']);
      await b.disconnect();
    } finally {
      await second.stop();
    }
  });

  it('uses a separate authorizer for connect, subscribe and publish, and per call', async () => {
    const ops: string[] = [];
    const spy = (name: string, inner = apiKeyAuthorizer(API_KEY)) => async (r: Parameters<typeof inner>[0]) => (ops.push(`${name}:${r.operation}`), inner(r));
    const client = track(new Events(emulator.httpUrl).createWebSocketClient({ connect: spy('c'), subscribe: authTokenAuthorizer('good-token'), publish: spy('p') }, FAST));
    await client.subscribe('default/x').ready;
    await client.publish('default/x', [1]);
    await client.publish('default/x', [1], { authorizer: spy('override') });
    assert.deepEqual(ops, ['c:connect', 'p:publish', 'override:publish']);
  });

  it('reads a token from a function at each use, so refreshed tokens take effect', async () => {
    let calls = 0;
    const client = track(new Events(emulator.httpUrl).createWebSocketClient(authTokenAuthorizer(async () => (calls++, 'Bearer good-token')), FAST));
    await client.subscribe('default/t').ready;
    await client.publish('default/t', [1]);
    assert.equal(calls, 3);
  });

  describe('IAM (SigV4 verified by the emulator)', () => {
    const iam = (creds = IAM_KEY) => iamAuthorizer({ region: 'us-east-1', credentials: staticCredentials(creds) });

    it('connects, subscribes and publishes events with <, >, /, quotes and non-ASCII text', async () => {
      const client = track(new Events(emulator.httpUrl).createWebSocketClient(iam(), FAST));
      const received = new Collector<unknown>();
      await client.subscribe('default/iam', { onEvent: received.push }).ready;
      const tricky = [{ html: '<b>bold</b> & </script>' }, "it's = \"quoted\" / slashed \\ back", 'ünïcødé ✓ 😀 \u2028', ['<', '>']];
      const result = await client.publish('default/iam', tricky);
      assert.equal(result.successful.length, 4);
      assert.deepEqual(await received.waitFor(4), tricky);
    });

    it('accepts temporary credentials with a session token', async () => {
      const temp = { accessKeyId: 'ASIATEMPEXAMPLE00001', secretAccessKey: 'tempSecret', sessionToken: 'session-token-value' };
      emulator = (await emulator.stop(), await startEmulator({ iam: [temp] }));
      const client = track(new Events(emulator.httpUrl).createWebSocketClient(iam(temp), FAST));
      await client.subscribe('default/iam').ready;
      assert.equal((await client.publish('default/iam', [{ x: '<y>' }])).successful.length, 1);
    });

    it('is refused with a wrong secret', async () => {
      const client = track(new Events(emulator.httpUrl).createWebSocketClient(iam({ ...IAM_KEY, secretAccessKey: 'wrong' }), FAST));
      await assert.rejects(client.connect(), (err: EventsError) => err.errorType === 'BadRequestException' && /signature/.test(err.message));
    });

    it('needs a region for custom domains', () => {
      assert.throws(() => iamAuthorizer({ region: '', credentials: staticCredentials(IAM_KEY) }), /region/);
    });
  });

  describe('bad input is refused before anything is sent', () => {
    it('invalid channels, wildcard publish, oversized events, non-JSON values, empty batches', async () => {
      const client = track(apiKeyClient(emulator));
      await client.connect();
      const seen: ClientMessage[] = [];
      emulator.events.on('message', (_c, m) => seen.push(m));
      const circular: Record<string, unknown> = {};
      circular.me = circular;
      const cases: Array<[() => unknown, string]> = [
        [() => client.subscribe('bad channel'), 'InvalidChannel'],
        [() => client.subscribe('a/b/c/d/e/f'), 'InvalidChannel'],
        [() => client.subscribe('default/*/x'), 'InvalidChannel'],
      ];
      for (const [fn, type] of cases) assert.throws(fn, (err: EventsError) => err.errorType === type);
      const rejects: Array<[Promise<unknown>, string]> = [
        [client.publish('default/*', [1]), 'InvalidChannel'],
        [client.publish('-bad', [1]), 'InvalidChannel'],
        [client.publish('default/x', ['x'.repeat(240 * 1024)]), 'EventTooLarge'],
        [client.publish('default/x', [undefined]), 'InvalidEvent'],
        [client.publish('default/x', [1n]), 'InvalidEvent'],
        [client.publish('default/x', [circular]), 'InvalidEvent'],
        [client.publish('default/x', []), 'EmptyBatch'],
      ];
      for (const [p, type] of rejects) await assert.rejects(p, (err: EventsError) => err.errorType === type && typeof err.hint === 'string');
      // The fence: a good publish after them is the first frame the service sees.
      await client.publish('default/x', ['fence']);
      assert.deepEqual(seen.map((m) => (m.type === 'publish' ? m.events : m.type)), [['"fence"']]);
    });
  });
});

describe('WebSocket client against a scripted server', () => {
  it('times out a publish that gets no answer, and keeps the connection', async () => {
    const server = await scriptedServer((ws, m) => {
      if (m.type === 'connection_init') ws.send(JSON.stringify({ type: 'connection_ack', connectionTimeoutMs: 300000 }));
      if (m.type === 'publish' && (m.events as string[])[0] === '"answer"') ws.send(JSON.stringify({ type: 'publish_success', id: m.id, successful: [{ identifier: 'i', index: 0 }], failed: [] }));
    });
    const client = new Events(server.url).createWebSocketClient(apiKeyAuthorizer('k'), { ...FAST, requestTimeoutMs: 200 });
    try {
      await assert.rejects(client.publish('default/x', ['silence']), (err: EventsError) => err.errorType === 'Timeout' && err.retryable);
      assert.equal((await client.publish('default/x', ['answer'])).successful.length, 1);
      assert.equal(client.state.status, 'connected');
    } finally {
      await client.disconnect(false);
      await server.close();
    }
  });

  it('reads a flood of frames about a thousand per event-loop turn, so that other work runs in between, and delivers every event in order', async () => {
    const server = await scriptedServer((ws, m) => {
      if (m.type === 'connection_init') ws.send(JSON.stringify({ type: 'connection_ack' }));
      if (m.type !== 'subscribe') return;
      ws.send(JSON.stringify({ type: 'subscribe_success', id: m.id }));
      // A backlog the service sends at once: 20,000 frames in one write.
      for (let i = 0; i < 20_000; i++) ws.send(JSON.stringify({ type: 'data', id: m.id, event: String(i) }));
    });
    const client = new Events(server.url).createWebSocketClient(apiKeyAuthorizer('k'), FAST);
    try {
      const received: number[] = [];
      const perTurn: number[] = [];
      const tick = () => {
        perTurn.push(received.length - perTurn.reduce((a, b) => a + b, 0));
        if (received.length < 20_000) setImmediate(tick);
      };
      setImmediate(tick);
      await client.subscribe('default/flood', { onEvent: (e) => received.push(Number(e)) }).ready;
      await waitFor(() => received.length === 20_000, 'the flood');
      assert.deepEqual(received, Array.from({ length: 20_000 }, (_, i) => i));
      // Frames already read when the socket pauses are still delivered: up to one more read of 64 KB, about 1,600 of
      // these small frames. Read without pausing, 16,000 of them arrived in one turn.
      assert.ok(Math.max(...perTurn) < 3_000, `about 1,000 events per turn, and the rest of one read (${Math.max(...perTurn)})`);
    } finally {
      await client.disconnect(false);
      await server.close();
    }
  });

  it("matches acknowledgements by id only: another operation's error never fails ours", async () => {
    const server = await scriptedServer((ws, m) => {
      if (m.type === 'connection_init') ws.send(JSON.stringify({ type: 'connection_ack' }));
      if (m.type === 'publish') {
        ws.send(JSON.stringify({ type: 'error', id: 'someone-else', errors: [{ errorType: 'BadRequestException', message: 'not yours' }] }));
        ws.send(JSON.stringify({ type: 'error', errors: [{ errorType: 'BadRequestException', message: 'no id' }] }));
        ws.send(JSON.stringify({ type: 'publish_error', id: 'someone-else', errors: [{ errorType: 'X' }] }));
        setTimeout(() => ws.send(JSON.stringify({ type: 'publish_success', id: m.id, successful: [{ identifier: 'i', index: 0 }], failed: [] })), 20);
      }
    });
    const client = new Events(server.url).createWebSocketClient(apiKeyAuthorizer('k'), FAST);
    try {
      assert.equal((await client.publish('default/x', [1])).successful.length, 1);
    } finally {
      await client.disconnect(false);
      await server.close();
    }
  });

  it('sends a publish again on the next connection when the socket drops before its acknowledgement (at-least-once)', async () => {
    const publishes: string[] = [];
    const server = await scriptedServer((ws, m) => {
      if (m.type === 'connection_init') ws.send(JSON.stringify({ type: 'connection_ack' }));
      if (m.type !== 'publish') return;
      publishes.push(String(m.id));
      // The first attempt is never answered: the socket dies with the publish in flight.
      if (publishes.length === 1) ws.terminate();
      else ws.send(JSON.stringify({ type: 'publish_success', id: m.id, successful: [{ identifier: 'i', index: 0 }], failed: [] }));
    });
    const client = new Events(server.url).createWebSocketClient(apiKeyAuthorizer('k'), FAST);
    try {
      const result = await client.publish('default/x', ['once']);
      assert.equal(result.successful.length, 1);
      assert.equal(publishes.length, 2);
      assert.equal(publishes[0], publishes[1], 'the same request, sent again');
    } finally {
      await client.disconnect(false);
      await server.close();
    }
  });

  it('times out a handshake without connection_ack and reconnects', async () => {
    let connections = 0;
    const server = await scriptedServer((ws, m) => {
      if (m.type === 'connection_init' && ++connections > 1) ws.send(JSON.stringify({ type: 'connection_ack' }));
    });
    const client = new Events(server.url).createWebSocketClient(apiKeyAuthorizer('k'), { ...FAST, connectTimeoutMs: 200 });
    const states = recordStates(client);
    try {
      await client.connect();
      const timeout = states.find((s) => s.status === 'reconnecting');
      assert.ok(timeout?.status === 'reconnecting' && timeout.error?.errorType === 'Timeout');
    } finally {
      await client.disconnect(false);
      await server.close();
    }
  });

  it('reports an unknown realtime path as EndpointNotFound, not a retry storm', async () => {
    const emulator = await startEmulator();
    const client = new Events({ url: emulator.httpUrl, realtimeUrl: emulator.realtimeUrl.replace('/realtime', '/nowhere') }).createWebSocketClient(apiKeyAuthorizer(API_KEY), FAST);
    try {
      await assert.rejects(client.connect(), (err: EventsError) => err.errorType === 'EndpointNotFound' && err.code === 404);
      assert.equal(client.state.status, 'failed');
    } finally {
      await client.disconnect(false);
      await emulator.stop();
    }
  });
});
