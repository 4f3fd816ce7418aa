import { EventEmitter } from 'node:events';
import { randomBytes, randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import { parseChannel, type ParsedChannel } from '../protocol/channel';
import { decodeAuthSubprotocol } from '../protocol/encoding';
import { AUTH_SUBPROTOCOL_PREFIX, DEFAULT_CONNECTION_TIMEOUT_MS, DEFAULT_KEEP_ALIVE_INTERVAL_MS, EVENTS_SUBPROTOCOL, MAX_EVENTS_PER_REQUEST, MAX_EVENT_BYTES, OPERATION_ID_PATTERN } from '../protocol/limits';
import { parseClientMessage, type ClientMessage, type FailedEvent, type ServiceErrorEntry, type SuccessfulEvent } from '../protocol/messages';
import { CONNECT_SIGNING_BODY, publishSigningBody, subscribeSigningBody } from '../protocol/signing-body';
import { checkAuthorization, type AuthConfig } from './auth';
import type { SigV4Key } from './sigv4-verifier';

export interface EmulatorOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  region?: string;
  /** Accepted API keys; with none given (and no tokens or IAM keys) one is generated. */
  apiKeys?: string[];
  /** Accepted Cognito / OIDC / Lambda tokens (with or without `Bearer `). */
  tokens?: string[];
  iam?: SigV4Key[];
  /** Channel namespaces; the first channel segment must be one (default `default`). */
  namespaces?: string[];
  /** Serve https/wss. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  keepAliveIntervalMs?: number;
  connectionTimeoutMs?: number;
  maxSubscriptionsPerConnection?: number;
  /** The service closes connections after 24 h (D-WS). */
  maxConnectionDurationMs?: number;
  /**
   * Rebuild the IAM-signed WebSocket publish body the way the real service appears to: with `<`, `>`, `&`,
   * `=` and `'` written as \u escapes, so events holding them fail verification unless the client escaped
   * them first (aws/aws-appsync-community#400, protocol.md §4.1, UNCERTAIN). On by default.
   */
  htmlSafeSigningBody?: boolean;
  /**
   * WebSocket publish requests allowed per second on each connection; more are refused with
   * LimitExceededError. AppSync's quota is quoted as 25 (protocol.md §6, UNCERTAIN); unlimited by default.
   */
  publishRequestsPerSecond?: number;
  now?: () => Date;
}

export interface EmulatorFaults {
  /** Closes every WebSocket abruptly (no close frame), as a network failure would. */
  dropConnections(): void;
  /** Stops (false) or resumes (true) the `ka` frames on every connection. */
  setKeepAlive(enabled: boolean): void;
  /** Refuses the next `count` WebSocket connections by closing their TCP socket. */
  refuseConnections(count: number): void;
  /** Answers the next `count` publishes (HTTP and WebSocket) as throttled; `Infinity` for all, 0 to stop. */
  throttlePublishes(count: number): void;
}

export interface EmulatorStats {
  openConnections: number;
  totalConnections: number;
  subscriptions: number;
  publishedEvents: number;
  /** `POST /event` requests received, answered or refused. */
  httpPublishRequests: number;
}

export interface EmulatorEvents {
  connection: [connectionId: string];
  disconnect: [connectionId: string];
  message: [connectionId: string, message: ClientMessage];
}

export interface Emulator {
  /** The HTTP endpoint, ending in `/event`. */
  httpUrl: string;
  realtimeUrl: string;
  host: string;
  port: number;
  region: string;
  apiKeys: string[];
  faults: EmulatorFaults;
  /** Publishes from the server side, as a backend would: fans `events` (JSON texts) out to subscribers. */
  publish(channel: string, events: readonly string[]): void;
  stats(): EmulatorStats;
  events: EventEmitter<EmulatorEvents>;
  stop(): Promise<void>;
}

interface Connection {
  id: string;
  ws: WebSocket;
  subscriptions: Map<string, ServerSubscription>;
  /** Start of the current one-second publish window, and requests in it. */
  windowStart: number;
  windowCount: number;
  /** Corked until the next tick, so that a burst of frames leaves in one socket write. */
  corked: boolean;
  kaTimer?: NodeJS.Timeout;
  lifetimeTimer?: NodeJS.Timeout;
}

