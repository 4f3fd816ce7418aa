import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EventsError } from '../../protocol/errors';
import { isJsonObject } from '../../protocol/messages';

/**
 * The outbox file: a header line, then one JSON line per change, appended and flushed to disk (fsync) before the
 * change counts. A `put` line is a stored publish; a `done` line says it was acknowledged or dropped. Reading the file
 * back gives the publishes still owed, in order. Plain `node:fs`, no native module (gateways are often ARM boards
 * without a compiler).
 */
export const OUTBOX_FORMAT = 'appsync-events-outbox';
export const OUTBOX_VERSION = 1;

export interface StoredPublish {
  /** Increases with every publish stored in this file: the order of sending. */
  seq: number;
  channel: string;
  /** The events as JSON texts. */
  events: string[];
  transport: 'websocket' | 'http';
  /** What the caller needs to finish the publish after a restart (the node, its message); JSON. */
  meta: Record<string, unknown>;
}

type Line = ({ op: 'put' } & StoredPublish) | { op: 'done'; seq: number };

export interface Recovered {
  publishes: StoredPublish[];
  /** Lines that could not be read: the last one torn by a power cut, or damaged ones in the middle. */
  skipped: Array<{ line: number; torn: boolean }>;
}

const HEADER = `${JSON.stringify({ format: OUTBOX_FORMAT, version: OUTBOX_VERSION })}\n`;

function parseLine(text: string): Line | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isJsonObject(value) || typeof value.seq !== 'number' || !Number.isSafeInteger(value.seq)) return undefined;
  if (value.op === 'done') return { op: 'done', seq: value.seq };
  const { channel, events, transport, meta } = value;
  if (value.op !== 'put' || typeof channel !== 'string' || !Array.isArray(events) || !isJsonObject(meta)) return undefined;
  if (!events.every((e): e is string => typeof e === 'string') || (transport !== 'websocket' && transport !== 'http')) return undefined;
  return { op: 'put', seq: value.seq, channel, events, transport, meta };
}

/** A `put` line read back, or undefined when it does not read as one. */
export function parseStoredPublish(text: string): StoredPublish | undefined {
  const line = parseLine(text.trimEnd());
  return line?.op === 'put' ? { seq: line.seq, channel: line.channel, events: line.events, transport: line.transport, meta: line.meta } : undefined;
}

/** The header's verdict: this version, or a clear refusal that leaves the file as it is. */
function checkHeader(text: string, path: string): void {
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch {
    header = undefined;
  }
  if (!isJsonObject(header) || header.format !== OUTBOX_FORMAT) {
    throw new EventsError({ errorType: 'InvalidConfiguration', message: `${path} is not a publish outbox file; move it away to start an empty outbox` });
  }
  if (header.version !== OUTBOX_VERSION) {
    throw new EventsError({
      errorType: 'InvalidConfiguration',
      message: `${path} is an outbox of format version ${String(header.version)}, which this version of the pack (format ${OUTBOX_VERSION}) cannot read; its publishes are kept in the file: install the version that wrote it to send them, or move the file away`,
    });
  }
}

/** Reads an outbox file: the publishes not yet done, in order. A missing file is an empty outbox. */
export function readOutbox(path: string): Recovered {
  if (!existsSync(path)) return { publishes: [], skipped: [] };
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  // A file that ends with a newline splits into a last empty string; anything else after the last newline is torn.
  const complete = text.endsWith('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length === 0) return { publishes: [], skipped: [] };
  checkHeader(lines[0] ?? '', path);
  const live = new Map<number, StoredPublish>();
  const skipped: Recovered['skipped'] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = parseLine(lines[i] ?? '');
    const last = i === lines.length - 1;
    if (!line || (last && !complete)) {
      skipped.push({ line: i + 1, torn: last });
      continue;
    }
    if (line.op === 'put') live.set(line.seq, { seq: line.seq, channel: line.channel, events: line.events, transport: line.transport, meta: line.meta });
    else live.delete(line.seq);
  }
  return { publishes: [...live.values()].sort((a, b) => a.seq - b.seq), skipped };
}

