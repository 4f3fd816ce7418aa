// Every message of the AppSync Events WebSocket protocol as a discriminated union (protocol.md §3.3).

export type AuthorizationHeaders = Readonly<Record<string, string>>;

export interface ServiceErrorEntry {
  errorType?: string;
  message?: string;
  errorCode?: number;
}

export interface SuccessfulEvent {
  identifier: string;
  index: number;
}

/** `code` is a string on the real service ("EventTooLargeException") and a number in KT fixtures: accept both (protocol.md §2.3). */
export interface FailedEvent {
  identifier: string;
  index: number;
  code?: string | number;
  message?: string;
}

export type ClientMessage =
  | { type: 'connection_init' }
  | { type: 'subscribe'; id: string; channel: string; authorization: AuthorizationHeaders }
  | { type: 'unsubscribe'; id: string }
  | { type: 'publish'; id: string; channel: string; events: string[]; authorization: AuthorizationHeaders };

export type ServerMessage =
  | { type: 'connection_ack'; connectionTimeoutMs?: number }
  | { type: 'connection_error'; errors: ServiceErrorEntry[] }
  | { type: 'ka' }
  | { type: 'subscribe_success'; id: string }
  | { type: 'subscribe_error'; id: string; errors: ServiceErrorEntry[] }
  | { type: 'unsubscribe_success'; id: string }
  | { type: 'unsubscribe_error'; id: string; errors: ServiceErrorEntry[] }
  | { type: 'data'; id: string; event: string }
  | { type: 'broadcast_error'; id: string; errors: ServiceErrorEntry[] }
  | { type: 'publish_success'; id: string; successful: SuccessfulEvent[]; failed: FailedEvent[] }
  | { type: 'publish_error'; id: string; errors: ServiceErrorEntry[] }
  | { type: 'error'; id?: string; errors: ServiceErrorEntry[] };

export type Parsed<T> = { ok: true; message: T } | { ok: false; reason: string };

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function errorsOf(o: Json): ServiceErrorEntry[] {
  return Array.isArray(o.errors) ? (o.errors.filter(isObject) as ServiceErrorEntry[]) : [];
}

function str(o: Json, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' ? v : undefined;
}

/** A frame the client cannot use; reported, never thrown. */
export interface InvalidFrame {
  type: 'invalid';
  reason: string;
}

/**
 * Parses one text frame from the service. Returns the message itself (no wrapper): `data` frames arrive
 * by the hundred thousand per second, and this runs for each of them.
 */
export function parseServerMessage(text: string): ServerMessage | InvalidFrame {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return { type: 'invalid', reason: 'frame is not JSON' };
  }
  if (!isObject(o) || typeof o.type !== 'string') return { type: 'invalid', reason: 'frame has no type' };
  if (o.type === 'data') {
    if (typeof o.id !== 'string') return { type: 'invalid', reason: 'data frame has no id' };
    if (typeof o.event !== 'string') return { type: 'invalid', reason: 'data frame has no event string' };
    return o as unknown as ServerMessage;
  }
  const id = str(o, 'id');
  switch (o.type) {
    case 'connection_ack':
      return { type: 'connection_ack', connectionTimeoutMs: typeof o.connectionTimeoutMs === 'number' ? o.connectionTimeoutMs : undefined };
    case 'connection_error':
      return { type: 'connection_error', errors: errorsOf(o) };
    case 'ka':
      return { type: 'ka' };
    case 'error':
      return { type: 'error', id, errors: errorsOf(o) };
  }
  if (id === undefined) return { type: 'invalid', reason: `${o.type} frame has no id` };
  switch (o.type) {
    case 'subscribe_success':
    case 'unsubscribe_success':
      return { type: o.type, id };
    case 'subscribe_error':
    case 'unsubscribe_error':
    case 'broadcast_error':
    case 'publish_error':
      return { type: o.type, id, errors: errorsOf(o) };
    case 'publish_success':
      return {
        type: 'publish_success',
        id,
        successful: Array.isArray(o.successful) ? (o.successful.filter(isObject) as unknown as SuccessfulEvent[]) : [],
        failed: Array.isArray(o.failed) ? (o.failed.filter(isObject) as unknown as FailedEvent[]) : [],
      };
    default:
      return { type: 'invalid', reason: `unknown frame type ${o.type}` };
  }
}

/** Parses one text frame from a client (used by the emulator). */
export function parseClientMessage(text: string): Parsed<ClientMessage> | { ok: false; reason: string; id?: string } {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'frame is not JSON' };
  }
  if (!isObject(o) || typeof o.type !== 'string') return { ok: false, reason: 'frame has no type' };
  const id = str(o, 'id');
  const authorization = isObject(o.authorization) ? stringRecord(o.authorization) : undefined;
  switch (o.type) {
    case 'connection_init':
      return { ok: true, message: { type: 'connection_init' } };
    case 'subscribe': {
      const channel = str(o, 'channel');
      if (id === undefined || channel === undefined || authorization === undefined)
        return { ok: false, reason: 'subscribe needs id, channel and authorization', id };
      return { ok: true, message: { type: 'subscribe', id, channel, authorization } };
    }
    case 'unsubscribe':
      if (id === undefined) return { ok: false, reason: 'unsubscribe needs an id' };
      return { ok: true, message: { type: 'unsubscribe', id } };
    case 'publish': {
      const channel = str(o, 'channel');
      const events = o.events;
      if (id === undefined || channel === undefined || authorization === undefined || !Array.isArray(events))
        return { ok: false, reason: 'publish needs id, channel, events and authorization', id };
      if (!events.every((e): e is string => typeof e === 'string'))
        return { ok: false, reason: 'every event must be a string', id };
      return { ok: true, message: { type: 'publish', id, channel, events, authorization } };
    }
    default:
      return { ok: false, reason: `unknown operation ${o.type}`, id };
  }
}

function stringRecord(o: Json): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) if (typeof v === 'string') out[k] = v;
  return out;
}
