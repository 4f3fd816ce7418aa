import { closeSync, existsSync, mkdirSync, openSync, statSync, truncateSync } from 'node:fs';
import { dirname } from 'node:path';
import { EventsError } from '../../protocol/errors';
import type { Logger } from '../logger';
import { diskErrorWords } from './disk-error';
import { OutboxAppender } from './outbox-appender';
import { doneLine, freshFile, parseStoredPublish, putLine, readOutbox, type LinePosition, type Recovered, type StoredPublish } from './outbox-file';
import { OutboxLock } from './outbox-lock';
import { inodeOf, replaceFileSync } from './outbox-replace';
import type { DiskSpace } from './disk-space';

export type QueueFullPolicy = 'reject' | 'dropOldest';

export interface PublishOutboxOptions {
  /** The outbox file; its folder is made if needed. */
  path: string;
  /** Stored publish requests at most (the endpoint's `queueSize`). */
  maxRequests: number;
  /** Bytes of stored publishes at most (the endpoint's `queueMaxMB`). */
  maxBytes: number;
  whenFull: QueueFullPolicy;
  log: Logger;
  /** A stored publish the `dropOldest` policy dropped. */
  dropped?(seq: number): void;
  /** Tests only, where no small disk can be mounted: the room left on the disk (disk-space.ts). */
  space?: DiskSpace;
  /** Done lines that make a rewrite worth it, when they also outnumber the live ones (default 10,000). */
  compactAfterDeadLines?: number;
}

/** A stored publish as the outbox keeps it in memory: where its line is, not the line (the heap does not grow with the queue). */
interface Entry extends LinePosition {
  seq: number;
  transport: StoredPublish['transport'];
  /** Not yet on disk: its position is known once the append is flushed. */
  durable: boolean;
  done: boolean;
}

/**
 * The durable publish queue of one endpoint: publishes written to a file before they count as queued, kept in order
 * until AppSync acknowledges them (or the `whenFull` policy drops them), read back after a restart or a crash. The
 * file is compacted as it drains: rewritten empty when the last publish is done, and when done lines pile up.
 */
export class PublishOutbox {
  readonly path: string;
  /** What was owed when the file was opened: the publishes of a previous run, to be sent first. */
  readonly recovered: readonly StoredPublish[];
  readonly #options: PublishOutboxOptions;
  readonly #appender: OutboxAppender;
  readonly #lock: OutboxLock;
  /** Live entries in sequence order; done ones are removed from the front as they finish. */
  #entries: Entry[] = [];
  #head = 0;
  #nextSeq: number;
  #bytes = 0;
  #live = 0;
  #deadLines = 0;
  #dropped = 0;
  #full = false;
  /** A compaction is queued or running: publishes done meanwhile do not queue another (32 acknowledgements in one
   * turn queued 32 rewrites of the whole file, a stall of seconds at 50,000 stored publishes). */
  #compacting = false;

  constructor(options: PublishOutboxOptions) {
    this.#options = options;
    this.path = options.path;
    mkdirSync(dirname(options.path), { recursive: true });
    this.#lock = OutboxLock.acquire(options.path);
    try {
      const { publishes, positions } = this.#recover();
      this.recovered = publishes;
      publishes.forEach((p, i) => {
        const position = positions[i] ?? { offset: 0, length: 0 };
        this.#entries.push({ seq: p.seq, transport: p.transport, ...position, durable: true, done: false });
        this.#bytes += position.length;
        this.#live++;
      });
      this.#nextSeq = (publishes.at(-1)?.seq ?? 0) + 1;
      this.#appender = new OutboxAppender(options.path, statSync(options.path).size, this.#lock, inodeOf(options.path), options.space);
    } catch (err) {
      this.#lock.release();
      throw err;
    }
  }

  /**
   * Reads what is owed, cuts off a torn last record, and compacts the file when it holds more than that; a compaction
   * that fails (a full disk) keeps the file as it is, and the positions read from it.
   */
  #recover(): Pick<Recovered, 'publishes' | 'positions'> {
    const { path, log } = this.#options;
    const recovered = readOutbox(path);
    for (const s of recovered.skipped) {
      log.warn(s.torn ? `publish outbox ${path}: the last record was cut short (power loss?) and is skipped` : `publish outbox ${path}: line ${s.line} is damaged and is skipped`);
    }
    if (!existsSync(path)) closeSync(openSync(path, 'a'));
    else if (recovered.length > recovered.wholeLength) truncateSync(path, recovered.wholeLength);
    const lines = recovered.publishes.map(putLine);
    const { text, offsets } = freshFile(lines);
    if (recovered.wholeLength <= Buffer.byteLength(text)) return recovered;
    try {
      replaceFileSync(path, text, inodeOf(path), this.#options.space);
    } catch (err) {
      log.warn(`publish outbox ${path}: could not compact the file at start (${diskErrorWords(err)}); it is kept as it is`);
      return recovered;
    }
    return { publishes: recovered.publishes, positions: lines.map((line, i) => ({ offset: offsets[i] ?? 0, length: Buffer.byteLength(line) })) };
  }

