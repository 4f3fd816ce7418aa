import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { parseChannel, type ParsedChannel } from '../protocol/channel';
import { parseClientMessage, stringRecord } from '../protocol/client-message';
import { decodeAuthSubprotocol, unicodeEscape } from '../protocol/encoding';
import { AUTH_SUBPROTOCOL_PREFIX, EVENTS_SUBPROTOCOL, MAX_CLIENT_REQUEST_BYTES, OPERATION_ID_PATTERN } from '../protocol/limits';
import type { ClientMessage, ServerMessage, ServiceErrorEntry } from '../protocol/messages';
import { dataFrames, encodeServerMessage } from '../protocol/server-frame';
import { CONNECT_SIGNING_BODY, publishSigningBody, subscribeSigningBody } from '../protocol/signing-body';
import { authorize, channelOf, headerRecord, type AuthConfig, type AuthOutcome, type HeaderRecord } from './auth';
import { checkPublish, WEBSOCKET_ERRORS, type PublishCheck } from './publish-check';
import type { Namespaces } from './namespaces';
import { handlerContext } from './code-handlers';
import { SubscriptionIndex } from './subscription-index';

export interface RealtimeOptions {
  auth: AuthConfig;
  namespaces: Namespaces;
  keepAliveIntervalMs: number;
  connectionTimeoutMs: number;
  maxSubscriptionsPerConnection: number;
  maxConnectionDurationMs: number;
  /** A connection that sends no `connection_init` and no operation within this time is closed. */
  connectionInitTimeoutMs: number;
  htmlSafeSigningBody: boolean;
  /** 0: no limit. */
  publishRequestsPerSecond: number;
  throttled(): boolean;
  events: EventEmitter<RealtimeEvents>;
}

export interface RealtimeEvents {
  connection: [connectionId: string];
  disconnect: [connectionId: string];
  message: [connectionId: string, message: ClientMessage];
  /** An accepted publish, from either transport: its channel path and the events fanned out. */
  published: [channel: string, events: readonly string[]];
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
  greeted: boolean;
  timers: NodeJS.Timeout[];
  /** The message being authorized by the Lambda authorizer, which the next ones wait for. */
  waiting?: Promise<void>;
}

interface ServerSubscription {
  id: string;
  connection: Connection;
  channel: ParsedChannel;
}

type Subscribe = Extract<ClientMessage, { type: 'subscribe' }>;
type Publish = Extract<ClientMessage, { type: 'publish' }>;

