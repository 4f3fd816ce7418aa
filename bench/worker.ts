// One measured client per process: the driver forks this file for every run of every scenario.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionPool, Events, apiKeyAuthorizer, type EventsWebSocketClient } from '../src/client';
import { EndpointOutbox } from '../src/client/outbox/endpoint-outbox';
import { PublishOutbox } from '../src/client/outbox/publish-outbox';
import { EndpointConnection } from '../src/nodes/endpoint-connection';
import { endpointNodes, place, startNodeRed, TAB } from './node-red-runtime';
import { EVENT, EVENT_TEXT, type DriverMessage, type EmulatorCommand, type WorkerJob } from './protocol';
import { percentile } from './stats';

type Values = Record<string, number>;

let nextId = 0;
const pending = new Map<number, (reply: unknown) => void>();

function emulator<T>(command: EmulatorCommand): Promise<T> {
  const id = ++nextId;
  return new Promise((resolve) => {
    pending.set(id, resolve as (reply: unknown) => void);
    process.send!({ type: 'emulator', id, command });
  });
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
  (globalThis as { gc?: () => void }).gc?.();
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function until(predicate: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

function realtimeUrl(httpUrl: string): string {
  return `${httpUrl.replace(/^https/, 'wss')}/realtime`;
}

/** Counts `n` deliveries and returns the rate between the first and the last. */
function rateCounter(n: number) {
  let count = 0;
  let first = 0;
  let last = 0;
  return {
    hit() {
      if (count === 0) first = performance.now();
      if (++count === n) last = performance.now();
    },
    get done() {
      return count >= n;
    },
    get rate() {
      return ((n - 1) / (last - first)) * 1000;
    },
  };
}

/**
 * Publishes before the measured ones, in every publish scenario alike: a fresh process runs its first thousands
 * of operations before the JIT has compiled the code, and a throughput figure is about the steady state.
 */
function warmup(n: number): number {
  return Math.min(5_000, Math.ceil(n / 4));
}

/**
 * HTTP requests before the measured ones. The emulator is a fresh process for every run, and its HTTP path
 * needs thousands of requests to reach its steady speed (seen here: 1,700/s for the first 2,000, 9,600/s by the
 * 10,000th); AppSync itself is always warm, so both HTTP clients are measured against a warm server.
 */
const HTTP_WARMUP = 5_000;

/** Runs `total` async operations with `lanes` of them in flight at any time; returns operations per second. */
async function pipelined(total: number, lanes: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const start = performance.now();
  // All in flight: every operation started at once, as the bare loop sends every frame at once.
  if (lanes >= total) {
    await Promise.all(Array.from({ length: total }, (_, i) => op(i)));
    return (total / (performance.now() - start)) * 1000;
  }
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < total) await op(next++);
    }),
  );
  return (total / (performance.now() - start)) * 1000;
}

async function amplify(httpUrl: string, apiKey: string) {
  (globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
  const { Amplify } = require('aws-amplify') as typeof import('aws-amplify');
  const { events } = require('aws-amplify/data') as typeof import('aws-amplify/data');
  Amplify.configure({ API: { Events: { endpoint: httpUrl, region: 'us-east-1', defaultAuthMode: 'apiKey', apiKey } } });
  return events;
}

/** A bare `ws` subscriber: the protocol by hand, parsing each frame and its event, nothing else. */
async function bareSubscriber(httpUrl: string, apiKey: string, channel: string, onEvent: (event: unknown) => void): Promise<WebSocket> {
  const header = Buffer.from(JSON.stringify({ host: new URL(httpUrl).host, 'x-api-key': apiKey })).toString('base64url');
  const ws = new WebSocket(realtimeUrl(httpUrl), ['aws-appsync-event-ws', `header-${header}`]);
  await new Promise<void>((resolve, reject) => {
    ws.on('error', reject);
    ws.on('open', () => ws.send('{"type":"connection_init"}'));
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { type: string; event?: string };
      if (m.type === 'data') onEvent(JSON.parse(m.event!)); else if (m.type === 'connection_ack') ws.send(JSON.stringify({ type: 'subscribe', id: 'bare', channel, authorization: { 'x-api-key': apiKey } }));
      else if (m.type === 'subscribe_success') resolve();
    });
  });
  return ws;
}

