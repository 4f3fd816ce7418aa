import { EventsError } from './errors';
import { MAX_EVENTS_PER_REQUEST, MAX_EVENT_BYTES } from './limits';

/**
 * `<`, `>`, `&`, `=`, `'`, U+2028, U+2029 and every non-ASCII character, written as \uXXXX in events whose
 * body is signed for IAM over WebSocket. The service rebuilds that body to verify it, and events with `<`/`>`
 * fail the check (aws/aws-appsync-community#400, protocol.md §4.1), consistent with an HTML-safe serialiser
 * such as Gson's. Which other characters it rewrites is not known (UNCERTAIN): non-ASCII is escaped too, so
 * that no serialiser choice can change the bytes. The result is the same JSON value; nothing else is escaped.
 */
const SIGNING_UNSAFE = /[\u007f-\uffff<>&=']/g;

/** One character as the JSON escape `\uXXXX`. */
export function unicodeEscape(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** The same JSON texts with every character an IAM-signed WebSocket body must not carry raw escaped. */
export function escapeForSigning(events: readonly string[]): string[] {
  return events.map((e) => e.replace(SIGNING_UNSAFE, unicodeEscape));
}

function describeIndex(index: number | undefined): string {
  return index === undefined ? 'the event' : `event ${index}`;
}

function invalidEvent(index: number | undefined, why: string): EventsError {
  return new EventsError({ errorType: 'InvalidEvent', message: `${describeIndex(index)} cannot be sent as JSON: ${why}` });
}

// JSON has no NaN, Infinity or BigInt: JSON.stringify would write null for the first two and throw for the
// third. A sensor value that silently became null is worse than a clear error.
function strictJson(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') throw new TypeError('a BigInt is not a JSON value');
  if (typeof v === 'number' && !Number.isFinite(v)) throw new TypeError(`${v} is not a JSON value`);
  return v;
}

/**
 * A Buffer (from a file, serial, TCP or MQTT node) is taken as UTF-8 JSON text, as the core JSON node would
 * read it; any other Buffer is refused, never sent as Node's {"type":"Buffer","data":[...]} by surprise.
 */
function fromBuffer(bytes: Uint8Array, index: number | undefined): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw invalidEvent(index, 'a Buffer payload must hold UTF-8 JSON text; convert it first (a JSON node, or toString("base64") for binary data)');
  }
}

/** Encodes one value as the stringified JSON the protocol carries, or throws a clear InvalidEvent/EventTooLarge error. */
export function encodeEvent(value: unknown, index?: number): string {
  const json = value instanceof Uint8Array ? fromBuffer(value, index) : value;
  let text: string | undefined;
  try {
    // A replacer takes JSON.stringify off V8's fast path, so it runs only when the text could hide a NaN or
    // Infinity (written as null); a BigInt throws on its own.
    text = JSON.stringify(json);
    if (text !== undefined && text.includes('null') && typeof json === 'object') text = JSON.stringify(json, strictJson);
    else if (typeof json === 'number' && !Number.isFinite(json)) strictJson('', json);
  } catch (err) {
    const message = err instanceof Error ? err.message : 'it is not serialisable';
    throw invalidEvent(index, /circular/i.test(message) ? 'it contains a circular reference' : message);
  }
  if (text === undefined) throw invalidEvent(index, `it is ${json === undefined ? 'undefined' : `a ${typeof json}`}`);
  return withinSizeLimit(text, index);
}

/** The text, or an EventTooLarge error when it is over AppSync's 240 KB per event. */
function withinSizeLimit(text: string, index: number | undefined): string {
  // A UTF-16 code unit takes at most 3 UTF-8 bytes: short texts need no byte count.
  const bytes = text.length * 3 <= MAX_EVENT_BYTES ? 0 : Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_EVENT_BYTES) {
    throw new EventsError({ errorType: 'EventTooLarge', message: `${describeIndex(index)} is ${bytes} bytes as JSON; the limit is ${MAX_EVENT_BYTES} bytes (240 KB)` });
  }
  return text;
}

/**
 * Events already encoded as the JSON texts the protocol carries (a publish stored in the outbox file): published as
 * they are, checked for AppSync's size limit only, so that a stored publish is not parsed and encoded again. The
 * texts must be JSON; AppSync refuses a text that is not.
 */
export class EncodedEvents {
  constructor(readonly texts: readonly string[]) {}
}

function checkedText(text: string, index: number): string {
  if (typeof text !== 'string') throw invalidEvent(index, 'an encoded event must be a JSON text');
  return withinSizeLimit(text, index);
}

/** Encodes a batch (or checks one already encoded); the error names the caller's index of the first bad event. */
export function encodeEvents(values: readonly unknown[] | EncodedEvents): readonly string[] {
  const batch = values instanceof EncodedEvents ? values.texts : values;
  if (!Array.isArray(batch) || batch.length === 0) {
    throw new EventsError({ errorType: 'EmptyBatch', message: 'there are no events to publish' });
  }
  if (values instanceof EncodedEvents) return values.texts.map(checkedText);
  if (values.length === 1) return [encodeEvent(values[0])];
  return values.map((v, i) => encodeEvent(v, i));
}

/** Splits a batch into requests of at most 5 events, in order. */
export function chunkEvents<T>(events: readonly T[], size = MAX_EVENTS_PER_REQUEST): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < events.length; i += size) chunks.push(events.slice(i, i + size));
  return chunks;
}

/** base64url of the UTF-8 JSON, without padding: the `header-` subprotocol form (D-WS). */
export function encodeAuthSubprotocol(headers: Readonly<Record<string, string>>): string {
  return Buffer.from(JSON.stringify(headers), 'utf8').toString('base64url');
}

/** Inverse of encodeAuthSubprotocol; accepts padded and standard base64 too. Never throws: bad input is undefined. */
export function decodeAuthSubprotocol(value: string): unknown {
  const normalised = value.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  try {
    return JSON.parse(Buffer.from(normalised, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
}