  /** Publish requests stored and not yet done. */
  get size(): number {
    return this.#live;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Publishes dropped by the `dropOldest` policy since the outbox opened. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Stores a publish; resolves once it is on disk. When full, fails (`reject`) or drops the oldest (`dropOldest`). */
  async add(publish: Omit<StoredPublish, 'seq'>, isInFlight: (seq: number) => boolean): Promise<StoredPublish> {
    const stored: StoredPublish = { ...publish, seq: this.#nextSeq++ };
    const line = putLine(stored);
    const length = Buffer.byteLength(line);
    this.#makeRoom(length, isInFlight);
    const entry: Entry = { seq: stored.seq, transport: stored.transport, offset: 0, length, durable: false, done: false };
    this.#entries.push(entry);
    this.#bytes += length;
    this.#live++;
    try {
      await this.#appender.append(line, (position) => {
        entry.offset = position.offset;
        entry.durable = true;
      });
    } catch (err) {
      this.#forget(entry);
      if (err instanceof EventsError) throw err;
      throw new EventsError({ errorType: 'QueueFull', message: `the publish could not be stored in ${this.path}: ${diskErrorWords(err)}`, cause: err });
    }
    return stored;
  }

  /** The stored publishes on disk and not done, oldest first (what the sender may send). */
  *pending(): Generator<{ seq: number; transport: StoredPublish['transport'] }> {
    for (let i = this.#head; i < this.#entries.length; i++) {
      const e = this.#entries[i];
      if (e && e.durable && !e.done) yield { seq: e.seq, transport: e.transport };
    }
  }

  /** Whether publish `seq` is still stored (not done, not dropped). */
  holds(seq: number): boolean {
    const entry = this.#find(seq);
    return entry !== undefined && !entry.done;
  }

  /** Reads a stored publish back from the file; a line that no longer reads as one is dropped with a warning. */
  async read(seq: number): Promise<StoredPublish | undefined> {
    const entry = this.#find(seq);
    if (!entry || entry.done || !entry.durable) return undefined;
    const text = await this.#appender.read(entry);
    const stored = parseStoredPublish(text);
    if (stored?.seq === seq) return stored;
    this.#options.log.warn(`publish outbox ${this.path}: stored publish ${seq} is damaged and is skipped`);
    await this.done(seq);
    return undefined;
  }

  /** Marks a publish done (acknowledged, or refused for good): it is not sent again, even after a crash. */
  async done(seq: number): Promise<void> {
    const entry = this.#find(seq);
    if (!entry || entry.done) return;
    this.#forget(entry);
    try {
      await this.#appender.append(doneLine(seq));
    } catch (err) {
      // Done in memory all the same: only a restart before the next compaction would send it again (at least once).
      this.#options.log.warn(`publish outbox ${this.path}: could not record publish ${seq} as done (${diskErrorWords(err)})`);
      return;
    }
    this.#deadLines++;
    if (this.size === 0 || (this.#deadLines > (this.#options.compactAfterDeadLines ?? 10_000) && this.#deadLines > this.size)) this.#compact();
  }

  async close(): Promise<void> {
    try {
      await this.#appender.close();
    } finally {
      this.#lock.release();
    }
  }

  #makeRoom(length: number, isInFlight: (seq: number) => boolean): void {
    const fits = () => this.size + 1 <= this.#options.maxRequests && this.#bytes + length <= this.#options.maxBytes;
    if (fits()) {
      this.#full = false;
      return;
    }
    const limit = `${this.#options.maxRequests} requests or ${Math.round(this.#options.maxBytes / 1024 / 1024)} MB`;
    if (this.#options.whenFull === 'reject') {
      throw new EventsError({ errorType: 'QueueFull', message: `the publish outbox is full (${limit}); the message was not stored` });
    }
    let dropped = 0;
    for (let i = this.#head; i < this.#entries.length && !fits(); i++) {
      const e = this.#entries[i];
      if (!e || e.done || isInFlight(e.seq)) continue;
      // One not yet on disk is dropped too: its done line follows its put line in the file.
      this.#forget(e);
      void this.#appender.append(doneLine(e.seq)).catch(() => {});
      this.#options.dropped?.(e.seq);
      dropped++;
    }
    this.#dropped += dropped;
    if (!fits()) throw new EventsError({ errorType: 'QueueFull', message: `the publish outbox is full (${limit}) with publishes in flight; the message was not stored` });
    if (!this.#full) this.#options.log.warn(`publish outbox full (${limit}): dropping the oldest stored publishes (${this.#dropped} so far)`);
    this.#full = true;
  }

  #find(seq: number): Entry | undefined {
    // Entries are in sequence order: a binary search finds one among a hundred thousand at once.
    let lo = this.#head;
    let hi = this.#entries.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const e = this.#entries[mid];
      if (!e) return undefined;
      if (e.seq === seq) return e;
      if (e.seq < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  #forget(entry: Entry): void {
    entry.done = true;
    this.#bytes -= entry.length;
    this.#live--;
    while (this.#head < this.#entries.length && this.#entries[this.#head]?.done) this.#head++;
    // Drop the finished front now and then, not on every call: slicing is a copy.
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }

  #compact(): void {
    if (this.#compacting) return;
    this.#compacting = true;
    void this.#appender
      .rewrite(() => {
        this.#deadLines = 0;
        const live = this.#entries.slice(this.#head).filter((e) => e.durable && !e.done);
        this.#options.log.debug(`publish outbox ${this.path}: compacted, ${live.length} stored publishes kept`);
        return live;
      })
      .catch((err: unknown) => this.#options.log.warn(`publish outbox ${this.path}: could not compact (${err instanceof Error ? err.message : String(err)})`))
      .finally(() => (this.#compacting = false));
  }
}
