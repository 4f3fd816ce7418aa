import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../src/client';
import { readOutbox } from '../src/client/outbox/outbox-file';
import { PublishOutbox } from '../src/client/outbox/publish-outbox';
import { EventsError } from '../src/protocol/errors';
import { mountSmallDisk, simulatedSmallDisk, type SmallDisk } from './support/small-disk';
import { waitFor } from './support/wait';

// The file store under the faults it exists for (issue 18): a disk that fills while publishes are stored, a restart on
// a nearly full disk, and a second writer of the same file. The disk cases run on a real tmpfs of 512 KB where the
// tests may mount one (root, as CI runs), and on a simulated disk of the same size through the outbox's space seam
// everywhere, so that a developer without root runs them too.

function capture(): { log: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const ignore = () => {};
  return { log: { error: ignore, warn: (m) => warnings.push(m), info: ignore, debug: ignore }, warnings };
}

const publish = (n: number) => ({ channel: '/default/faults', events: [JSON.stringify({ n, pad: 'x'.repeat(100) })], transport: 'websocket' as const, meta: { n } });
const never = () => false;

const disks: Array<{ name: string; mount(): SmallDisk | undefined }> = [
  { name: 'a real tmpfs of 512 KB', mount: () => mountSmallDisk(512) },
  { name: 'a simulated disk of 512 KB (the space seam)', mount: () => simulatedSmallDisk(512) },
];

