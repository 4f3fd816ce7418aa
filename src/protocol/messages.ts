// Every message of the AppSync Events WebSocket protocol as a discriminated union (protocol.md §3.3),
// in both directions. Parsers live in server-message.ts (client side) and client-message.ts (emulator side).

export type AuthorizationHeaders = Readonly<Record<string, string>>;

/** One entry of a service `errors` array, already sanitised (service-errors.ts): only strings and finite numbers. */
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
  | { type: 'publish'; id: string; channel: string; events: readonly string[]; authorization: AuthorizationHeaders };

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

/** A frame that cannot be used; reported, never thrown. `id` is kept when the frame named a usable one. */
export interface InvalidFrame {
  type: 'invalid';
  reason: string;
  id?: string;
}

export type JsonObject = Record<string, unknown>;

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