/** The text of a fresh file holding `lines`, and the offset of each line in it. */
function freshFile(lines: readonly string[]): { text: string; offsets: number[] } {
  const offsets: number[] = [];
  let offset = Buffer.byteLength(HEADER);
  for (const line of lines) {
    offsets.push(offset);
    offset += Buffer.byteLength(line);
  }
  return { text: HEADER + lines.join(''), offsets };
}

/**
 * Writes a fresh file with the header and `lines`, atomically: a temporary file flushed to disk, then renamed over.
 * Returns the offset of each line in the new file. Synchronous: for opening an outbox, before anything is sent.
 */
export function rewriteOutbox(path: string, lines: readonly string[]): number[] {
  mkdirSync(dirname(path), { recursive: true });
  const { text, offsets } = freshFile(lines);
  const fd = openSync(`${path}.tmp`, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(`${path}.tmp`, path);
  syncDirectory(dirname(path));
  return offsets;
}

/** Makes a rename durable: the directory entry is flushed too (not possible on Windows, where it is skipped). */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Windows cannot open a directory for fsync; NTFS journals the rename.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function putLine(p: StoredPublish): string {
  return `${JSON.stringify({ op: 'put', seq: p.seq, channel: p.channel, events: p.events, transport: p.transport, meta: p.meta })}\n`;
}

export function doneLine(seq: number): string {
  return `{"op":"done","seq":${seq}}\n`;
}

/** Where a stored publish's line is in the file. */
export interface LinePosition {
  offset: number;
  length: number;
}

/**
 * Appends lines to the file. Lines given in the same turn of the event loop are written and flushed together, one
 * write and one fsync for all (group commit): each caller's promise resolves once it is on disk. A rewrite (compaction) takes its turn in the same chain, so no line is ever appended to a replaced file.
 */
export class OutboxAppender {
  #handle: Promise<FileHandle>;
  #size: number;
  #pending: Array<{ text: string; written?: (position: LinePosition) => void; resolve: () => void; reject: (err: unknown) => void }> = [];
  /** The last write or rewrite: each waits for the one before. */
  #chain: Promise<void> = Promise.resolve();
  #scheduled = false;

  /** Opens `path` for appending; `size` is its current length (after `rewriteOutbox`). */
  constructor(
    private readonly path: string,
    size: number,
  ) {
    this.#size = size;
    this.#handle = open(path, 'a+');
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
   * (read from the file being replaced), and moves those positions to the new file. The new file is written and
   * flushed without blocking the event loop (a sync write and fsync of 50,000 lines held the process for about 100 ms
   * in `bench/`); only the rename swaps the files, and reads wait for it.
   */
  rewrite(live: () => LinePosition[]): Promise<void> {
    const run = this.#chain.then(async () => {
      const positions = live();
      // One read of the whole file, then the live lines cut out of it: a read per line took seconds for 20,000. (Not
      // the handle's readFile, which reads from its position: the end, after appending.)
      const whole = await readFile(this.path);
      const { text, offsets } = freshFile(positions.map((p) => whole.subarray(p.offset, p.offset + p.length).toString('utf8')));
      const temp = await open(`${this.path}.tmp`, 'w');
      try {
        await temp.writeFile(text);
        await temp.sync();
      } finally {
        await temp.close();
      }
      await this.#swap(() => {
        renameSync(`${this.path}.tmp`, this.path);
        syncDirectory(dirname(this.path));
        positions.forEach((p, i) => (p.offset = offsets[i] ?? p.offset));
        this.#size = Buffer.byteLength(text);
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
      reopened(open(this.path, 'a+'));
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
    await (await this.#handle).close();
  }

  async #flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    try {
      const handle = await this.#handle;
      const texts = batch.map((b) => Buffer.from(b.text, 'utf8'));
      await handle.write(Buffer.concat(texts));
      await handle.sync();
      let offset = this.#size;
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
}
