import { EventsError } from './errors';
import { MAX_EVENTS_PER_REQUEST, MAX_EVENT_BYTES } from './limits';

export interface EncodeOptions {
  /**
   * Write every character outside printable ASCII, and `<`, `>`, `&`, `=`, `'`, as `\uXXXX` escapes.
   * The result is the same JSON value. Over WebSocket the service re-serialises the body it verifies for
   * IAM, and events with `<`/`>` fail that check (aws/aws-appsync-community#400, protocol.md §4.1:
   * consistent with an HTML-safe serialiser). With no such character left in the event strings, any
   * standard serialiser reproduces exactly the bytes we signed.
   */
  asciiSafe?: boolean;
}

const UNSAFE = /[\u007f-\uffff<>&='\u2028\u2029]/g;

function escapeChar(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

function describeIndex(index: number | undefined): string {
  return index === undefined ? 'the event' : `event ${index}`;
}

/** Encodes one value as the stringified JSON the protocol carries, or throws a clear InvalidEvent/EventTooLarge error. */
export function encodeEvent(value: unknown, options: EncodeOptions = {}, index?: number): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'bigint') throw new TypeError('a BigInt is not a JSON value');
      return v;
    });
  } catch (err) {
    const why = err instanceof TypeError && /circular/i.test(err.message) ? 'it contains a circular reference' : (err as Error).message;
    throw new EventsError({ errorType: 'InvalidEvent', message: `${describeIndex(index)} cannot be sent as JSON: ${why}` });
  }
  if (text === undefined) {
    throw new EventsError({
      errorType: 'InvalidEvent',
      message: `${describeIndex(index)} cannot be sent as JSON: it is ${value === undefined ? 'undefined' : `a ${typeof value}`}`,
    });
  }
  if (options.asciiSafe) text = text.replace(UNSAFE, escapeChar);
  // A UTF-16 code unit takes at most 3 UTF-8 bytes: short texts need no byte count.
  const bytes = text.length * 3 <= MAX_EVENT_BYTES ? 0 : Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_EVENT_BYTES) {
    throw new EventsError({
      errorType: 'EventTooLarge',
      message: `${describeIndex(index)} is ${bytes} bytes as JSON; the limit is ${MAX_EVENT_BYTES} bytes (240 KB)`,
    });
  }
  return text;
}

/** Encodes a batch; the error names the caller's index of the first bad event. */
export function encodeEvents(values: readonly unknown[], options: EncodeOptions = {}): string[] {
  if (!Array.isArray(values) || values.length === 0) {
    throw new EventsError({ errorType: 'EmptyBatch', message: 'there are no events to publish' });
  }
  return values.map((v, i) => encodeEvent(v, options, values.length > 1 ? i : undefined));
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

/** Inverse of encodeAuthSubprotocol; accepts padded and standard base64 too. */
export function decodeAuthSubprotocol(value: string): unknown {
  const normalised = value.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  return JSON.parse(Buffer.from(normalised, 'base64').toString('utf8'));
}
