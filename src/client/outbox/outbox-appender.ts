// fs.promises is read at first use: node:fs/promises costs about 1.6 ms at load (bench section 0), which an endpoint
// without the file store need not pay.
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { freshFile, HEADER, type LinePosition } from './outbox-file';
import type { OutboxLock } from './outbox-lock';
import { inodeOf, renameCopy, writeCopy } from './outbox-replace';
import { fitting, type DiskSpace } from './disk-space';

interface PendingLine {
  text: string;
  written?: (position: LinePosition) => void;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Appends lines to the outbox file. Lines given in the same turn of the event loop are written and flushed together,
 * one write and one fsync for all (group commit): each caller's promise resolves once it is on disk. A rewrite
 * (compaction) takes its turn in the same chain, so no line is ever appended to a replaced file.
 *
 * Every byte of a batch is written, or the batch fails and the file is cut back to its last whole record: a write that
 * fails on a full disk can leave part of a record behind, and the records appended after it would read back as
 * damaged. A file this outbox no longer owns (its lock taken over) is not written at all.
 */
export class OutboxAppender {
  #handle: Promise<FileHandle>;
  /** The bytes of whole records on disk. */
  #size: number;
  /** A failed write may have left bytes past `#size`: they are cut off before anything else is written. */
  #dirty = false;
  #pending: PendingLine[] = [];
  /** The last write or rewrite: each waits for the one before. */
  #chain: Promise<void> = Promise.resolve();
  #scheduled = false;
  /** The inode of the file this outbox writes: a rename never replaces another writer's file. */
  #inode: number | undefined;

  /** Opens `path` for appending; `size` is its length, every byte of it whole records (an empty file gets the header first). */
  constructor(
    private readonly path: string,
    size: number,
    private readonly lock: OutboxLock,
    inode: number | undefined,
    private readonly space?: DiskSpace,
  ) {
    this.#size = size;
    this.#inode = inode;
    this.#handle = fs.open(path, 'a+');
    // A file that cannot be opened fails the first append (and each after it), never an unhandled rejection.
    this.#handle.catch(() => {});
  }

  /** `written` hears the line's position as soon as it is on disk, before any later write or rewrite runs. */
  append(text: string, written?: (position: LinePosition) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ text, written, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.#chain = this.#chain.then(() => this.#flush());
        });
      }
    });
  }

  /**
   * Replaces the file, after every line appended before, with the lines of the positions `live` gives at that moment
   * (read from the file being replaced), and moves those positions to the new file. The copy is written and flushed
   * without blocking the event loop; only the rename swaps the files, and reads wait for it. When the copy cannot be
   * written whole (a full disk), the old file stays and appending goes on there.
   */
  rewrite(live: () => LinePosition[]): Promise<void> {
    const run = this.#chain.then(async () => {
      this.lock.check();
      const positions = live();
      // One read of the whole file, then the live lines cut out of it: a read per line took seconds for 20,000. (Not
      // the handle's readFile, which reads from its position: the end, after appending.)
      const whole = await fs.readFile(this.path);
      const { text, offsets } = freshFile(positions.map((p) => whole.subarray(p.offset, p.offset + p.length).toString('utf8')));
      const temp = await writeCopy(this.path, text, this.space);
      await this.#swap(() => {
        this.lock.check();
        renameCopy(temp, this.path, this.#inode);
        this.#inode = inodeOf(this.path);
        positions.forEach((p, i) => (p.offset = offsets[i] ?? p.offset));
        this.#size = Buffer.byteLength(text);
        this.#dirty = false;
      });
    });
    this.#chain = run.catch(() => {});
    return run;
  }

  /** Closes the handle (after the reads in progress), runs `change`, and opens the file again; reads wait meanwhile. */
  async #swap(change: () => void): Promise<void> {
    const old = this.#handle;
    let reopened: (handle: Promise<FileHandle>) => void = () => {};
    this.#handle = new Promise((resolve) => (reopened = resolve));
    try {
      await (await old).close();
      change();
    } finally {
      const next = fs.open(this.path, 'a+');
      next.catch(() => {});
      reopened(next);
    }
  }

  /**
   * Reads a line back (to send a stored publish). A read that took the handle just before a rewrite swapped it fails
   * as closed: it is read again from the new file, where the rewrite moved its position.
   */
  async read(position: LinePosition): Promise<string> {
    for (;;) {
      const current = this.#handle;
      try {
        const handle = await current;
        const { buffer } = await handle.read(Buffer.alloc(position.length), 0, position.length, position.offset);
        return buffer.toString('utf8');
      } catch (err) {
        if (this.#handle === current) throw err;
      }
    }
  }

  /** Waits for what was appended, then closes the file. */
  async close(): Promise<void> {
    while (this.#scheduled) await new Promise((r) => setImmediate(r));
    await this.#chain;
    await (await this.#handle.catch(() => undefined))?.close();
  }

  async #flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    try {
      this.lock.check();
      const handle = await this.#handle;
      if (this.#dirty) await this.#cutBack(handle);
      const header = this.#size === 0 ? Buffer.from(HEADER) : undefined;
      const texts = batch.map((b) => Buffer.from(b.text, 'utf8'));
      await this.#write(handle, Buffer.concat(header ? [header, ...texts] : texts));
      let offset = this.#size + (header?.length ?? 0);
      batch.forEach((b, i) => {
        const length = texts[i]?.length ?? 0;
        b.written?.({ offset, length });
        offset += length;
      });
      this.#size = offset;
      for (const b of batch) b.resolve();
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
  }

  /** Writes every byte and flushes it; on any failure cuts the file back to its last whole record, then fails. */
  async #write(handle: FileHandle, bytes: Buffer): Promise<void> {
    try {
      const { bytes: fits, full } = fitting(this.space, this.path, bytes);
      let written = 0;
      // A write may stop short of the whole when the disk fills: go on until it is all written or it fails.
      while (written < fits.length) written += (await handle.write(fits, written, fits.length - written)).bytesWritten;
      if (full) throw full;
      await handle.sync();
    } catch (err) {
      this.#dirty = true;
      await this.#cutBack(handle).catch(() => {});
      throw err;
    }
  }

  /** Truncates to the last whole record and reads the size again; stays dirty until that works. */
  async #cutBack(handle: FileHandle): Promise<void> {
    await handle.truncate(this.#size);
    await handle.sync();
    const { size } = await handle.stat();
    this.#size = size;
    this.#dirty = false;
  }
}
