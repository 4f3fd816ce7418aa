import assert from 'node:assert/strict';
import { ConnectionPool } from '../src/client/connection-pool';
import type { Emulator } from '../src/emulator';
import { apiKeyClient, startEmulator } from './support/fixtures';
import { waitFor } from './support/wait';

// One endpoint beyond one connection's quotas, against an emulator that allows 100 subscriptions and 25 publish
// requests per second per connection: subscriptions spread over connections and publishes over up to four.

describe('a connection pool beyond one connection\'s quotas', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  let pool: ConnectionPool | undefined;

  beforeEach(async () => {
    emulator = await startEmulator({ maxSubscriptionsPerConnection: 100, publishRequestsPerSecond: 25 });
  });
  afterEach(async () => {
    await pool?.disconnect(false);
    pool = undefined;
    await emulator.stop();
  });

  const open = (idleCloseMs = 30_000, publishConnections = 4, maxSubscriptionsPerConnection?: number, publishRate = 0) =>
    (pool = new ConnectionPool({ open: () => apiKeyClient(emulator, { publishRate }), idleCloseMs, publishConnections, maxSubscriptionsPerConnection }));

  it('subscribes 500 channels on 5 connections, learning the quota from the refusals, which its handlers never see', async () => {
    const p = open(20);
    const events = new Map<string, unknown[]>();
    const errors: unknown[] = [];
    const failed: unknown[] = [];
    let subscribed = 0;
    const subs = Array.from({ length: 500 }, (_, i) =>
      p.subscribe(`default/c${i}`, {
        onEvent: (e, meta) => events.set(meta.channel, [...(events.get(meta.channel) ?? []), e]),
        onError: (e) => errors.push(e),
        onStateChange: (s) => {
          if (s.status === 'failed') failed.push(s);
          if (s.status === 'subscribed') subscribed++;
        },
      }),
    );
    await Promise.all(subs.map((s) => s.ready));
    assert.deepEqual([errors, failed], [[], []]);
    assert.equal(p.subscriptionBudget, 100, 'learnt from the first refusal');
    assert.deepEqual(p.connections.map((c) => c.subscriptions), [100, 100, 100, 100, 100]);
    assert.equal(emulator.stats().subscriptions, 500);

    for (let i = 0; i < 500; i++) emulator.publish(`/default/c${i}`, [String(i)]);
    await waitFor(() => events.size === 500, 'an event on each channel');
    assert.ok([...events].every(([channel, got]) => got.length === 1 && `/default/c${String(got[0])}` === channel), 'each once, on its own channel');

    // Every connection drops: each comes back and makes its subscriptions again.
    emulator.faults.dropConnections();
    // Counted by acknowledgements: right after the drop every state still reads subscribed.
    await waitFor(() => subscribed === 1000, 'all 500 made again', 15_000);
    assert.equal(emulator.stats().subscriptions, 500);
    assert.equal(emulator.stats().openConnections, 5);
    events.clear();
    for (let i = 0; i < 500; i++) emulator.publish(`/default/c${i}`, [String(i)]);
    await waitFor(() => events.size === 500, 'an event on each channel after the drop');

    // Most go away: the connections left with none close (after 20 ms here, 30 s in Node-RED); the first stays.
    await Promise.all(subs.slice(50).map((s) => s.unsubscribe()));
    await waitFor(() => p.connections.length === 1 && emulator.stats().openConnections === 1, 'the extra connections closed');
    assert.equal(emulator.stats().subscriptions, 50);
  });

  it('with maxSubscriptionsPerConnection set, places subscriptions without a refusal', async () => {
    const p = open(30_000, 4, 40);
    const subs = Array.from({ length: 90 }, (_, i) => p.subscribe(`default/c${i}`));
    await Promise.all(subs.map((s) => s.ready));
    assert.deepEqual(p.connections.map((c) => c.subscriptions), [40, 40, 10]);
  });

  it('publishes a burst over 10 channels above one connection\'s rate on up to 4 connections, paced at 25 requests per second each: all accepted, in order per channel', async () => {
    const p = open(30_000, 4, undefined, 25);
    const received = new Map<string, number[]>();
    emulator.events.on('published', (channel, events) => received.set(channel, [...(received.get(channel) ?? []), ...events.map(Number)]));
    const publishes: Array<Promise<unknown>> = [];
    // 500 requests of 5 events, 20 times one connection's quota of 25 per second.
    for (let batch = 0; batch < 50; batch++) {
      for (let c = 0; c < 10; c++) publishes.push(p.publish(`default/ch${c}`, Array.from({ length: 5 }, (_, i) => batch * 5 + i)));
    }
    const results = await Promise.all(publishes);
    assert.equal(results.length, 500);
    for (let c = 0; c < 10; c++) assert.deepEqual(received.get(`/default/ch${c}`), Array.from({ length: 250 }, (_, i) => i), `ch${c} in order`);
    assert.equal(p.connections.length, 4);
  });

  it('without a publish rate, learns from the first throttling: the next burst spreads, in order per channel', async () => {
    const p = open();
    // The first burst is handed over before AppSync throttles anything: it stays on the connection it started on.
    await Promise.all(Array.from({ length: 60 }, (_, i) => p.publish(`default/first${i % 3}`, [i])));
    const received = new Map<string, number[]>();
    emulator.events.on('published', (channel, events) => received.set(channel, [...(received.get(channel) ?? []), ...events.map(Number)]));
    const publishes: Array<Promise<unknown>> = [];
    for (let batch = 0; batch < 40; batch++) {
      for (let c = 0; c < 10; c++) publishes.push(p.publish(`default/next${c}`, Array.from({ length: 5 }, (_, i) => batch * 5 + i)));
    }
    await Promise.all(publishes);
    for (let c = 0; c < 10; c++) assert.deepEqual(received.get(`/default/next${c}`), Array.from({ length: 200 }, (_, i) => i), `next${c} in order`);
    assert.ok(p.connections.length > 1, `${p.connections.length} connections`);
  });

  it('with publishConnections 1, publishes over one connection as a plain client does', async () => {
    const p = open(30_000, 1);
    await Promise.all(Array.from({ length: 60 }, (_, i) => p.publish(`default/ch${i % 3}`, [i])));
    assert.equal(p.connections.length, 1);
    assert.equal(emulator.stats().totalConnections, 1);
  });
});