interface ServerSubscription {
  id: string;
  connection: Connection;
  channel: ParsedChannel;
}

type PublishCheck =
  | { ok: true; channel: ParsedChannel; successful: SuccessfulEvent[]; failed: FailedEvent[]; delivered: string[] }
  | { ok: false; status: number; error: ServiceErrorEntry };

const HTML_UNSAFE = /[<>&=']/g;

/** The errors whose wording differs between the transports. */
interface TransportErrors {
  tooManyEvents: ServiceErrorEntry;
  throttled: ServiceErrorEntry;
}

// HTTP says BadRequestException/"Input …", WebSocket InvalidInputError/"input …" (KT integration tests).
// Throttling was never observed (protocol.md §2.4, UNCERTAIN): HTTP answers as AppSync's other APIs do,
// WebSocket with the errorType the Kotlin client maps to its rate-limit exception.
const HTTP_ERRORS: TransportErrors = {
  tooManyEvents: { errorType: 'BadRequestException', message: 'Input exceeded 5 event limit' },
  throttled: { errorType: 'TooManyRequestsException', message: 'Rate exceeded' },
};
const WEBSOCKET_ERRORS: TransportErrors = {
  tooManyEvents: { errorType: 'InvalidInputError', message: 'input exceeded 5 event limit' },
  throttled: { errorType: 'LimitExceededError', message: 'Rate exceeded' },
};

/** Starts a local AppSync Events server (HTTP publish and WebSocket) on one port. */
export async function createEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const region = options.region ?? 'us-east-1';
  const apiKeys = [...(options.apiKeys ?? [])];
  if (apiKeys.length === 0 && !options.tokens?.length && !options.iam?.length) apiKeys.push(`da2-${randomBytes(13).toString('hex')}`);
  const auth: AuthConfig = {
    region,
    apiKeys: new Set(apiKeys),
    tokens: new Set(options.tokens ?? []),
    iam: new Map((options.iam ?? []).map((k) => [k.accessKeyId, k])),
    now: options.now ?? (() => new Date()),
  };
  const namespaces = new Set(options.namespaces?.length ? options.namespaces : ['default']);
  const kaIntervalMs = options.keepAliveIntervalMs ?? DEFAULT_KEEP_ALIVE_INTERVAL_MS;
  const connectionTimeoutMs = options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS;
  const maxSubscriptions = options.maxSubscriptionsPerConnection ?? 200;
  const maxDurationMs = options.maxConnectionDurationMs ?? 24 * 3600_000;
  const htmlSafe = options.htmlSafeSigningBody ?? true;

  const events = new EventEmitter<EmulatorEvents>();
  const connections = new Set<Connection>();
  /** Exact channel path → subscriptions, and wildcard prefix (`/ns/a/`) → subscriptions. */
  const exact = new Map<string, Set<ServerSubscription>>();
  const wildcards = new Map<string, Set<ServerSubscription>>();
  let totalConnections = 0;
  let publishedEvents = 0;
  let httpPublishRequests = 0;
  let keepAliveEnabled = true;
  let refuseCount = 0;
  let throttleCount = 0;

  const indexKey = (c: ParsedChannel) => (c.wildcard ? c.path.slice(0, -1) : c.path);
  const indexOf = (c: ParsedChannel) => (c.wildcard ? wildcards : exact);

  function addSubscription(sub: ServerSubscription): void {
    const index = indexOf(sub.channel);
    const key = indexKey(sub.channel);
    let set = index.get(key);
    if (!set) index.set(key, (set = new Set()));
    set.add(sub);
    sub.connection.subscriptions.set(sub.id, sub);
  }

  function removeSubscription(sub: ServerSubscription): void {
    const index = indexOf(sub.channel);
    const key = indexKey(sub.channel);
    const set = index.get(key);
    set?.delete(sub);
    if (set?.size === 0) index.delete(key);
    sub.connection.subscriptions.delete(sub.id);
  }

  /**
   * One `data` frame per event per matching subscription; `event` is the published JSON text (D-WS).
   * `/ns/*` receives every deeper channel (`/ns/a`, `/ns/a/b`), as D-TUT shows; whether it also receives the
   * bare `/ns` is not documented (protocol.md §5, UNCERTAIN): here it does not.
   */
  function fanOut(channel: ParsedChannel, delivered: readonly string[]): void {
    const targets: ServerSubscription[] = [];
    for (const sub of exact.get(channel.path) ?? []) targets.push(sub);
    let prefix = '';
    for (const segment of channel.segments.slice(0, -1)) {
      prefix += `/${segment}`;
      for (const sub of wildcards.get(`${prefix}/`) ?? []) targets.push(sub);
    }
    if (targets.length === 0) return;
    for (const event of delivered) {
      const tail = `","event":${JSON.stringify(event)}}`;
      for (const sub of targets) sendText(sub.connection, `{"type":"data","id":"${sub.id}${tail}`);
    }
  }

  function checkPublish(channelText: string, eventTexts: readonly string[], errors: TransportErrors): PublishCheck {
    let channel: ParsedChannel;
    try {
      channel = parseChannel(channelText, 'publish');
    } catch {
      return { ok: false, status: 400, error: { errorType: 'BadRequestException', message: 'Invalid Channel Format' } };
    }
    // An undefined namespace is refused as unauthorized, without a message (KT testPublishToNonConfiguredChannel).
    if (!namespaces.has(channel.namespace)) return { ok: false, status: 401, error: { errorType: 'UnauthorizedException' } };
    if (eventTexts.length > MAX_EVENTS_PER_REQUEST) return { ok: false, status: 400, error: errors.tooManyEvents };
    if (eventTexts.length === 0) return { ok: false, status: 400, error: { errorType: 'BadRequestException', message: 'Input must contain at least one event' } };
    if (throttleCount > 0) {
      throttleCount--;
      return { ok: false, status: 429, error: errors.throttled };
    }
    const successful: SuccessfulEvent[] = [];
    const failed: FailedEvent[] = [];
    const delivered: string[] = [];
    eventTexts.forEach((text, index) => {
      const identifier = randomUUID();
      if (Buffer.byteLength(text, 'utf8') > MAX_EVENT_BYTES) {
        failed.push({ identifier, index, code: 'EventTooLargeException', message: 'Transformed event is larger than 240KB' });
        return;
      }
      try {
        JSON.parse(text);
      } catch {
        failed.push({ identifier, index, code: 'BadRequestException', message: 'Event is not a valid JSON value' });
        return;
      }
      successful.push({ identifier, index });
      delivered.push(text);
    });
    publishedEvents += delivered.length;
    return { ok: true, channel, successful, failed, delivered };
  }

  // --- HTTP ------------------------------------------------------------------------------------------

  function sendJson(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'access-control-allow-origin': '*' });
    res.end(text);
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://emulator');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '*',
      });
      res.end();
      return;
    }
    if (url.pathname !== '/event') {
      sendJson(res, 404, { errors: [{ errorType: 'NotFoundException', message: `No route for ${url.pathname}; publish with POST /event` }] });
      return;
    }
    if (req.method !== 'POST') {
      sendJson(res, 405, { errors: [{ errorType: 'UnsupportedOperation', message: 'Publishing with POST is the only supported action over the endpoint' }] });
      return;
    }
    httpPublishRequests++;
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      const outcome = checkAuthorization(req.headers as Record<string, string | undefined>, body, auth);
      if (!outcome.ok) {
        sendJson(res, outcome.status, { errors: [{ errorType: outcome.error.errorType, message: outcome.error.message }] });
        return;
      }
      let parsed: { channel?: unknown; events?: unknown };
      try {
        parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
      } catch {
        sendJson(res, 400, { errors: [{ errorType: 'BadRequestException', message: 'The request body is not valid JSON' }] });
        return;
      }
      if (typeof parsed.channel !== 'string' || !Array.isArray(parsed.events) || !parsed.events.every((e) => typeof e === 'string')) {
        sendJson(res, 400, { errors: [{ errorType: 'BadRequestException', message: 'The body must be {"channel": string, "events": [string]}' }] });
        return;
      }
      const check = checkPublish(parsed.channel, parsed.events as string[], HTTP_ERRORS);
      if (!check.ok) {
        sendJson(res, check.status, { errors: [check.error] });
        return;
      }
      sendJson(res, 200, { failed: check.failed, successful: check.successful });
      fanOut(check.channel, check.delivered);
    });
  }

  // --- WebSocket -------------------------------------------------------------------------------------

  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (offered) => (offered.has(EVENTS_SUBPROTOCOL) ? EVENTS_SUBPROTOCOL : false) });

  function rejectUpgrade(socket: Duplex, status: number, text: string): void {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  }

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://emulator');
    if (url.pathname !== '/event/realtime') return rejectUpgrade(socket, 404, 'Not Found');
    if (refuseCount > 0) {
      refuseCount--;
      socket.destroy();
      return;
    }
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (!offered.includes(EVENTS_SUBPROTOCOL)) return rejectUpgrade(socket, 400, 'Bad Request');
    // Connect authorization: the `header-` subprotocol (browsers, Amplify JS) or plain upgrade headers (KT, Swift).
    let authHeaders: Record<string, string | undefined> = req.headers as Record<string, string | undefined>;
    const headerProtocol = offered.find((p) => p.startsWith(AUTH_SUBPROTOCOL_PREFIX));
    if (headerProtocol) {
      try {
        const decoded = decodeAuthSubprotocol(headerProtocol.slice(AUTH_SUBPROTOCOL_PREFIX.length));
        authHeaders = typeof decoded === 'object' && decoded !== null ? (decoded as Record<string, string>) : {};
      } catch {
        authHeaders = {};
      }
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, checkAuthorization(authHeaders, CONNECT_SIGNING_BODY, auth)));
  }

  /** Sends one text frame; frames sent in the same tick share a socket write, as a real server's would. */
  function sendText(conn: Connection, text: string): void {
    if (conn.ws.readyState !== WebSocket.OPEN) return;
    if (!conn.corked) {
      // `ws` writes every frame separately; its socket is private, but corking nests, so this batches them.
      const socket = (conn.ws as unknown as { _socket?: Socket })._socket;
      if (socket) {
        socket.cork();
        conn.corked = true;
        process.nextTick(() => {
          conn.corked = false;
          socket.uncork();
        });
      }
    }
    conn.ws.send(text);
  }

  function send(conn: Connection, message: object): void {
    sendText(conn, JSON.stringify(message));
  }

  function onConnection(ws: WebSocket, outcome: ReturnType<typeof checkAuthorization>): void {
    // Auth failures are not HTTP errors: the socket opens, connection_error arrives, then a normal close (protocol.md §3.1).
    if (!outcome.ok) {
      ws.send(JSON.stringify({ errors: [outcome.error], type: 'connection_error' }));
      ws.close(1000);
      return;
    }
    const conn: Connection = { id: randomUUID(), ws, subscriptions: new Map(), windowStart: 0, windowCount: 0, corked: false };
    connections.add(conn);
    totalConnections++;
    events.emit('connection', conn.id);
    conn.kaTimer = setInterval(() => {
      if (keepAliveEnabled) send(conn, { type: 'ka' });
    }, kaIntervalMs);
    conn.lifetimeTimer = setTimeout(() => ws.close(1000, 'Maximum connection duration reached'), maxDurationMs);
    ws.on('message', (data, isBinary) => {
      if (isBinary) return send(conn, { type: 'error', errors: [{ errorType: 'UnsupportedOperation', message: 'Binary frames are not supported' }] });
      onMessage(conn, data.toString());
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      clearInterval(conn.kaTimer);
      clearTimeout(conn.lifetimeTimer);
      for (const sub of [...conn.subscriptions.values()]) removeSubscription(sub);
      connections.delete(conn);
      events.emit('disconnect', conn.id);
    });
  }

  function onMessage(conn: Connection, text: string): void {
    const parsed = parseClientMessage(text);
    if (!parsed.ok) {
      const id = 'id' in parsed ? parsed.id : undefined;
      return send(conn, { type: 'error', ...(id ? { id } : {}), errors: [{ errorType: 'UnsupportedOperation', message: `Operation not supported through the realtime channel (${parsed.reason})` }] });
    }
    const message = parsed.message;
    events.emit('message', conn.id, message);
    switch (message.type) {
      case 'connection_init':
        send(conn, { type: 'connection_ack', connectionTimeoutMs });
        if (keepAliveEnabled) send(conn, { type: 'ka' });
        return;
      case 'subscribe':
        return onSubscribe(conn, message);
      case 'unsubscribe': {
        const sub = conn.subscriptions.get(message.id);
        if (!sub) return send(conn, { type: 'unsubscribe_error', id: message.id, errors: [{ errorType: 'UnknownOperationError', message: `Unknown operation id ${message.id}` }] });
        removeSubscription(sub);
        return send(conn, { type: 'unsubscribe_success', id: message.id });
      }
      case 'publish':
        return onPublish(conn, message);
    }
  }

  function onSubscribe(conn: Connection, message: Extract<ClientMessage, { type: 'subscribe' }>): void {
    const refuse = (error: ServiceErrorEntry) => send(conn, { type: 'subscribe_error', id: message.id, errors: [error] });
    if (!OPERATION_ID_PATTERN.test(message.id)) return refuse({ errorType: 'BadRequestException', message: 'Invalid operation id' });
    // GraphQL's wording for a reused id; the Events service's is not documented (protocol.md §3.2, UNCERTAIN).
    if (conn.subscriptions.has(message.id)) return refuse({ errorType: 'DuplicatedOperationError', message: `Subscription id ${message.id} is already in use` });
    const outcome = checkAuthorization(message.authorization, () => subscribeSigningBody(message.channel), auth);
    if (!outcome.ok) return refuse(outcome.error);
    let channel: ParsedChannel;
    try {
      channel = parseChannel(message.channel, 'subscribe');
    } catch {
      return refuse({ errorType: 'BadRequestException', message: 'Invalid Channel Format' });
    }
    if (!namespaces.has(channel.namespace)) return refuse({ errorType: 'UnauthorizedException' });
    if (conn.subscriptions.size >= maxSubscriptions) return refuse({ errorType: 'MaxSubscriptionsReachedError', message: `Max number of ${maxSubscriptions} subscriptions reached` });
    addSubscription({ id: message.id, connection: conn, channel });
    send(conn, { type: 'subscribe_success', id: message.id });
  }

  function onPublish(conn: Connection, message: Extract<ClientMessage, { type: 'publish' }>): void {
    const refuse = (error: ServiceErrorEntry) => send(conn, { type: 'publish_error', id: message.id, errors: [error] });
    if (!OPERATION_ID_PATTERN.test(message.id)) return refuse({ errorType: 'BadRequestException', message: 'Invalid operation id' });
    const body = () => {
      const text = publishSigningBody(message.channel, message.events);
      return htmlSafe ? text.replace(HTML_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : text;
    };
    const outcome = checkAuthorization(message.authorization, body, auth);
    if (!outcome.ok) return refuse(outcome.error);
    if (options.publishRequestsPerSecond !== undefined) {
      const now = Date.now();
      if (now - conn.windowStart >= 1000) {
        conn.windowStart = now;
        conn.windowCount = 0;
      }
      if (++conn.windowCount > options.publishRequestsPerSecond) return refuse(WEBSOCKET_ERRORS.throttled);
    }
    const check = checkPublish(message.channel, message.events, WEBSOCKET_ERRORS);
    if (!check.ok) return refuse(check.error);
    send(conn, { id: message.id, type: 'publish_success', successful: check.successful, failed: check.failed });
    fanOut(check.channel, check.delivered);
  }

  // --- server ----------------------------------------------------------------------------------------

  const server = options.tls ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, onRequest) : http.createServer(onRequest);
  server.keepAliveTimeout = 30_000;
  server.on('upgrade', onUpgrade);
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const scheme = options.tls ? 'https' : 'http';
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    httpUrl: `${scheme}://${urlHost}:${port}/event`,
    realtimeUrl: `${scheme === 'https' ? 'wss' : 'ws'}://${urlHost}:${port}/event/realtime`,
    host,
    port,
    region,
    apiKeys,
    events,
    publish(channel, published) {
      fanOut(parseChannel(channel, 'publish'), published);
    },
    faults: {
      dropConnections() {
        for (const conn of connections) conn.ws.terminate();
      },
      setKeepAlive(enabled) {
        keepAliveEnabled = enabled;
      },
      refuseConnections(count) {
        refuseCount = count;
      },
      throttlePublishes(count) {
        throttleCount = count;
      },
    },
    stats: () => ({
      openConnections: connections.size,
      totalConnections,
      subscriptions: [...connections].reduce((n, c) => n + c.subscriptions.size, 0),
      publishedEvents,
      httpPublishRequests,
    }),
    async stop() {
      for (const conn of connections) conn.ws.terminate();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}