const HTML_UNSAFE = /[<>&=']/g;
/** graphql-ws closes with 4408 when no connection_init comes in time; AppSync's code is not documented (UNCERTAIN). */
const INIT_TIMEOUT_CLOSE_CODE = 4408;

/** The WebSocket side of the emulator: `/event/realtime` (D-WS). */
export class RealtimeServer {
  readonly #options: RealtimeOptions;
  readonly #connections = new Set<Connection>();
  readonly #index = new SubscriptionIndex<ServerSubscription>();
  readonly #wss: WebSocketServer;
  totalConnections = 0;
  /** Valid events an `onPublish` handler did not broadcast (left out, failed, or all dropped with `null`). */
  droppedByHandlers = 0;
  /** Connections closed because the token or temporary key they were opened with expired. */
  closedAtExpiry = 0;
  publishedEvents = 0;
  keepAliveEnabled = true;
  refuseCount = 0;
  /** WebSocket publishes still to accept and broadcast without answering (faults.withholdPublishAnswers). */
  withheldAnswers = 0;

  constructor(options: RealtimeOptions) {
    this.#options = options;
    this.#wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: MAX_CLIENT_REQUEST_BYTES,
      handleProtocols: (offered) => (offered.has(EVENTS_SUBPROTOCOL) ? EVENTS_SUBPROTOCOL : false),
    });
  }

  get openConnections(): number {
    return this.#connections.size;
  }

  /** Each open connection and the channels it is subscribed to (the web console's view). */
  connectionsView(): Array<{ id: string; channels: string[] }> {
    return [...this.#connections].map((c) => ({ id: c.id, channels: [...c.subscriptions.values()].map((s) => s.channel.path) }));
  }

  get subscriptionCount(): number {
    let n = 0;
    for (const c of this.#connections) n += c.subscriptions.size;
    return n;
  }

  onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {});
    const url = new URL(req.url ?? '/', 'http://emulator');
    if (url.pathname !== '/event/realtime') return rejectUpgrade(socket, 404, 'Not Found');
    if (this.refuseCount > 0) {
      this.refuseCount--;
      socket.destroy();
      return;
    }
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (!offered.includes(EVENTS_SUBPROTOCOL)) return rejectUpgrade(socket, 400, 'Bad Request');
    const auth = authorize(connectHeaders(req, offered), CONNECT_SIGNING_BODY, this.#options.auth, { operation: 'EVENT_CONNECT' });
    const upgrade = (outcome: AuthOutcome) => {
      if (!socket.destroyed) this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onConnection(ws, outcome));
    };
    if (auth instanceof Promise) void auth.then(upgrade);
    else upgrade(auth);
  }

  /** One `data` frame per event per matching subscription; `event` is the published JSON text (D-WS). */
  fanOut(channel: ParsedChannel, delivered: readonly string[]): void {
    const targets = this.#index.matching(channel);
    if (targets.length === 0) return;
    for (const event of delivered) {
      const frame = dataFrames(event);
      for (const sub of targets) sendText(sub.connection, frame(sub.id));
    }
  }

  /** An accepted publish, from either transport: counted, and fanned out. */
  deliver(check: Extract<PublishCheck, { ok: true }>): void {
    this.publishedEvents += check.delivered.length;
    this.droppedByHandlers += check.dropped;
    this.fanOut(check.channel, check.delivered);
    this.#options.events.emit('published', check.channel.path, check.delivered);
  }

  dropConnections(): void {
    for (const conn of this.#connections) conn.ws.terminate();
  }

  #onConnection(ws: WebSocket, outcome: AuthOutcome): void {
    ws.on('error', () => {});
    // Auth failures are not HTTP errors: the socket opens, connection_error arrives, then a normal close (protocol.md §3.1).
    if (!outcome.ok) {
      ws.send(encodeServerMessage({ type: 'connection_error', errors: [outcome.error] }));
      ws.close(1000);
      return;
    }
    const conn: Connection = { id: randomUUID(), ws, subscriptions: new Map(), windowStart: 0, windowCount: 0, corked: false, greeted: false, timers: [] };
    this.#connections.add(conn);
    this.totalConnections++;
    this.#options.events.emit('connection', conn.id);
    conn.timers.push(
      setInterval(() => {
        if (this.keepAliveEnabled) send(conn, { type: 'ka' });
      }, this.#options.keepAliveIntervalMs),
      setTimeout(() => ws.close(1000, 'Maximum connection duration reached'), this.#options.maxConnectionDurationMs),
      setTimeout(() => {
        if (!conn.greeted) ws.close(INIT_TIMEOUT_CLOSE_CODE, 'Connection initialisation timeout');
      }, this.#options.connectionInitTimeoutMs),
    );
    // AppSync may close a connection when the token it was opened with expires; how is not documented (UNCERTAIN):
    // a normal close, which clients must treat as a drop and reconnect with a fresh token.
    if (outcome.expiresAt !== undefined) {
      const close = () => {
        this.closedAtExpiry++;
        ws.close(1000, 'Token has expired');
      };
      conn.timers.push(setTimeout(close, Math.min(2 ** 31 - 1, Math.max(0, outcome.expiresAt - this.#options.auth.now().getTime()))));
    }
    ws.on('message', (data, isBinary) => {
      if (isBinary) return send(conn, { type: 'error', errors: [{ errorType: 'UnsupportedOperation', message: 'Binary frames are not supported' }] });
      // A message waiting for the Lambda authorizer holds back the ones after it: the service answers in order.
      const text = data.toString();
      if (conn.waiting) conn.waiting = conn.waiting.then(() => this.#onMessage(conn, text));
      else {
        const waiting = this.#onMessage(conn, text);
        if (waiting) conn.waiting = waiting.finally(() => conn.waiting === waiting && (conn.waiting = undefined));
      }
    });
    ws.on('close', () => {
      for (const t of conn.timers) clearTimeout(t);
      for (const sub of conn.subscriptions.values()) this.#index.remove(sub);
      conn.subscriptions.clear();
      this.#connections.delete(conn);
      this.#options.events.emit('disconnect', conn.id);
    });
  }

  #onMessage(conn: Connection, text: string): Promise<void> | void {
    const parsed = parseClientMessage(text);
    if (!parsed.ok) {
      const id = parsed.id;
      const errors = [{ errorType: 'UnsupportedOperation', message: `Operation not supported through the realtime channel (${parsed.reason})` }];
      return send(conn, id === undefined ? { type: 'error', errors } : { type: 'error', id, errors });
    }
    const message = parsed.message;
    conn.greeted = true;
    this.#options.events.emit('message', conn.id, message);
    switch (message.type) {
      case 'connection_init':
        send(conn, { type: 'connection_ack', connectionTimeoutMs: this.#options.connectionTimeoutMs });
        if (this.keepAliveEnabled) send(conn, { type: 'ka' });
        return;
      case 'subscribe':
        return this.#onSubscribe(conn, message);
      case 'unsubscribe':
        return this.#onUnsubscribe(conn, message.id);
      case 'publish':
        return this.#onPublish(conn, message);
    }
  }

  #onSubscribe(conn: Connection, message: Subscribe): Promise<void> | void {
    const refuse = (error: ServiceErrorEntry) => send(conn, { type: 'subscribe_error', id: message.id, errors: [error] });
    if (!OPERATION_ID_PATTERN.test(message.id)) return refuse({ errorType: 'BadRequestException', message: 'Invalid operation id' });
    // GraphQL's wording for a reused id; the Events service's is not documented (protocol.md §3.2, UNCERTAIN).
    if (conn.subscriptions.has(message.id)) return refuse({ errorType: 'DuplicatedOperationError', message: `Subscription id ${message.id} is already in use` });
    const outcome = authorize(headerRecord(message.authorization), () => subscribeSigningBody(message.channel), this.#options.auth, { operation: 'EVENT_SUBSCRIBE', channel: channelOf(message.channel) });
    if (outcome instanceof Promise) return outcome.then((o) => this.#subscribeAuthorized(conn, message, o, refuse));
    this.#subscribeAuthorized(conn, message, outcome, refuse);
  }

  #subscribeAuthorized(conn: Connection, message: Subscribe, outcome: AuthOutcome, refuse: (error: ServiceErrorEntry) => void): void {
    if (!outcome.ok) return refuse(outcome.error);
    let channel: ParsedChannel;
    try {
      channel = parseChannel(message.channel, 'subscribe');
    } catch {
      return refuse({ errorType: 'BadRequestException', message: 'Invalid Channel Format' });
    }
    const namespace = this.#options.namespaces.get(channel.namespace);
    if (!namespace) return refuse({ errorType: 'UnauthorizedException' });
    if (!namespace.allows('subscribe', outcome.modes)) return refuse({ errorType: 'UnauthorizedException', message: 'You are not authorized to make this call.' });
    const allowed = namespace.handlers?.onSubscribe(handlerContext(channel, namespace.name, 'SUBSCRIBE', outcome.identity));
    if (allowed && !allowed.ok) return refuse(allowed.error);
    const max = this.#options.maxSubscriptionsPerConnection;
    if (conn.subscriptions.size >= max) return refuse({ errorType: 'MaxSubscriptionsReachedError', message: `Max number of ${max} subscriptions reached` });
    const sub: ServerSubscription = { id: message.id, connection: conn, channel };
    this.#index.add(sub);
    conn.subscriptions.set(sub.id, sub);
    send(conn, { type: 'subscribe_success', id: message.id });
  }

  #onUnsubscribe(conn: Connection, id: string): void {
    const sub = conn.subscriptions.get(id);
    if (!sub) return send(conn, { type: 'unsubscribe_error', id, errors: [{ errorType: 'UnknownOperationError', message: `Unknown operation id ${id}` }] });
    this.#index.remove(sub);
    conn.subscriptions.delete(id);
    send(conn, { type: 'unsubscribe_success', id });
  }

  #onPublish(conn: Connection, message: Publish): Promise<void> | void {
    const refuse = (error: ServiceErrorEntry) => send(conn, { type: 'publish_error', id: message.id, errors: [error] });
    if (!OPERATION_ID_PATTERN.test(message.id)) return refuse({ errorType: 'BadRequestException', message: 'Invalid operation id' });
    const outcome = authorize(headerRecord(message.authorization), () => this.#publishSigningBody(message), this.#options.auth, { operation: 'EVENT_PUBLISH', channel: channelOf(message.channel) });
    if (outcome instanceof Promise) return outcome.then((o) => this.#publishAuthorized(conn, message, o, refuse));
    this.#publishAuthorized(conn, message, outcome, refuse);
  }

  #publishAuthorized(conn: Connection, message: Publish, outcome: AuthOutcome, refuse: (error: ServiceErrorEntry) => void): void {
    if (!outcome.ok) return refuse(outcome.error);
    if (this.#overRate(conn)) return refuse(WEBSOCKET_ERRORS.throttled);
    const check: PublishCheck = checkPublish(message.channel, message.events, this.#options.namespaces, outcome, WEBSOCKET_ERRORS, this.#options.throttled);
    if (!check.ok) return refuse(check.error);
    if (this.withheldAnswers > 0) this.withheldAnswers--;
    else send(conn, { type: 'publish_success', id: message.id, successful: check.successful, failed: check.failed });
    this.deliver(check);
  }

  /**
   * The body the service rebuilds to verify an IAM-signed publish: with `<`, `>`, `&`, `=` and `'` written as
   * \u escapes (on by default), so events holding them fail unless the client escaped them first
   * (aws/aws-appsync-community#400, protocol.md §4.1, UNCERTAIN).
   */
  #publishSigningBody(message: Publish): string {
    const text = publishSigningBody(message.channel, message.events);
    return this.#options.htmlSafeSigningBody ? text.replace(HTML_UNSAFE, unicodeEscape) : text;
  }

  /** The publish request quota of one connection (quotas.ts), counted per second. */
  #overRate(conn: Connection): boolean {
    const limit = this.#options.publishRequestsPerSecond;
    if (limit === 0) return false;
    const now = Date.now();
    if (now - conn.windowStart >= 1000) {
      conn.windowStart = now;
      conn.windowCount = 0;
    }
    return ++conn.windowCount > limit;
  }
}

/**
 * Connect authorization: the `header-` subprotocol (browsers, Amplify JS) or plain upgrade headers (KT, Swift).
 * Whatever the subprotocol decodes to, only its string values count: `1`, `null`, `[]` or objects authorize nothing.
 */
function connectHeaders(req: IncomingMessage, offered: readonly string[]): HeaderRecord {
  const headerProtocol = offered.find((p) => p.startsWith(AUTH_SUBPROTOCOL_PREFIX));
  if (!headerProtocol) return headerRecord(req.headers);
  return headerRecord(stringRecord(decodeAuthSubprotocol(headerProtocol.slice(AUTH_SUBPROTOCOL_PREFIX.length))));
}

function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
}

function send(conn: Connection, message: ServerMessage): void {
  sendText(conn, encodeServerMessage(message));
}

/** Sends one text frame; frames sent in the same tick share a socket write, as a real server's would. */
function sendText(conn: Connection, text: string): void {
  if (conn.ws.readyState !== WebSocket.OPEN) return;
  if (!conn.corked) {
    // `ws` writes every frame separately; its socket is private, but corking nests, so this batches them.
    const socket: Socket | undefined = Reflect.get(conn.ws, '_socket');
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
