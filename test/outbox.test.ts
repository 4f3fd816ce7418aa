import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Events, apiKeyAuthorizer, type Logger } from '../src/client';
import { readOutbox } from '../src/client/outbox/outbox-file';
import { OutboxSender } from '../src/client/outbox/outbox-sender';
import { PublishOutbox } from '../src/client/outbox/publish-outbox';
import type { EventsError } from '../src/protocol/errors';
import type { ClientMessage } from '../src/protocol/messages';
import type { PublishResult } from '../src/protocol/publish-result';
import { API_KEY, FAST, startEmulator } from './support/fixtures';
import { waitFor } from './support/wait';

// The publish outbox: publishes written to a file before they count as queued, read back in order after a restart,
// sent until AppSync acknowledges them, and the file kept small as it drains.

function capture(): { log: Logger; warnings: string[]; debug: string[] } {
  const warnings: string[] = [];
  const debug: string[] = [];
  const ignore = () => {};
  return { log: { error: ignore, warn: (m) => warnings.push(m), info: ignore, debug: (m) => debug.push(m) }, warnings, debug };
}

const publish = (n: number) => ({ channel: '/default/outbox', events: [JSON.stringify({ n })], transport: 'websocket' as const, meta: { n } });
const never = () => false;

describe('the publish outbox file', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'appsync-outbox-'));
    path = join(dir, 'outbox.jsonl');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const open = (options: Partial<ConstructorParameters<typeof PublishOutbox>[0]> = {}) =>
    new PublishOutbox({ path, maxRequests: 1000, maxBytes: 50 * 1024 * 1024, whenFull: 'reject', log: capture().log, ...options });

  it('keeps publishes on disk in order, across a reopen, until they are done; compacts when drained', async () => {
    const outbox = open();
    for (let n = 0; n < 5; n++) await outbox.add(publish(n), never);
    await outbox.done(3); // the third publish (n = 2)
    await outbox.close();
    const again = open();
    assert.deepEqual(again.recovered.map((p) => p.meta.n), [0, 1, 3, 4]);
    assert.deepEqual(await Promise.all([...again.pending()].map(async ({ seq }) => (await again.read(seq))?.meta.n)), [0, 1, 3, 4]);
    for (const { seq } of [...again.pending()]) await again.done(seq);
    await again.close();
    assert.equal(readFileSync(path, 'utf8').split('\n').filter(Boolean).length, 1, 'only the header is left');
    const third = open();
    assert.equal(third.size, 0);
    await third.add(publish(9), never);
    assert.equal(third.recovered.length, 0);
    await third.close();
    assert.deepEqual(readOutbox(path).publishes.map((p) => p.meta.n), [9]);
  });

  it('compacts while publishes are still stored, and reads them back from the rewritten file, now and after a reopen', async () => {
    const outbox = open({ compactAfterDeadLines: 10 });
    for (let n = 0; n < 30; n++) await outbox.add(publish(n), never);
    for (let seq = 1; seq <= 20; seq++) await outbox.done(seq);
    await waitFor(() => readFileSync(path, 'utf8').trim().split('\n').length < 25, 'the rewrite (51 lines before)');
    assert.deepEqual(await Promise.all([...outbox.pending()].map(async ({ seq }) => (await outbox.read(seq))?.meta.n)), Array.from({ length: 10 }, (_, i) => i + 20));
    await outbox.add(publish(30), never);
    await outbox.close();
    const reopened = open();
    assert.deepEqual(reopened.recovered.map((p) => p.meta.n), Array.from({ length: 11 }, (_, i) => i + 20));
    await reopened.close();
  });

  it('reads stored publishes while it compacts: a read racing the file swap gets its publish, and a turn of acknowledgements compacts once', async () => {
    const { log, warnings, debug } = capture();
    const outbox = open({ compactAfterDeadLines: 10, log });
    for (let n = 0; n < 400; n++) await outbox.add(publish(n), never);
    // As the sender does: acknowledgements arrive 32 at a time, while reads of the next publishes keep going.
    let reading = true;
    const reads: Array<number | undefined> = [];
    const reader = (async () => {
      while (reading) {
        const next = [...outbox.pending()].slice(0, 32);
        reads.push(...(await Promise.all(next.map(async ({ seq }) => ((await outbox.read(seq))?.meta.n === seq - 1 ? seq : undefined)))));
        await new Promise((r) => setImmediate(r));
      }
    })();
    while (outbox.size > 0) await Promise.all([...outbox.pending()].slice(0, 32).map(({ seq }) => outbox.done(seq)));
    reading = false;
    await reader;
    await outbox.close();
    assert.ok(reads.length > 400, `${reads.length} reads`);
    assert.ok(!reads.includes(undefined), 'every read got its own publish');
    assert.deepEqual(warnings, []);
    const compactions = debug.filter((m) => m.includes('compacted'));
    assert.ok(compactions.length >= 3 && compactions.length <= 6, compactions.join('\n'));
  });

  it('skips a torn last record (power loss) with a warning, and a damaged line in the middle, losing nothing else', async () => {
    const outbox = open();
    for (let n = 0; n < 3; n++) await outbox.add(publish(n), never);
    await outbox.close();
    const lines = readFileSync(path, 'utf8').split('\n');
    lines.splice(2, 0, '\u0000\u0000\u0000garbage');
    writeFileSync(path, lines.join('\n'));
    appendFileSync(path, '{"op":"put","seq":99,"channel":"/default/outbox","ev');
    const { log, warnings } = capture();
    const again = open({ log });
    assert.deepEqual(again.recovered.map((p) => p.meta.n), [0, 1, 2]);
    assert.equal(warnings.length, 2);
    assert.match(warnings.join('\n'), /last record was cut short/);
    assert.match(warnings.join('\n'), /line 3 is damaged/);
    await again.close();
  });

  it('refuses a file of another format version clearly, and leaves it as it is', () => {
    writeFileSync(path, '{"format":"appsync-events-outbox","version":2}\n{"op":"put"}\n');
    const before = readFileSync(path, 'utf8');
    assert.throws(() => open(), /format version 2, which this version of the pack \(format 1\) cannot read; its publishes are kept in the file/);
    assert.equal(readFileSync(path, 'utf8'), before);
    writeFileSync(path, 'something else\n');
    assert.throws(() => open(), /is not a publish outbox file/);
  });

  it('when full, refuses the new publish, or drops the oldest not in flight and warns once per episode', async () => {
    const strict = open({ maxRequests: 3 });
    for (let n = 0; n < 3; n++) await strict.add(publish(n), never);
    await assert.rejects(strict.add(publish(3), never), (err: EventsError) => err.errorType === 'QueueFull');
    await strict.close();
    rmSync(path);
    const { log, warnings } = capture();
    const dropping = open({ maxRequests: 3, whenFull: 'dropOldest', log });
    for (let n = 0; n < 6; n++) await dropping.add(publish(n), (seq) => seq === 1);
    assert.equal(dropping.dropped, 3);
    assert.equal(warnings.length, 1, 'one warning for the episode');
    await dropping.close();
    assert.deepEqual(readOutbox(path).publishes.map((p) => p.meta.n), [0, 4, 5], 'the one in flight is kept');
  });

  it('bounds the bytes too (queueMaxMB)', async () => {
    const outbox = open({ maxBytes: 400 });
    await outbox.add(publish(0), never);
    await outbox.add(publish(1), never);
    await assert.rejects(outbox.add({ ...publish(2), events: [JSON.stringify('x'.repeat(500))] }, never), /full/);
    await outbox.close();
  });

  it('is sent in order until acknowledged: publishes stored while the service is down arrive after it is back', async () => {
    const emulator = await startEmulator();
    const port = emulator.port;
    const got: unknown[] = [];
    const listener = new Events(emulator.httpUrl).createWebSocketClient(apiKeyAuthorizer(API_KEY), FAST);
    await listener.subscribe('default/outbox', { onEvent: (e) => got.push(e) }).ready;
    const client = new Events(emulator.httpUrl).createWebSocketClient(apiKeyAuthorizer(API_KEY), { ...FAST, requestTimeoutMs: 300 });
    const outbox = open();
    const settled: Array<PublishResult | EventsError> = [];
    const sender = new OutboxSender({
      outbox,
      deliver: (p) => client.publish(p.channel, p.events.map((e): unknown => JSON.parse(e))),
      settled: (_p, outcome) => settled.push(outcome),
      retryBaseDelayMs: 50,
      retryMaxDelayMs: 200,
      log: capture().log,
    });
    let restarted = emulator;
    try {
      sender.start();
      for (let n = 0; n < 3; n++) await outbox.add(publish(n), (s) => sender.isInFlight(s)), sender.notify();
      await waitFor(() => got.length === 3, 'the first three');
      await emulator.stop();
      for (let n = 3; n < 30; n++) await outbox.add(publish(n), (s) => sender.isInFlight(s)), sender.notify();
      assert.ok(outbox.size >= 27, 'stored while the service is down');
      // What the restarted service receives, in order (a subscriber might resubscribe after the outbox has drained).
      restarted = await startEmulator({ port });
      restarted.events.on('message', (_id, m: ClientMessage) => {
        if (m.type === 'publish') got.push(...m.events.map((e) => JSON.parse(e) as unknown));
      });
      await waitFor(() => got.length >= 30 && settled.length === 30, 'all 30 delivered and settled', 15_000);
      const unique = [...new Set(got.map((e) => (e as { n: number }).n))];
      assert.deepEqual(unique, Array.from({ length: 30 }, (_, n) => n), 'every publish, in order');
      assert.equal(settled.length, 30);
      await waitFor(() => statSync(path).size < 100, 'compacted once drained');
    } finally {
      sender.stop();
      await Promise.all([client.disconnect(false), listener.disconnect(false)]);
      await outbox.close();
      await restarted.stop();
    }
  });
});