for (const kind of disks) {
  describe(`the publish outbox on ${kind.name} that fills`, function () {
    this.timeout(30_000);
    let disk: SmallDisk | undefined;
    let path: string;

    beforeEach(function () {
      disk = kind.mount();
      // Only a root process can mount the tmpfs; the simulated disk runs for everyone.
      if (!disk) this.skip();
      path = join(disk.dir, 'appsync-events', 'outbox.jsonl');
    });
    afterEach(() => disk?.unmount());

    const open = (log: Logger = capture().log) => new PublishOutbox({ path, maxRequests: 100_000, maxBytes: 50 * 1024 * 1024, whenFull: 'reject', log, space: disk?.space });

    it('the disk fills while publishes are stored: refused at once as "disk full", and every accepted one reads back whole', async () => {
      const outbox = open();
      await outbox.add(publish(-1), never);
      disk!.fill(16 * 1024);
      const accepted: number[] = [];
      const refused: string[] = [];
      // Ten at a time, as a burst would: one batch (one write) may cross the last free page and be cut short.
      for (let n = 0; n < 600; n += 10) {
        const batch = Array.from({ length: 10 }, (_, i) => n + i);
        const outcomes = await Promise.allSettled(batch.map((i) => outbox.add(publish(i), never)));
        outcomes.forEach((o, i) => (o.status === 'fulfilled' ? accepted.push(batch[i] ?? -2) : refused.push(o.reason instanceof EventsError ? `${o.reason.errorType}: ${o.reason.message}` : String(o.reason))));
      }
      assert.ok(refused.length > 0, 'the disk filled');
      assert.ok(refused.every((r) => /^QueueFull: .*disk full/.test(r)), refused[0]);
      disk!.free();
      // Space is back: the outbox goes on by itself.
      for (let n = 1000; n < 1010; n++) {
        await outbox.add(publish(n), never);
        accepted.push(n);
      }
      await outbox.close();
      const { log, warnings } = capture();
      const again = open(log);
      assert.deepEqual(warnings, [], 'no record reads back as damaged');
      assert.deepEqual(again.recovered.map((p) => p.meta.n), [-1, ...accepted], 'every accepted publish, in order');
      await again.close();
    });

    it('a restart on a nearly full disk keeps every stored publish: a compaction that cannot be written leaves the file as it was', async () => {
      const outbox = open();
      for (let n = 0; n < 1500; n += 100) await Promise.all(Array.from({ length: 100 }, (_, i) => outbox.add(publish(n + i), never)));
      // Done lines make the file worth compacting at the next start.
      for (let seq = 1; seq <= 100; seq++) await outbox.done(seq);
      await outbox.close();
      const before = statSync(path).size;
      disk!.fill(8 * 1024);
      const { log, warnings } = capture();
      const reopened = open(log);
      assert.equal(reopened.recovered.length, 1400);
      assert.deepEqual(reopened.recovered.map((p) => p.meta.n), Array.from({ length: 1400 }, (_, i) => i + 100));
      assert.match(warnings.join('\n'), /could not compact the file at start \(disk full/);
      assert.equal(statSync(path).size, before, 'the file is as it was');
      // It reads its publishes back from the file it kept.
      const first = [...reopened.pending()][0];
      assert.equal((await reopened.read(first?.seq ?? 0))?.meta.n, 100);
      // A compaction while running fails the same way, and keeps the file.
      for (const { seq } of [...reopened.pending()].slice(0, 1399)) await reopened.done(seq);
      await waitFor(() => warnings.some((w) => w.includes('could not compact')) && warnings.length >= 2, 'the failed compaction is reported');
      disk!.free();
      await reopened.close();
      // Done lines that found the disk full were not written: those publishes are owed again (at least once), in order.
      const owed = readOutbox(path).publishes.map((p) => Number(p.meta.n));
      assert.equal(owed.at(-1), 1499, 'the last one is still owed');
      assert.deepEqual(owed, [...owed].sort((a, b) => a - b));
    });
  });
}

describe('the publish outbox with a second writer', function () {
  this.timeout(30_000);
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'appsync-outbox-writers-'));
    path = join(dir, 'appsync-events', 'outbox.jsonl');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const open = (log: Logger = capture().log) => new PublishOutbox({ path, maxRequests: 100_000, maxBytes: 50 * 1024 * 1024, whenFull: 'reject', log });

  it('one writer per file: a second process is refused with its pid, and a lock whose process is gone is taken over', async () => {
    const first = open();
    await first.add(publish(1), never);
    const script = `
      const { PublishOutbox } = require(${JSON.stringify(join(__dirname, '..', 'src', 'client', 'outbox', 'publish-outbox.ts'))});
      const log = { error() {}, warn() {}, info() {}, debug() {} };
      try {
        new PublishOutbox({ path: ${JSON.stringify(path)}, maxRequests: 10, maxBytes: 1e6, whenFull: 'reject', log });
        process.stdout.write('opened\\n');
      } catch (err) { process.stdout.write(err.errorType + ': ' + err.message + '\\n'); }
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    child.kill('SIGKILL');
    await once(child, 'exit');
    assert.match(line.toString(), new RegExp(`^OutboxInUse: OutboxInUse: outbox in use by process ${process.pid}:`));
    await first.close();

    // Now the child holds it, and is killed: its lock is stale, and this process takes it over.
    const holder = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [opened] = (await once(holder.stdout, 'data')) as [Buffer];
      assert.equal(opened.toString().trim(), 'opened');
      assert.throws(() => open(), (err: EventsError) => err.errorType === 'OutboxInUse' && err.code === holder.pid);
    } finally {
      holder.kill('SIGKILL');
      await once(holder, 'exit');
    }
    const after = open();
    assert.deepEqual(after.recovered.map((p) => p.meta.n), [1]);
    await after.close();
  });

  it("a redeploy's new outbox takes the file over: the old one writes and renames nothing there", async () => {
    const old = open();
    for (let n = 0; n < 20; n++) await old.add(publish(n), never);
    const fresh = open();
    assert.equal(fresh.recovered.length, 20);
    await assert.rejects(old.add(publish(99), never), (err: EventsError) => err.errorType === 'OutboxInUse');
    // A late acknowledgement on the old one (all of them: it would compact) leaves the new one's file alone.
    for (let seq = 1; seq <= 20; seq++) await old.done(seq);
    await fresh.add(publish(20), never);
    await old.close();
    await fresh.close();
    assert.deepEqual(readOutbox(path).publishes.map((p) => p.meta.n), Array.from({ length: 21 }, (_, n) => n));
    assert.ok(!readFileSync(path, 'utf8').includes('"op":"done"'), 'no done line of the old outbox');
  });
});
