import { existsSync, readFileSync } from 'node:fs';
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

/** Where a line is in the file, in bytes, its newline included. */
export interface LinePosition {
  offset: number;
  length: number;
}

export interface Recovered {
  publishes: StoredPublish[];
  /** Where each of `publishes` is in the file, in the same order. */
  positions: LinePosition[];
  /** Lines that could not be read: the last one torn by a power cut, or damaged ones in the middle. */
  skipped: Array<{ line: number; torn: boolean }>;
  /** The bytes up to the end of the last whole line: what follows is a torn record, to be cut off before appending. */
  wholeLength: number;
  /** The file's length as read. */
  length: number;
}

export const HEADER = `${JSON.stringify({ format: OUTBOX_FORMAT, version: OUTBOX_VERSION })}\n`;

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

/** The lines of a file as byte ranges; a last one without its newline is torn. */
function* lineRanges(bytes: Buffer): Generator<{ offset: number; length: number; whole: boolean }> {
  let offset = 0;
  while (offset < bytes.length) {
    const newline = bytes.indexOf(0x0a, offset);
    const end = newline === -1 ? bytes.length : newline + 1;
    yield { offset, length: end - offset, whole: newline !== -1 };
    offset = end;
  }
}

/** Reads an outbox file: the publishes not yet done, in order, and where they are. A missing file is an empty outbox. */
export function readOutbox(path: string): Recovered {
  const empty: Recovered = { publishes: [], positions: [], skipped: [], wholeLength: 0, length: 0 };
  if (!existsSync(path)) return empty;
  const bytes = readFileSync(path);
  const live = new Map<number, { publish: StoredPublish; position: LinePosition }>();
  const skipped: Recovered['skipped'] = [];
  let wholeLength = 0;
  let index = 0;
  for (const range of lineRanges(bytes)) {
    index++;
    const text = bytes.subarray(range.offset, range.offset + range.length).toString('utf8');
    if (index === 1) {
      // A header torn by a power cut at the very start: nothing was stored after it.
      if (!range.whole && HEADER.startsWith(text)) break;
      checkHeader(text, path);
      wholeLength = range.length;
      continue;
    }
    const line = range.whole ? parseLine(text.trimEnd()) : undefined;
    if (range.whole) wholeLength = range.offset + range.length;
    if (!line) {
      skipped.push({ line: index, torn: !range.whole });
      continue;
    }
    if (line.op === 'put') live.set(line.seq, { publish: { seq: line.seq, channel: line.channel, events: line.events, transport: line.transport, meta: line.meta }, position: { offset: range.offset, length: range.length } });
    else live.delete(line.seq);
  }
  const sorted = [...live.values()].sort((a, b) => a.publish.seq - b.publish.seq);
  return { publishes: sorted.map((l) => l.publish), positions: sorted.map((l) => l.position), skipped, wholeLength, length: bytes.length };
}

/** The text of a fresh file holding `lines`, and the offset of each line in it. */
export function freshFile(lines: readonly string[]): { text: string; offsets: number[] } {
  const offsets: number[] = [];
  let offset = Buffer.byteLength(HEADER);
  for (const line of lines) {
    offsets.push(offset);
    offset += Buffer.byteLength(line);
  }
  return { text: HEADER + lines.join(''), offsets };
}

export function putLine(p: StoredPublish): string {
  return `${JSON.stringify({ op: 'put', seq: p.seq, channel: p.channel, events: p.events, transport: p.transport, meta: p.meta })}\n`;
}

export function doneLine(seq: number): string {
  return `{"op":"done","seq":${seq}}\n`;
}
