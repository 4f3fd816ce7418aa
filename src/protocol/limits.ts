// Service limits and constants of the AppSync Events protocol (see ../shared/protocol.md §3.2, §6), and the
// limits this library sets where the service documents none.

/** Subprotocol every WebSocket client must offer (D-WS). */
export const EVENTS_SUBPROTOCOL = 'aws-appsync-event-ws';
/** Prefix of the second subprotocol that carries the base64url-encoded connect authorization (D-WS). */
export const AUTH_SUBPROTOCOL_PREFIX = 'header-';
/** At most 5 events per publish request, HTTP and WebSocket alike (D-PUBHTTP, D-PUBWS). */
export const MAX_EVENTS_PER_REQUEST = 5;
/**
 * "Maximum size of 240 KB per event" (D-CONCEPTS). How the service counts it is not documented
 * (protocol.md §6, UNCERTAIN); we count the UTF-8 bytes of the compact JSON text with no escapes beyond what
 * JSON requires, the smallest form of the event, so that we never refuse an event the service would take.
 */
export const MAX_EVENT_BYTES = 240 * 1024;
/** Operation ids: 1–128 characters of [A-Za-z0-9_+-] (D-WS). */
export const OPERATION_ID_PATTERN = /^[a-zA-Z0-9\-_+]{1,128}$/;
/** The service's default keep-alive timeout, also sent in connection_ack (D-WS). */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 300_000;
/** Bounds for a `connectionTimeoutMs` from the service: below, a reconnect storm; above 2^31-1 ms, a timer overflow. */
export const MIN_CONNECTION_TIMEOUT_MS = 10_000;
export const MAX_CONNECTION_TIMEOUT_MS = 3_600_000;
/** The service sends `ka` every 60 s (D-WS). */
export const DEFAULT_KEEP_ALIVE_INTERVAL_MS = 60_000;
/**
 * The largest frame the client accepts (the socket's `maxPayload`). A `data` frame carries one event of at
 * most 240 KB as a JSON string; escaping at most doubles it (`"` → `\"`) or, for a service that writes
 * non-ASCII as \uXXXX, turns 3 UTF-8 bytes into 6: 2 MiB admits every legal frame with room to spare.
 */
export const MAX_SERVER_FRAME_BYTES = 2 * 1024 * 1024;
/**
 * The largest request the emulator accepts (WebSocket frame or HTTP body): 5 events of 240 KB, each at most
 * doubled by the escaping of the outer JSON, plus the authorization object. The service's own limit is quoted
 * as 1.2 MB (protocol.md §6, UNCERTAIN); this one is above every legal request.
 */
export const MAX_CLIENT_REQUEST_BYTES = 4 * 1024 * 1024;
/**
 * Events nested deeper than this are refused by the Node-RED nodes: Node-RED clones a message for every extra
 * wire with a recursive deep copy, and a 4 KB event nested 2,000 levels deep overflows its stack and stops the
 * runtime. JSON from real devices and services stays far below 100 levels.
 */
export const MAX_EVENT_DEPTH = 100;
/**
 * Events longer than this (in characters of JSON text) are refused by the Node-RED nodes. The service's limit
 * is 240 KB per event; this leaves room for any way of counting it and stays well below the frame limit.
 */
export const MAX_RECEIVED_EVENT_CHARS = 1024 * 1024;