function libraryClient(job: WorkerJob): EventsWebSocketClient {
  return new Events(job.emulator.httpUrl).createWebSocketClient(apiKeyAuthorizer(job.emulator.apiKey), { queueSize: 1_000_000 });
}

function heapMB(): number {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

const silent = { error() {}, warn() {}, info() {}, debug() {} };

/**
 * A backlog of `events` (in requests of `batch`) queued while not connected, then drained: with the file store
 * (outbox file, its sender over the WebSocket client) or the memory store (the client's own queue). Measures how
 * fast it is queued and drained, and the heap it takes while queued.
 */
async function backlog(job: WorkerJob, store: 'file' | 'memory'): Promise<Values> {
  const events = Number(job.params.events);
  const batch = Number(job.params.batch);
  const requests = events / batch;
  const payload = Array.from({ length: batch }, () => EVENT);
  const client = new Events(job.emulator.httpUrl).createWebSocketClient(apiKeyAuthorizer(job.emulator.apiKey), { queueSize: 1_000_000, autoConnect: false });
  const dir = mkdtempSync(join(tmpdir(), 'bench-outbox-'));
  const heapBefore = heapMB();
  let queuedAt: number;
  let drained: () => Promise<void>;
  const start = performance.now();
  if (store === 'memory') {
    const answers = Array.from({ length: requests }, () => client.publish('default/backlog', payload));
    queuedAt = performance.now();
    drained = async () => {
      await client.connect();
      await Promise.all(answers);
    };
  } else {
    // The product's stored path: the endpoint connection's own outbox, sent back through the connection (one
    // connection, as the memory store's client), the events kept as the JSON texts they were stored as.
    const connection = new EndpointConnection({ webSocket: () => client, rest: () => new Events(job.emulator.httpUrl).createRestClient(apiKeyAuthorizer(job.emulator.apiKey)), pool: { publishConnections: 1 } });
    const outbox = new EndpointOutbox({ path: join(dir, 'outbox.jsonl'), maxRequests: 1_000_000, maxBytes: 2 ** 40, whenFull: 'reject', authRetryDelayMs: 60_000, log: silent, sending: connection, authorizerById: () => apiKeyAuthorizer(job.emulator.apiKey), probe: () => Promise.resolve(true) });
    const texts = payload.map((e) => JSON.stringify(e));
    await pipelined(requests, 1_000, () => outbox.outbox.add({ channel: '/default/backlog', events: texts, transport: 'websocket', meta: { node: 'bench' } }, () => false));
    queuedAt = performance.now();
    drained = async () => {
      await client.connect();
      outbox.attach('bench', { replayed: () => {} });
      await until(() => outbox.outbox.size === 0, 'the outbox to drain', 170_000);
      await outbox.close();
      await connection.close();
    };
  }
  const heapQueued = heapMB();
  const drainStart = performance.now();
  await drained();
  const drainMs = performance.now() - drainStart;
  const heapAfter = heapMB();
  await client.disconnect(false);
  rmSync(dir, { recursive: true, force: true });
  return { queuedRate: (events / (queuedAt - start)) * 1000, drainRate: (events / drainMs) * 1000, heapQueuedMB: heapQueued - heapBefore, heapAfterMB: heapAfter - heapBefore };
}

/** What storing one publish costs: awaited one at a time (an fsync each), and 100 at once (one fsync for the group). */
async function flushCost(job: WorkerJob): Promise<Values> {
  const n = Number(job.params.requests);
  const dir = mkdtempSync(join(tmpdir(), 'bench-flush-'));
  const outbox = new PublishOutbox({ path: join(dir, 'outbox.jsonl'), maxRequests: 1_000_000, maxBytes: 2 ** 40, whenFull: 'reject', log: silent });
  const publish = { channel: '/default/flush', events: [JSON.stringify(EVENT)], transport: 'websocket' as const, meta: {} };
  let t = performance.now();
  for (let i = 0; i < n; i++) await outbox.add(publish, () => false);
  const oneAtATime = ((performance.now() - t) / n) * 1000;
  t = performance.now();
  await pipelined(n * 10, 100, () => outbox.add(publish, () => false));
  const grouped = ((performance.now() - t) / (n * 10)) * 1000;
  await outbox.close();
  rmSync(dir, { recursive: true, force: true });
  return { oneAtATimeUs: oneAtATime, groupedUs: grouped };
}

const scenarios: Record<string, (job: WorkerJob) => Promise<Values>> = {
  'backlog-file': (job) => backlog(job, 'file'),
  'backlog-memory': (job) => backlog(job, 'memory'),
  'outbox-flush': flushCost,

  async 'sub-bare'(job) {
    const events = warmedDelivery(Number(job.params.events));
    const ws = await bareSubscriber(job.emulator.httpUrl, job.emulator.apiKey, '/default/bench', events.hit);
    const rate = await events.run();
    ws.terminate();
    return { rate };
  },

  async 'sub-lib'(job) {
    const events = warmedDelivery(Number(job.params.events));
    const client = libraryClient(job);
    await client.subscribe('default/bench', { onEvent: events.hit }).ready;
    const rate = await events.run();
    await client.disconnect(false);
    return { rate };
  },

  async 'sub-node'(job) {
    const events = warmedDelivery(Number(job.params.events));
    const rt = await subscribeToSink(job, 'default/bench');
    rt.sink('sink', events.hit);
    await waitForServerSubscriptions(1);
    const rate = await events.run();
    await rt.stop();
    return { rate };
  },

  async 'node-ceiling'(job) {
    // Node-RED's own cost per message: the message the subscribe node would send, from a source node, no network.
    const n = Number(job.params.events);
    const rt = await startNodeRed([
      TAB,
      place({ id: 'src', type: 'bench-source', name: 'src', wires: [['sink']] }),
      place({ id: 'sink', type: 'bench-sink', name: 'sink', wires: [] }, 1),
    ]);
    const send = await rt.source('src');
    let id = 0;
    const run = async (count: number) => {
      const counter = rateCounter(count);
      rt.sink('sink', counter.hit);
      for (let sent = 0; sent < count; sent += 1_000) {
        for (let i = sent; i < Math.min(count, sent + 1_000); i++) {
          send({ payload: JSON.parse(EVENT_TEXT) as unknown, topic: '/default/bench', appsync: { channel: '/default/bench', receivedAt: Date.now() }, _msgid: `bench${(id++).toString(16)}` });
        }
        await new Promise((r) => setImmediate(r));
      }
      await until(() => counter.done, 'messages');
      return counter.rate;
    };
    await run(Math.ceil(n / 5));
    const rate = await run(n);
    await rt.stop();
    return { rate };
  },

  async 'node-socket-ceiling'(job) {
    // Node-RED fed from a socket, without the pack: a bare subscriber in the runtime's process sends each event
    // from a source node, as the message the subscribe node would send. What Node-RED costs per message when
    // messages come from the network, not from a tight loop.
    const events = warmedDelivery(Number(job.params.events));
    const rt = await startNodeRed([
      TAB,
      place({ id: 'src', type: 'bench-source', name: 'src', wires: [['sink']] }),
      place({ id: 'sink', type: 'bench-sink', name: 'sink', wires: [] }, 1),
    ]);
    rt.sink('sink', events.hit);
    const send = await rt.source('src');
    let id = 0;
    const ws = await bareSubscriber(job.emulator.httpUrl, job.emulator.apiKey, '/default/bench', (payload) =>
      send({ payload, topic: '/default/bench', appsync: { channel: '/default/bench', receivedAt: Date.now() }, _msgid: `bench${(id++).toString(16)}` }),
    );
    const rate = await events.run();
    ws.terminate();
    await rt.stop();
    return { rate };
  },

  async 'sub-amplify'(job) {
    const delivery = warmedDelivery(Number(job.params.events));
    const events = await amplify(job.emulator.httpUrl, job.emulator.apiKey);
    const channel = await events.connect('/default/bench');
    channel.subscribe({ next: delivery.hit, error: () => {} });
    await waitForServerSubscriptions(1);
    const rate = await delivery.run();
    channel.close();
    return { rate };
  },

  async 'pub-bare'(job) {
    const n = Number(job.params.events);
    const lanes = Number(job.params.lanes);
    const header = Buffer.from(JSON.stringify({ host: new URL(job.emulator.httpUrl).host, 'x-api-key': job.emulator.apiKey })).toString('base64url');
    // The same frames the library sends: a UUID id, and the authorization object of its API key authorizer.
    const frame = () => JSON.stringify({ type: 'publish', id: randomUUID(), channel: '/default/pub', events: [EVENT_TEXT], authorization: { 'x-amz-date': '20261129T000000Z', 'x-api-key': job.emulator.apiKey } });
    const ws = new WebSocket(realtimeUrl(job.emulator.httpUrl), ['aws-appsync-event-ws', `header-${header}`]);
    await new Promise<void>((resolve) => {
      ws.on('open', () => ws.send('{"type":"connection_init"}'));
      ws.once('message', () => resolve());
    });
    /** Sends `frames` keeping `lanes` in flight (the next on each publish_success); resolves with the rate. */
    const run = (frames: string[]) =>
      new Promise<number>((resolve) => {
        let acked = 0;
        let sent = 0;
        const start = performance.now();
        const onMessage = (data: WebSocket.RawData) => {
          if ((JSON.parse(data.toString()) as { type: string }).type !== 'publish_success') return;
          acked++;
          if (sent < frames.length) ws.send(frames[sent++]!);
          if (acked === frames.length) {
            ws.off('message', onMessage);
            resolve((frames.length / (performance.now() - start)) * 1000);
          }
        };
        ws.on('message', onMessage);
        while (sent < Math.min(lanes, frames.length)) ws.send(frames[sent++]!);
      });
    await run(Array.from({ length: warmup(n) }, frame));
    const rate = await run(Array.from({ length: n }, frame));
    ws.terminate();
    return { rate };
  },

  async 'pub-lib'(job) {
    const n = Number(job.params.events);
    const batch = Number(job.params.batch);
    const client = libraryClient(job);
    await client.connect();
    const events = Array.from({ length: batch }, () => EVENT);
    const lanes = Number(job.params.lanes);
    await pipelined(warmup(n) / batch, Math.min(lanes, warmup(n) / batch), () => client.publish('default/pub', events));
    const requests = await pipelined(n / batch, lanes, () => client.publish('default/pub', events));
    await client.disconnect(false);
    return { rate: requests * batch };
  },

  async 'pub-amplify'(job) {
    const n = Number(job.params.events);
    const events = await amplify(job.emulator.httpUrl, job.emulator.apiKey);
    const channel = await events.connect('/default/pub');
    const lanes = Number(job.params.lanes);
    await pipelined(warmup(n), Math.min(lanes, warmup(n)), () => channel.publish(EVENT));
    const rate = await pipelined(n, lanes, () => channel.publish(EVENT));
    channel.close();
    return { rate };
  },

  async 'http-lib'(job) {
    const rest = new Events(job.emulator.httpUrl).createRestClient(apiKeyAuthorizer(job.emulator.apiKey));
    const n = Number(job.params.events);
    await pipelined(HTTP_WARMUP, Number(job.params.lanes), () => rest.publish('default/http', [EVENT]));
    const rate = await pipelined(n, Number(job.params.lanes), () => rest.publish('default/http', [EVENT]));
    rest.close();
    return { rate };
  },

  async 'http-amplify'(job) {
    const events = await amplify(job.emulator.httpUrl, job.emulator.apiKey);
    const n = Number(job.params.events);
    await pipelined(HTTP_WARMUP, Number(job.params.lanes), () => events.post('/default/http', EVENT));
    const rate = await pipelined(n, Number(job.params.lanes), () => events.post('/default/http', EVENT));
    return { rate };
  },

  async 'latency-lib'(job) {
    const latencies: number[] = [];
    const subscriber = libraryClient(job);
    await subscriber.subscribe('default/latency', { onEvent: (e) => latencies.push(performance.now() - (e as { t: number }).t) }).ready;
    const sent = await publishAtRate(job, Number(job.params.rate), Number(job.params.seconds));
    await until(() => latencies.length >= sent, 'all events');
    await subscriber.disconnect(false);
    return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
  },

  async 'latency-node'(job) {
    const latencies: number[] = [];
    const rt = await subscribeToSink(job, 'default/latency');
    rt.sink('sink', (msg) => latencies.push(performance.now() - (msg.payload as { t: number }).t));
    await waitForServerSubscriptions(1);
    const sent = await publishAtRate(job, Number(job.params.rate), Number(job.params.seconds));
    await until(() => latencies.length >= sent, 'all events');
    await rt.stop();
    return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
  },

  async 'scale-lib'(job) {
    const k = Number(job.params.subscriptions);
    const client = libraryClient(job);
    await client.connect();
    gc();
    const before = process.memoryUsage();
    const subs = Array.from({ length: k }, (_, i) => client.subscribe(`default/scale/c${i}`));
    await Promise.all(subs.map((s) => s.ready));
    gc();
    const after = process.memoryUsage();
    const idleCpu = await cpuPercent(Number(job.params.idleSeconds));
    let resubscribeMs = 0;
    if (job.params.resubscribe) {
      let subscribed = 0;
      const client2 = libraryClient(job);
      await client2.connect();
      const subs2 = Array.from({ length: k }, (_, i) =>
        client2.subscribe(`default/scale/r${i}`, { onStateChange: (s) => s.status === 'subscribed' && subscribed++ }),
      );
      await Promise.all(subs2.map((s) => s.ready));
      subscribed = 0;
      await client.disconnect(false);
      const start = performance.now();
      await emulator({ cmd: 'drop' });
      await until(() => subscribed >= k, 'resubscription');
      resubscribeMs = performance.now() - start;
      await client2.disconnect(false);
    } else {
      await client.disconnect(false);
    }
    return {
      heapPerSubscription: (after.heapUsed - before.heapUsed) / k,
      heapMB: after.heapUsed / 2 ** 20,
      rssMB: after.rss / 2 ** 20,
      idleCpuPercent: idleCpu,
      resubscribeMs,
    };
  },

  async 'scale-node'(job) {
    const k = Number(job.params.nodes);
    process.env.BENCH_API_KEY = job.emulator.apiKey;
    const subscribeNodes = Array.from({ length: k }, (_, i) =>
      place({ id: `sub${i}`, type: 'events-subscribe', endpoint: 'bench-ep', channel: `default/nodes/n${i}`, output: 'json', wires: [[]] }, i),
    );
    const rt = await startNodeRed([TAB, ...endpointNodes(job.emulator.httpUrl), ...subscribeNodes]);
    await waitForServerSubscriptions(k);
    gc();
    const mem = process.memoryUsage();
    const idleCpu = await cpuPercent(Number(job.params.idleSeconds));
    await rt.stop();
    return { heapMB: mem.heapUsed / 2 ** 20, rssMB: mem.rss / 2 ** 20, idleCpuPercent: idleCpu };
  },

  async 'emu-fanout'(job) {
    const k = Number(job.params.subscribers);
    const n = Number(job.params.events);
    const counter = rateCounter(n * k);
    const sockets = await Promise.all(Array.from({ length: k }, () => bareSubscriber(job.emulator.httpUrl, job.emulator.apiKey, '/default/fanout', counter.hit)));
    const { elapsedMs } = await emulator<{ elapsedMs: number }>({ cmd: 'inject', channel: '/default/fanout', count: n, event: EVENT_TEXT });
    await until(() => counter.done, 'frames');
    sockets.forEach((s) => s.terminate());
    return { received: counter.rate, enqueued: ((n * k) / elapsedMs) * 1000 };
  },

  /**
   * A connection pool (the endpoint's, without Node-RED) against 200 subscriptions per connection: the time to subscribe
   * `channels` channels (the quota learnt from the first refusals), the time to make them all again after every
   * connection drops, and the heap each subscription takes on connections already open (a second set of as many, after
   * the first was unsubscribed; the connections stay open for 30 s).
   */
  async 'pool-subscribe'(job) {
    const k = Number(job.params.channels);
    const pool = new ConnectionPool({ open: () => libraryClient(job), idleCloseMs: 30_000, publishConnections: 4 });
    await pool.connect();
    let subscribed = 0;
    // One handlers object for all: what the pool itself costs per subscription, not a closure of this harness each.
    const counting = { onStateChange: (s: { status: string }) => s.status === 'subscribed' && subscribed++ };
    const subscribeAll = (prefix: string) => Array.from({ length: k }, (_, i) => pool.subscribe(`default/pool/${prefix}${i}`, counting));
    // Counted by acknowledgement, without awaiting each `ready`, as a subscribe node with a fixed channel does.
    const start = performance.now();
    const first = subscribeAll('a');
    await until(() => subscribed >= k, 'every subscription');
    const subscribeMs = performance.now() - start;
    await Promise.all(first.map((s) => s.unsubscribe()));
    subscribed = 0;
    gc();
    const before = process.memoryUsage().heapUsed;
    subscribeAll('b');
    await until(() => subscribed >= k, 'every subscription');
    gc();
    const heapPerSubscription = (process.memoryUsage().heapUsed - before) / k;
    subscribed = 0;
    const dropped = performance.now();
    await emulator({ cmd: 'drop' });
    await until(() => subscribed >= k, 'every subscription made again');
    const resubscribeMs = performance.now() - dropped;
    const connections = pool.connections.length;
    await pool.disconnect(false);
    return { subscribeMs, resubscribeMs, heapPerSubscription, connections };
  },

  /**
   * A burst of single-event messages over 10 channels into a publish node with Coalesce, on an endpoint paced at 25
   * requests per second per connection with `publishConnections` connections, against 25 per connection: events per
   * second accepted over the whole burst, and in its steady state (from the 20th to the 80th percent of the answers:
   * without the first second, when the other connections open, and the last, when the channels with the most left
   * finish on fewer connections), and refused.
   */
  async 'pool-publish'(job) {
    const total = Number(job.params.messages);
    process.env.BENCH_API_KEY = job.emulator.apiKey;
    const rt = await startNodeRed([
      TAB,
      ...endpointNodes(job.emulator.httpUrl, { publishRate: 25, publishConnections: Number(job.params.publishConnections) }),
      place({ id: 'src', type: 'bench-source', name: 'src', wires: [['pub']] }),
      place({ id: 'pub', type: 'events-publish', endpoint: 'bench-ep', channel: '', transport: 'websocket', coalesce: true, coalesceMs: 10, wires: [['ok']] }, 1),
      place({ id: 'ok', type: 'bench-sink', name: 'ok', wires: [] }, 2),
      place({ id: 'catch', type: 'catch', scope: ['pub'], uncaught: false, wires: [['failed']] }, 3),
      place({ id: 'failed', type: 'bench-sink', name: 'failed', wires: [] }, 4),
    ]);
    let ok = 0;
    let failed = 0;
    const marks: number[] = [];
    const [from, to] = [Math.round(total * 0.2), Math.round(total * 0.8)];
    rt.sink('ok', () => {
      if (++ok === from || ok === to) marks.push(performance.now());
    });
    rt.sink('failed', () => failed++);
    const send = await rt.source('src');
    send({ topic: 'default/pool/warm', payload: EVENT });
    await until(() => ok + failed === 1, 'the first publish');
    ok = 0;
    failed = 0;
    const start = performance.now();
    for (let i = 0; i < total; i++) send({ topic: `default/pool/line-${i % 10}`, payload: EVENT });
    await until(() => ok + failed >= total, 'every result', 300_000);
    const seconds = (performance.now() - start) / 1000;
    await rt.stop();
    const steady = marks.length === 2 ? ((to - from) / (marks[1]! - marks[0]!)) * 1000 : 0;
    return { acceptedPerSecond: ok / seconds, steadyPerSecond: steady, refused: failed };
  },

  async 'coalesce'(job) {
    const total = Number(job.params.messages);
    const rate = Number(job.params.rate);
    process.env.BENCH_API_KEY = job.emulator.apiKey;
    const rt = await startNodeRed([
      TAB,
      ...endpointNodes(job.emulator.httpUrl),
      place({ id: 'src', type: 'bench-source', name: 'src', wires: [['pub']] }),
      place({ id: 'pub', type: 'events-publish', endpoint: 'bench-ep', channel: 'default/coalesce', transport: 'websocket', coalesce: Boolean(job.params.coalesce), coalesceMs: Number(job.params.coalesceMs), wires: [['ok']] }, 1),
      place({ id: 'ok', type: 'bench-sink', name: 'ok', wires: [] }, 2),
      place({ id: 'catch', type: 'catch', scope: ['pub'], uncaught: false, wires: [['failed']] }, 3),
      place({ id: 'failed', type: 'bench-sink', name: 'failed', wires: [] }, 4),
    ]);
    let ok = 0;
    let failed = 0;
    rt.sink('ok', () => ok++);
    rt.sink('failed', () => failed++);
    const send = await rt.source('src');
    send({ payload: EVENT });
    await until(() => ok + failed === 1, 'the first publish');
    ok = 0;
    failed = 0;
    const start = performance.now();
    if (rate > 0) {
      for (let i = 0; i < total; i++) {
        send({ payload: EVENT });
        await sleep(1000 / rate);
      }
    } else {
      for (let i = 0; i < total; i++) send({ payload: EVENT });
    }
    await until(() => ok + failed >= total, 'every result');
    const seconds = (performance.now() - start) / 1000;
    await rt.stop();
    return { acceptedPerSecond: ok / seconds, refused: failed };
  },
};

/** Has the emulator publish `n` events on the bench channel and waits until the client counted them all. */
/**
 * Server-side deliveries to a subscriber: first a fifth of `n` unmeasured (the JIT of a fresh process, and of the
 * fresh emulator, warms up on them), then `n` measured. `hit` is what the subscriber calls per event.
 */
function warmedDelivery(n: number) {
  let counter = rateCounter(Math.ceil(n / 5));
  return {
    hit: () => counter.hit(),
    async run(): Promise<number> {
      await deliver(Math.ceil(n / 5), counter);
      counter = rateCounter(n);
      await deliver(n, counter);
      return counter.rate;
    },
  };
}

async function deliver(n: number, counter: ReturnType<typeof rateCounter>): Promise<void> {
  await emulator({ cmd: 'inject', channel: '/default/bench', count: n, event: EVENT_TEXT });
  await until(() => counter.done, 'events');
}

/** Node-RED with an events-subscribe node on `channel` wired to the counting sink. */
function subscribeToSink(job: WorkerJob, channel: string) {
  process.env.BENCH_API_KEY = job.emulator.apiKey;
  return startNodeRed([
    TAB,
    ...endpointNodes(job.emulator.httpUrl),
    place({ id: 'sub', type: 'events-subscribe', endpoint: 'bench-ep', channel, output: 'json', wires: [['sink']] }),
    place({ id: 'sink', type: 'bench-sink', name: 'sink', wires: [] }, 1),
  ]);
}

async function waitForServerSubscriptions(k: number): Promise<void> {
  const start = Date.now();
  for (;;) {
    const stats = await emulator<{ subscriptions: number }>({ cmd: 'stats' });
    if (stats.subscriptions >= k) return;
    if (Date.now() - start > 60_000) throw new Error(`only ${stats.subscriptions} of ${k} subscriptions`);
    await sleep(20);
  }
}

async function publishAtRate(job: WorkerJob, rate: number, seconds: number): Promise<number> {
  const publisher = libraryClient(job);
  await publisher.connect();
  const total = Math.round(rate * seconds);
  const tick = 10;
  const perTick = rate / (1000 / tick);
  let sent = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.round(sent + perTick));
      for (; sent < due; sent++) void publisher.publish('default/latency', [{ ...EVENT, t: performance.now() }]);
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, tick);
  });
  await sleep(500);
  await publisher.disconnect();
  return total;
}

async function cpuPercent(seconds: number): Promise<number> {
  const start = process.cpuUsage();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const used = process.cpuUsage(start);
  return ((used.user + used.system) / 1000 / (performance.now() - t0)) * 100;
}

process.on('message', (m: DriverMessage) => {
  if (m.type === 'emulator-reply') {
    pending.get(m.id)?.(m.reply);
    pending.delete(m.id);
    return;
  }
  const run = scenarios[m.job.scenario];
  if (!run) {
    process.send!({ type: 'error', message: `unknown scenario ${m.job.scenario}` });
    return;
  }
  run(m.job).then(
    (values) => process.send!({ type: 'result', values }, () => process.exit(0)),
    (err: unknown) => process.send!({ type: 'error', message: String((err as Error).stack ?? err) }, () => process.exit(1)),
  );
});
