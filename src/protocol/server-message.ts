import { DEFAULT_CONNECTION_TIMEOUT_MS, MAX_CONNECTION_TIMEOUT_MS, MAX_EVENTS_PER_REQUEST, MIN_CONNECTION_TIMEOUT_MS, OPERATION_ID_PATTERN } from './limits';
import { isJsonObject, type FailedEvent, type InvalidFrame, type JsonObject, type ServerMessage, type SuccessfulEvent } from './messages';
import { sanitiseErrors, sanitiseText } from './service-errors';

// The client's side of the boundary: every frame from the service is checked by type and range here, and
// nothing else in the client reads a raw frame. A frame that fails a check is an InvalidFrame (with the
// operation id when it had a usable one, so that only that operation fails), never an exception.

/**
 * The service sends 300000 (D-WS). A value of 0 or below would make the client drop every connection at once
 * (a reconnect storm), and one above 2^31-1 overflows Node's timers into a 1 ms loop: out-of-range values
 * are clamped, and a missing or non-numeric one means the documented default.
 */
export function clampConnectionTimeout(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return DEFAULT_CONNECTION_TIMEOUT_MS;
  return Math.min(MAX_CONNECTION_TIMEOUT_MS, Math.max(MIN_CONNECTION_TIMEOUT_MS, Math.floor(value)));
}

function operationId(o: JsonObject): string | undefined {
  return typeof o.id === 'string' && OPERATION_ID_PATTERN.test(o.id) ? o.id : undefined;
}

function eventIndex(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < MAX_EVENTS_PER_REQUEST ? value : undefined;
}

/** A list of per-event entries, each an object with a valid index; anything else makes the whole list unusable. */
function eventEntries<T>(value: unknown, entry: (e: JsonObject, index: number) => T): T[] | undefined {
  if (!Array.isArray(value) || value.length > MAX_EVENTS_PER_REQUEST) return undefined;
  const out: T[] = [];
  for (const e of value) {
    const index = isJsonObject(e) ? eventIndex(e.index) : undefined;
    if (!isJsonObject(e) || index === undefined) return undefined;
    out.push(entry(e, index));
  }
  return out;
}

export function successfulEvents(value: unknown): SuccessfulEvent[] | undefined {
  return eventEntries(value, (e, index) => ({ identifier: sanitiseText(e.identifier, 128) ?? '', index }));
}

export function failedEvents(value: unknown): FailedEvent[] | undefined {
  return eventEntries(value, (e, index) => {
    const entry: FailedEvent = { identifier: sanitiseText(e.identifier, 128) ?? '', index };
    const code = typeof e.code === 'number' && Number.isFinite(e.code) ? e.code : sanitiseText(e.code, 100);
    const message = sanitiseText(e.message, 2_000);
    if (code !== undefined) entry.code = code;
    if (message !== undefined) entry.message = message;
    return entry;
  });
}

function isDataFrame(o: JsonObject): o is JsonObject & { type: 'data'; id: string; event: string } {
  return typeof o.id === 'string' && typeof o.event === 'string';
}

/**
 * Parses one text frame from the service. `data` frames arrive by the hundred thousand per second, so they
 * are checked first and with the fewest steps; the subscription id is only looked up, never trusted further.
 */
export function parseServerMessage(text: string): ServerMessage | InvalidFrame {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return { type: 'invalid', reason: 'frame is not JSON' };
  }
  if (!isJsonObject(o) || typeof o.type !== 'string') return { type: 'invalid', reason: 'frame is not an object with a type' };
  if (o.type === 'data') {
    // The parsed object itself, checked, is the message: no copy per event. Other keys it may hold (even an
    // own "__proto__", which JSON.parse makes a plain property) are never read.
    return isDataFrame(o) ? o : { type: 'invalid', reason: 'data frame without a string id and event' };
  }
  const id = operationId(o);
  switch (o.type) {
    case 'connection_ack':
      return { type: 'connection_ack', connectionTimeoutMs: clampConnectionTimeout(o.connectionTimeoutMs) };
    case 'connection_error':
      return { type: 'connection_error', errors: sanitiseErrors(o.errors) };
    case 'ka':
      return { type: 'ka' };
    case 'error':
      return id === undefined ? { type: 'error', errors: sanitiseErrors(o.errors) } : { type: 'error', id, errors: sanitiseErrors(o.errors) };
  }
  if (id === undefined) return { type: 'invalid', reason: `${sanitiseText(o.type, 40) ?? ''} frame without a valid id` };
  switch (o.type) {
    case 'subscribe_success':
    case 'unsubscribe_success':
      return { type: o.type, id };
    case 'subscribe_error':
    case 'unsubscribe_error':
    case 'broadcast_error':
    case 'publish_error':
      return { type: o.type, id, errors: sanitiseErrors(o.errors) };
    case 'publish_success': {
      const successful = successfulEvents(o.successful);
      const failed = failedEvents(o.failed);
      if (!successful || !failed) return { type: 'invalid', id, reason: 'publish_success without valid successful and failed lists' };
      return { type: 'publish_success', id, successful, failed };
    }
    default:
      return { type: 'invalid', id, reason: `unknown frame type "${sanitiseText(o.type, 40) ?? ''}"` };
  }
}
