// Service limits and constants of the AppSync Events protocol (see ../shared/protocol.md §3.2, §6).

/** Subprotocol every WebSocket client must offer (D-WS). */
export const EVENTS_SUBPROTOCOL = 'aws-appsync-event-ws';
/** Prefix of the second subprotocol that carries the base64url-encoded connect authorization (D-WS). */
export const AUTH_SUBPROTOCOL_PREFIX = 'header-';
/** At most 5 events per publish request, HTTP and WebSocket alike (D-PUBHTTP, D-PUBWS). */
export const MAX_EVENTS_PER_REQUEST = 5;
/** "Maximum size of 240 KB per event" (D-CONCEPTS); measured here in UTF-8 bytes of the encoded event. */
export const MAX_EVENT_BYTES = 240 * 1024;
/** Operation ids: 1–128 characters of [A-Za-z0-9_+-] (D-WS). */
export const OPERATION_ID_PATTERN = /^[a-zA-Z0-9\-_+]{1,128}$/;
/** The service's default keep-alive timeout, also sent in connection_ack (D-WS). */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 300_000;
/** The service sends `ka` every 60 s (D-WS). */
export const DEFAULT_KEEP_ALIVE_INTERVAL_MS = 60_000;
