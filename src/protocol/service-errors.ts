import type { ServiceErrorEntry } from './messages';
import { isJsonObject } from './messages';

// The service's `errors` arrays reach error messages, statuses and logs. A hostile or broken peer can put
// anything there (objects whose toString throws, megabytes of text, control characters), so every entry is
// reduced to short plain strings and finite numbers here, before any other code sees it.

/** At most this many entries are kept: the service sends one per connection auth mode tried (protocol.md §3.3). */
export const MAX_ERROR_ENTRIES = 10;
/** Service error texts are one or two sentences, except the SigV4 mismatch that quotes a canonical request (I-14001). */
export const MAX_ERROR_MESSAGE_CHARS = 2_000;
const ERROR_TYPE = /^[A-Za-z][A-Za-z0-9_.:-]{0,99}$/;

/** Printable text only: control characters (terminal escapes, NUL) become spaces; long texts are cut. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/;
const CONTROLS = new RegExp(CONTROL.source, 'g');

export function sanitiseText(value: unknown, maxChars: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  const cut = value.length > maxChars ? `${value.slice(0, maxChars)}…` : value;
  return CONTROL.test(cut) ? cut.replace(CONTROLS, ' ') : cut;
}

function errorType(value: unknown): string | undefined {
  return typeof value === 'string' && ERROR_TYPE.test(value) ? value : undefined;
}

function errorCode(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < 1_000_000 ? value : undefined;
}

/** The usable entries of an `errors` field: an array of objects, anything else is no entry. */
export function sanitiseErrors(value: unknown): ServiceErrorEntry[] {
  if (!Array.isArray(value)) return [];
  const out: ServiceErrorEntry[] = [];
  for (const e of value.slice(0, MAX_ERROR_ENTRIES)) {
    if (!isJsonObject(e)) continue;
    const entry: ServiceErrorEntry = {};
    const type = errorType(e.errorType);
    const message = sanitiseText(e.message, MAX_ERROR_MESSAGE_CHARS);
    const code = errorCode(e.errorCode);
    if (type !== undefined) entry.errorType = type;
    if (message !== undefined) entry.message = message;
    if (code !== undefined) entry.errorCode = code;
    out.push(entry);
  }
  return out;
}
