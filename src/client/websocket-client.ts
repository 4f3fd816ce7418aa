import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import WebSocket, { type ClientOptions } from 'ws';
import { parseChannel } from '../protocol/channel';
import { encodeAuthSubprotocol, encodeEvents } from '../protocol/encoding';
import type { Endpoints } from '../protocol/endpoint';
import { EventsError, fromServiceErrors } from '../protocol/errors';
import { AUTH_SUBPROTOCOL_PREFIX, DEFAULT_CONNECTION_TIMEOUT_MS, EVENTS_SUBPROTOCOL, MAX_EVENTS_PER_REQUEST } from '../protocol/limits';
import { parseServerMessage, type ClientMessage, type ServerMessage } from '../protocol/messages';
import type { PublishResult } from '../protocol/publish-result';
import { CONNECT_SIGNING_BODY, publishSigningBody, subscribeSigningBody } from '../protocol/signing-body';
import type { Authorizer, Operation } from './authorizer';
import { fullJitterDelay } from './backoff';
import { publishInChunks } from './chunked-publish';
import type { ConnectionState, SubscriptionState } from './connection-state';
import { deferred, type Deferred } from './deferred';
import { silentLogger, type Logger } from './logger';
import { SecretScrubber } from './redact';

export interface WebSocketAuthorizers {
  connect: Authorizer;
  /** Defaults to `connect`. */
  subscribe?: Authorizer;
  /** Defaults to `connect`. */
  publish?: Authorizer;
}

export interface WebSocketClientOptions {
  logger?: Logger;
  /** Backoff after a transient failure: full jitter between 0 and min(max, base·2^attempt). */
  reconnectBaseDelayMs?: number;
  reconnectMaxDelayMs?: number;
  /** Delay between attempts after a failure the user must fix (refused credentials, unknown endpoint). */
  authFailureRetryMs?: number;
  /** Time allowed from opening the socket to `connection_ack`. */
  connectTimeoutMs?: number;
  /** Time allowed for each subscribe, publish and unsubscribe acknowledgement. */
  operationTimeoutMs?: number;
  /** Publish requests (of up to 5 events) that may wait for a connection; beyond it publishes fail at once. */
  maxQueuedPublishes?: number;
  /** Overrides the keep-alive timeout the service sends in `connection_ack` (`connectionTimeoutMs`). */
  keepAliveTimeoutMs?: number;
  /** Passed to the `ws` constructor: TLS options (ca, rejectUnauthorized), agent, headers. */
  webSocketOptions?: ClientOptions;
  random?: () => number;
}

export interface EventMeta {
  /** The channel (or wildcard pattern) this subscription was made for. */
  channel: string;
  subscriptionId: string;
}

export interface SubscriptionHandlers {
  /** One call per event: the parsed JSON value, or the raw JSON text when `parse` is false. */
  onEvent?(event: unknown, meta: EventMeta): void;
  /** A refused subscription, an undeliverable event (`broadcast_error`), or an event that is not JSON. */
  onError?(error: EventsError, meta: EventMeta): void;
  onStateChange?(state: SubscriptionState, meta: EventMeta): void;
}

export interface SubscribeOptions {
  authorizer?: Authorizer;
  /** Deliver parsed JSON (default) or the raw JSON text. */
  parse?: boolean;
}

export interface PublishOptions {
  authorizer?: Authorizer;
}

export interface Subscription {
  readonly id: string;
  readonly channel: string;
  readonly state: SubscriptionState;
  /** Resolves on the first `subscribe_success`, rejects if the subscription is refused or times out. */
  readonly ready: Promise<void>;
  /** Unsubscribes once the subscribe is acknowledged (never before: AUV, AMP-JS); resolves when done. */
  unsubscribe(): Promise<void>;
}

export interface SubscriptionInfo {
  id: string;
  channel: string;
  state: SubscriptionState;
}

interface SubscriptionRecord {
  id: string;
  channel: string;
  authorizer: Authorizer;
  parse: boolean;
  handlers: SubscriptionHandlers;
  state: SubscriptionState;
  meta: EventMeta;
  ready: Deferred<void>;
  unsubscribing?: Deferred<void>;
}

interface PublishRequest {
  id: string;
  channel: string;
  events: string[];
  authorizer: Authorizer;
  done: Deferred<PublishResult>;
}

type PendingOperation =
  | { kind: 'subscribe'; timer: NodeJS.Timeout }
  | { kind: 'publish'; timer: NodeJS.Timeout; request: PublishRequest }
  | { kind: 'unsubscribe'; timer: NodeJS.Timeout };

/** One socket's life: the client keeps at most one current, and ignores every event of older ones. */
interface Connection {
  ws: WebSocket;
  phase: 'opening' | 'awaiting-ack' | 'ready';
  /** Why it ended, when we know better than the close code. */
  failure?: EventsError;
  ended: boolean;
  handshakeTimer?: NodeJS.Timeout;
  watchdog?: NodeJS.Timeout;
  keepAliveMs: number;
  /** Frames received; the watchdog compares it between checks instead of reading the clock per frame. */
  frames: number;
  /** The socket is corked until the next tick, so frames sent meanwhile leave in one write. */
  corked: boolean;
}

const DEFAULTS = {
  reconnectBaseDelayMs: 1_000,
  reconnectMaxDelayMs: 30_000,
  authFailureRetryMs: 60_000,
  connectTimeoutMs: 15_000,
  operationTimeoutMs: 15_000,
  maxQueuedPublishes: 1_000,
};

/**
 * The AppSync Events WebSocket client: one socket, opened on first use, kept open (reconnecting with
 * backoff and resubscribing) until `disconnect()`. Subscriptions and publishes are correlated by id only;
 * a refused subscription affects nobody else.
 */
export class EventsWebSocketClient {
  readonly endpoints: Endpoints;
  readonly #authorizers: Required<WebSocketAuthorizers>;
  readonly #options: typeof DEFAULTS & WebSocketClientOptions;
  readonly #scrubber = new SecretScrubber();
  readonly #log: Logger;
  readonly #stateListeners = new Set<(state: ConnectionState) => void>();
  readonly #subscriptions = new Map<string, SubscriptionRecord>();
  readonly #pending = new Map<string, PendingOperation>();
  readonly #queue: PublishRequest[] = [];
  #state: ConnectionState = { status: 'idle' };
  #connection: Connection | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  /** Keeps frames in call order while authorizers (IAM signing) run concurrently. */
  #sendChain: Promise<void> = Promise.resolve();
  /** Incremented by each connection attempt and by disconnect(): an attempt that finds it changed was superseded. */
  #attemptId = 0;
  /** Normalised publish channels already validated; flows publish to a few channels many times. */
  readonly #publishChannels = new Map<string, string>();

  constructor(endpoints: Endpoints, authorizers: WebSocketAuthorizers, options: WebSocketClientOptions = {}) {
    this.endpoints = endpoints;
    this.#authorizers = {
      connect: authorizers.connect,
      subscribe: authorizers.subscribe ?? authorizers.connect,
      publish: authorizers.publish ?? authorizers.connect,
    };
    this.#options = { ...DEFAULTS, ...stripUndefined(options) };
    this.#log = this.#scrubber.logger(options.logger ?? silentLogger);
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** Listens to connection state changes; returns the function that stops listening. */
  onStateChange(listener: (state: ConnectionState) => void): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  get subscriptions(): SubscriptionInfo[] {
    return [...this.#subscriptions.values()].map((s) => ({ id: s.id, channel: s.channel, state: s.state }));
  }

  /** Publish requests waiting for a connection. */
  get queuedPublishes(): number {
    return this.#queue.length;
  }

  /** Opens the connection now instead of on first use; resolves when connected. */
  async connect(): Promise<void> {
    if (this.#state.status === 'connected') return;
    const connected = new Promise<void>((resolve, reject) => {
      const stop = this.onStateChange((s) => {
        if (s.status === 'connected') {
          stop();
          resolve();
        } else if (s.status === 'failed' || s.status === 'closed') {
          stop();
          reject(s.status === 'failed' ? s.error : new EventsError({ errorType: 'ClientClosed', message: 'the client was closed' }));
        }
      });
    });
    this.#ensureConnection();
    return connected;
  }

  subscribe(channel: string, handlers: SubscriptionHandlers = {}, options: SubscribeOptions = {}): Subscription {
    const { path } = parseChannel(channel, 'subscribe');
    const id = randomUUID();
    const record: SubscriptionRecord = {
      id,
      channel: path,
      authorizer: options.authorizer ?? this.#authorizers.subscribe,
      parse: options.parse ?? true,
      handlers,
      state: { status: 'pending' },
      meta: { channel: path, subscriptionId: id },
      ready: deferred<void>(true),
    };
    this.#subscriptions.set(id, record);
    this.#log.debug(`subscribe ${path} (${id})`);
    if (this.#connection?.phase === 'ready') this.#sendSubscribe(record, this.#connection);
    else this.#ensureConnection();
    return {
      id,
      channel: path,
      get state() {
        return record.state;
      },
      ready: record.ready.promise,
      unsubscribe: () => this.#unsubscribe(record),
    };
  }

  /**
   * Publishes events (each element of `events` is one event) in requests of at most 5, in order.
   * While disconnected, requests wait in a bounded queue; when it is full the call fails at once.
   */
  async publish(channel: string, events: readonly unknown[], options: PublishOptions = {}): Promise<PublishResult> {
    const path = this.#publishPath(channel);
    const encoded = encodeEvents(events, { asciiSafe: true });
    if (this.#state.status === 'failed') throw this.#state.error;
    const chunkCount = Math.ceil(encoded.length / MAX_EVENTS_PER_REQUEST);
    if (!this.#canSendNow && this.#queue.length + chunkCount > this.#options.maxQueuedPublishes) {
      throw new EventsError({
        errorType: 'QueueFull',
        message: `not connected and ${this.#queue.length} publish requests are already waiting (limit ${this.#options.maxQueuedPublishes})`,
      });
    }
    const authorizer = options.authorizer ?? this.#authorizers.publish;
    return publishInChunks(encoded, (chunk) => {
      const request: PublishRequest = { id: randomUUID(), channel: path, events: chunk, authorizer, done: deferred<PublishResult>() };
      if (this.#canSendNow) this.#sendPublish(request, this.#connection!);
      else {
        this.#queue.push(request);
        this.#ensureConnection();
      }
      return request.done.promise;
    });
  }

  /**
   * Closes the connection. With `flush` (default) queued publishes are sent first if connected and
   * in-flight publishes get their acknowledgements; without it they fail at once. Subscriptions end.
   */
  async disconnect(flush = true): Promise<void> {
    clearTimeout(this.#retryTimer);
    this.#attemptId++;
    const conn = this.#connection;
    if (flush && conn?.phase === 'ready') {
      for (const request of this.#queue.splice(0)) this.#sendPublish(request, conn);
      await this.#sendChain;
      const inFlight = [...this.#pending.values()].flatMap((p) => (p.kind === 'publish' ? [p.request.done.promise.catch(() => {})] : []));
      await Promise.all(inFlight);
    }
    const closed = new EventsError({ errorType: 'ClientClosed', message: 'the client was disconnected' });
    for (const request of this.#queue.splice(0)) request.done.reject(closed);
    this.#setState({ status: 'closed' });
    this.#connection = undefined;
    if (conn) this.#endConnection(conn, closed, flush);
    for (const [id, op] of this.#pending) {
      clearTimeout(op.timer);
      if (op.kind === 'publish') op.request.done.reject(closed);
      this.#pending.delete(id);
    }
    for (const record of this.#subscriptions.values()) {
      record.unsubscribing?.resolve();
      this.#setSubscriptionState(record, { status: 'closed' });
      record.ready.reject(closed);
    }
    this.#subscriptions.clear();
  }

  /** Connected, and nothing queued ahead (publishes keep their order). */
  get #canSendNow(): boolean {
    return this.#connection?.phase === 'ready' && this.#queue.length === 0;
  }

  #publishPath(channel: string): string {
    let path = this.#publishChannels.get(channel);
    if (path === undefined) {
      path = parseChannel(channel, 'publish').path;
      if (this.#publishChannels.size >= 1_000) this.#publishChannels.clear();
      this.#publishChannels.set(channel, path);
    }
    return path;
  }

  // --- connection lifecycle -------------------------------------------------------------------------

  #setState(state: ConnectionState): void {
    this.#state = state;
    this.#log.debug(`connection ${describeState(state)}`);
    for (const listener of this.#stateListeners) listener(state);
  }

  #ensureConnection(): void {
    const { status } = this.#state;
    if (status === 'idle' || status === 'closed') void this.#open(0);
  }

  /** `body` is built only if the authorizer reads it: only IAM signs the body. */
  async #authorize(authorizer: Authorizer, operation: Operation, body: () => string, channel?: string): Promise<Record<string, string>> {
    let text: string | undefined;
    try {
      const headers = await authorizer({
        operation,
        transport: 'websocket',
        httpUrl: this.endpoints.httpUrl,
        httpHost: this.endpoints.httpHost,
        get body() {
          return (text ??= body());
        },
        channel,
      });
      this.#scrubber.addHeaders(headers);
      return headers;
    } catch (err) {
      throw this.#scrubber.error(err, 'CredentialsError');
    }
  }

  async #open(attempt: number): Promise<void> {
    const attemptId = ++this.#attemptId;
    this.#setState({ status: 'connecting', attempt });
    let headers: Record<string, string>;
    try {
      headers = await this.#authorize(this.#authorizers.connect, 'connect', () => CONNECT_SIGNING_BODY);
    } catch (err) {
      if (attemptId === this.#attemptId) this.#afterFailure(err as EventsError, attempt);
      return;
    }
    // disconnect() or a newer attempt came while the authorizer ran (a slow credential fetch, say).
    if (attemptId !== this.#attemptId) return;
    // `host` is the HTTP host, "used to validate the connection" (D-WS).
    const auth = { host: this.endpoints.httpHost, ...headers };
    const subprotocol = AUTH_SUBPROTOCOL_PREFIX + encodeAuthSubprotocol(auth);
    this.#scrubber.add(subprotocol);
    const ws = new WebSocket(this.endpoints.realtimeUrl, [EVENTS_SUBPROTOCOL, subprotocol], {
      ...this.#options.webSocketOptions,
      handshakeTimeout: this.#options.connectTimeoutMs,
    });
    const conn: Connection = { ws, phase: 'opening', ended: false, keepAliveMs: DEFAULT_CONNECTION_TIMEOUT_MS, frames: 0, corked: false };
    this.#connection = conn;
    conn.handshakeTimer = setTimeout(() => {
      this.#endConnection(conn, new EventsError({ errorType: 'Timeout', message: `no connection_ack within ${this.#options.connectTimeoutMs} ms` }));
    }, this.#options.connectTimeoutMs);

    ws.on('open', () => {
      conn.phase = 'awaiting-ack';
      this.#sendFrame(conn, { type: 'connection_init' });
    });
    ws.on('message', (data, isBinary) => {
      conn.frames++;
      if (isBinary) {
        this.#log.warn('ignored a binary frame: the protocol uses text frames only');
        return;
      }
      const message = parseServerMessage(data.toString());
      if (message.type === 'invalid') this.#log.warn(`ignored a frame: ${message.reason}`);
      else this.#onMessage(conn, message);
    });
    ws.on('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      conn.failure =
        status === 404
          ? new EventsError({ errorType: 'EndpointNotFound', message: `the realtime endpoint answered 404 Not Found`, code: 404 })
          : status === 401 || status === 403
            ? new EventsError({ errorType: 'UnauthorizedException', message: `the realtime endpoint refused the connection (${status})`, code: status })
            : new EventsError({ errorType: 'HttpError', message: `the realtime endpoint answered HTTP ${status} to the upgrade`, code: status, retryable: status >= 500 || status === 429 });
      res.resume();
      this.#endConnection(conn, conn.failure);
    });
    ws.on('error', (err) => {
      conn.failure ??= new EventsError({ errorType: 'NetworkError', message: this.#scrubber.scrub(err.message), cause: err });
      this.#endConnection(conn, conn.failure);
    });
    ws.on('close', (code, reason) => {
      this.#endConnection(
        conn,
        conn.failure ?? new EventsError({ errorType: 'ConnectionClosed', message: `the connection closed (code ${code}${reason.length ? `, ${this.#scrubber.scrub(reason.toString())}` : ''})`, code }),
      );
    });
  }

  #onMessage(conn: Connection, message: ServerMessage): void {
    if (conn !== this.#connection) return;
    // Events outnumber every other frame by far.
    if (message.type === 'data') {
      this.#onData(message.id, message.event);
      return;
    }
    switch (message.type) {
      case 'connection_ack':
        this.#onAck(conn, message.connectionTimeoutMs);
        return;
      case 'connection_error':
        conn.failure = this.#scrubber.error(fromServiceErrors(message.errors, 'the connection was refused'));
        this.#endConnection(conn, conn.failure);
        return;
      case 'ka':
        return;
      case 'subscribe_success':
        this.#onSubscribeSuccess(conn, message.id);
        return;
      case 'subscribe_error':
        this.#onSubscribeError(message.id, this.#scrubber.error(fromServiceErrors(message.errors, 'the subscription was refused')));
        return;
      case 'unsubscribe_success':
      case 'unsubscribe_error':
        this.#onUnsubscribed(message.id, message.type === 'unsubscribe_error' ? message.errors : undefined);
        return;
      case 'broadcast_error': {
        const record = this.#subscriptions.get(message.id);
        if (record) record.handlers.onError?.(this.#scrubber.error(fromServiceErrors(message.errors, 'an event could not be delivered')), record.meta);
        return;
      }
      case 'publish_success':
        this.#settlePublish(message.id, { successful: message.successful, failed: message.failed });
        return;
      case 'publish_error':
        this.#settlePublish(message.id, this.#scrubber.error(fromServiceErrors(message.errors, 'the publish was refused')));
        return;
      case 'error':
        this.#onGenericError(message.id, this.#scrubber.error(fromServiceErrors(message.errors, 'the service reported an error')));
        return;
    }
  }

  #onAck(conn: Connection, connectionTimeoutMs: number | undefined): void {
    if (conn.phase === 'ready') return;
    clearTimeout(conn.handshakeTimer);
    conn.phase = 'ready';
    conn.keepAliveMs = this.#options.keepAliveTimeoutMs ?? connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS;
    this.#armWatchdog(conn);
    this.#setState({ status: 'connected' });
    for (const record of this.#subscriptions.values()) {
      if (record.state.status === 'pending') this.#sendSubscribe(record, conn);
    }
    for (const request of this.#queue.splice(0)) this.#sendPublish(request, conn);
  }

  /**
   * Any frame counts as life (AMP-JS counts `ka` and `data`; KT every frame). The watchdog looks four times
   * per timeout period whether frames arrived: no clock read or timer reset per event, and silence is caught
   * between 1 and 1.25 timeout periods after the last frame.
   */
  #armWatchdog(conn: Connection): void {
    const period = Math.max(1, Math.floor(conn.keepAliveMs / 4));
    let seen = conn.frames;
    let lastLife = Date.now();
    const check = () => {
      if (conn.ended) return;
      const now = Date.now();
      if (conn.frames !== seen) {
        seen = conn.frames;
        lastLife = now;
      } else if (now - lastLife >= conn.keepAliveMs) {
        this.#endConnection(conn, new EventsError({ errorType: 'Timeout', message: `no frame from the service for ${now - lastLife} ms (keep-alive timeout ${conn.keepAliveMs} ms)` }));
        return;
      }
      conn.watchdog = setTimeout(check, period);
    };
    conn.watchdog = setTimeout(check, period);
  }

  /** Ends a connection once, whatever reported it first; decides between closed, reconnecting and failed. */
  #endConnection(conn: Connection, reason: EventsError, graceful = false): void {
    if (conn.ended) return;
    conn.ended = true;
    clearTimeout(conn.handshakeTimer);
    clearTimeout(conn.watchdog);
    conn.ws.removeAllListeners('message');
    conn.ws.on('error', () => {});
    if (graceful && conn.ws.readyState === WebSocket.OPEN) conn.ws.close(1000, 'client disconnect');
    else conn.ws.terminate();
    if (conn !== this.#connection) return;
    this.#connection = undefined;
    const wasReady = conn.phase === 'ready';
    this.#log.info(`connection ended: ${reason.message}`);

    const dropped = new EventsError({ errorType: 'ConnectionClosed', message: `the connection was lost before the acknowledgement (${reason.message})`, retryable: true });
    for (const [id, op] of this.#pending) {
      clearTimeout(op.timer);
      if (op.kind === 'publish') op.request.done.reject(dropped);
      this.#pending.delete(id);
    }
    for (const record of this.#subscriptions.values()) {
      if (record.unsubscribing) {
        // The server forgets a closed connection's subscriptions: nothing is left to unsubscribe.
        this.#subscriptions.delete(record.id);
        this.#setSubscriptionState(record, { status: 'closed' });
        record.unsubscribing.resolve();
      } else if (record.state.status === 'subscribed') {
        this.#setSubscriptionState(record, { status: 'pending' });
      }
    }
    const attempt = wasReady || this.#state.status !== 'connecting' ? 0 : this.#state.attempt;
    this.#afterFailure(reason, attempt);
  }

  #afterFailure(error: EventsError, attempt: number): void {
    if (this.#state.status === 'closed') return;
    clearTimeout(this.#retryTimer);
    if (!error.retryable) {
      // A refused key or an unknown endpoint will not fix itself: report it, fail what waits, retry slowly.
      for (const request of this.#queue.splice(0)) request.done.reject(error);
      const retryInMs = this.#options.authFailureRetryMs;
      this.#setState({ status: 'failed', error, retryInMs });
      this.#retryTimer = setTimeout(() => void this.#open(0), retryInMs);
      return;
    }
    const next = attempt + 1;
    const delayMs = fullJitterDelay(attempt, {
      baseDelayMs: this.#options.reconnectBaseDelayMs,
      maxDelayMs: this.#options.reconnectMaxDelayMs,
      random: this.#options.random,
    });
    this.#setState({ status: 'reconnecting', attempt: next, delayMs, error });
    this.#retryTimer = setTimeout(() => void this.#open(next), delayMs);
  }

  #sendFrame(conn: Connection, message: ClientMessage): boolean {
    if (conn.ended || conn.ws.readyState !== WebSocket.OPEN) return false;
    if (!conn.corked) {
      // Each ws.send is its own socket write (and TLS record); with many small frames those writes cost
      // more than everything else (40 % of CPU when publishing). `ws` has no batching API, but stream corking
      // nests, so holding the socket corked until the next tick sends a burst of frames in one write.
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
    conn.ws.send(JSON.stringify(message));
    return true;
  }

  /** Runs `authorize` now (in parallel with others) but sends its frame after every frame requested before it. */
  #sendInOrder(authorize: Promise<Record<string, string>>, send: (headers: Record<string, string>) => void, fail: (err: EventsError) => void): void {
    authorize.catch(() => {});
    const step = this.#sendChain.then(() => authorize).then(send, (err: unknown) => fail(err as EventsError));
    this.#sendChain = step.catch(() => {});
  }

  // --- subscriptions ------------------------------------------------------------------------------

  #setSubscriptionState(record: SubscriptionRecord, state: SubscriptionState): void {
    record.state = state;
    record.handlers.onStateChange?.(state, record.meta);
  }

  #sendSubscribe(record: SubscriptionRecord, conn: Connection): void {
    this.#sendInOrder(
      this.#authorize(record.authorizer, 'subscribe', () => subscribeSigningBody(record.channel), record.channel),
      (authorization) => {
        if (conn !== this.#connection || this.#subscriptions.get(record.id) !== record || record.state.status !== 'pending') return;
        const timer = setTimeout(() => {
          this.#pending.delete(record.id);
          this.#failSubscription(record, new EventsError({ errorType: 'Timeout', message: `no answer to subscribe ${record.channel} within ${this.#options.operationTimeoutMs} ms` }));
        }, this.#options.operationTimeoutMs);
        this.#pending.set(record.id, { kind: 'subscribe', timer });
        this.#sendFrame(conn, { type: 'subscribe', id: record.id, channel: record.channel, authorization });
      },
      (err) => this.#failSubscription(record, err),
    );
  }

  #failSubscription(record: SubscriptionRecord, error: EventsError): void {
    if (this.#subscriptions.get(record.id) !== record) return;
    this.#subscriptions.delete(record.id);
    this.#log.warn(`subscription to ${record.channel} failed: ${error.message}`);
    this.#setSubscriptionState(record, { status: 'failed', error });
    record.ready.reject(error);
    if (record.unsubscribing) record.unsubscribing.resolve();
    else record.handlers.onError?.(error, record.meta);
  }

  #onSubscribeSuccess(conn: Connection, id: string): void {
    const op = this.#pending.get(id);
    if (op?.kind === 'subscribe') {
      clearTimeout(op.timer);
      this.#pending.delete(id);
    }
    const record = this.#subscriptions.get(id);
    if (!record) {
      // Acknowledged after we gave up on it (timeout): the server holds it, so release it.
      this.#sendFrame(conn, { type: 'unsubscribe', id });
      return;
    }
    this.#setSubscriptionState(record, { status: 'subscribed' });
    record.ready.resolve();
    if (record.unsubscribing) this.#sendUnsubscribe(record, conn);
  }

  #onSubscribeError(id: string, error: EventsError): void {
    const op = this.#pending.get(id);
    if (op?.kind === 'subscribe') {
      clearTimeout(op.timer);
      this.#pending.delete(id);
    }
    const record = this.#subscriptions.get(id);
    if (record) this.#failSubscription(record, error);
  }

  #onData(id: string, event: string): void {
    const record = this.#subscriptions.get(id);
    if (!record || record.unsubscribing || !record.handlers.onEvent) return;
    if (!record.parse) {
      record.handlers.onEvent(event, record.meta);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(event);
    } catch {
      record.handlers.onError?.(new EventsError({ errorType: 'ProtocolError', message: `an event on ${record.channel} is not valid JSON` }), record.meta);
      return;
    }
    record.handlers.onEvent(value, record.meta);
  }

  #unsubscribe(record: SubscriptionRecord): Promise<void> {
    if (this.#subscriptions.get(record.id) !== record) return Promise.resolve();
    if (record.unsubscribing) return record.unsubscribing.promise;
    record.unsubscribing = deferred<void>();
    const conn = this.#connection;
    if (record.state.status === 'subscribed' && conn?.phase === 'ready') {
      this.#sendUnsubscribe(record, conn);
    } else if (!(record.state.status === 'pending' && (this.#pending.has(record.id) || conn?.phase === 'ready'))) {
      // Not on the server (not connected yet, or between connections): forget it now.
      this.#subscriptions.delete(record.id);
      this.#setSubscriptionState(record, { status: 'closed' });
      record.unsubscribing.resolve();
    }
    // Otherwise the subscribe is in flight: #onSubscribeSuccess sends the unsubscribe after the ack.
    return record.unsubscribing.promise;
  }

  #sendUnsubscribe(record: SubscriptionRecord, conn: Connection): void {
    const timer = setTimeout(() => this.#onUnsubscribed(record.id, [{ errorType: 'Timeout', message: 'no answer to unsubscribe' }]), this.#options.operationTimeoutMs);
    this.#pending.set(record.id, { kind: 'unsubscribe', timer });
    this.#sendFrame(conn, { type: 'unsubscribe', id: record.id });
  }

  #onUnsubscribed(id: string, errors: ReadonlyArray<{ errorType?: string; message?: string }> | undefined): void {
    const op = this.#pending.get(id);
    if (op?.kind === 'unsubscribe') {
      clearTimeout(op.timer);
      this.#pending.delete(id);
    }
    const record = this.#subscriptions.get(id);
    if (!record?.unsubscribing) return;
    if (errors) this.#log.warn(`unsubscribe ${record.channel}: ${errors[0]?.errorType ?? 'error'} ${errors[0]?.message ?? ''}`);
    this.#subscriptions.delete(id);
    this.#setSubscriptionState(record, { status: 'closed' });
    record.unsubscribing.resolve();
  }

  // --- publishing -----------------------------------------------------------------------------------

  #sendPublish(request: PublishRequest, conn: Connection): void {
    this.#sendInOrder(
      this.#authorize(request.authorizer, 'publish', () => publishSigningBody(request.channel, request.events), request.channel),
      (authorization) => {
        if (conn.ended) {
          request.done.reject(new EventsError({ errorType: 'ConnectionClosed', message: 'the connection closed before the publish was sent' }));
          return;
        }
        const timer = setTimeout(() => {
          this.#pending.delete(request.id);
          request.done.reject(new EventsError({ errorType: 'Timeout', message: `no answer to publish on ${request.channel} within ${this.#options.operationTimeoutMs} ms` }));
        }, this.#options.operationTimeoutMs);
        this.#pending.set(request.id, { kind: 'publish', timer, request });
        this.#sendFrame(conn, { type: 'publish', id: request.id, channel: request.channel, events: request.events, authorization });
      },
      (err) => request.done.reject(err),
    );
  }

  #settlePublish(id: string, outcome: PublishResult | EventsError): void {
    const op = this.#pending.get(id);
    if (op?.kind !== 'publish') return;
    clearTimeout(op.timer);
    this.#pending.delete(id);
    if (outcome instanceof EventsError) op.request.done.reject(outcome);
    else op.request.done.resolve(outcome);
  }

  /** A generic `error` frame fails only the operation whose id it carries (never another's: AMP-JS quirk). */
  #onGenericError(id: string | undefined, error: EventsError): void {
    const op = id === undefined ? undefined : this.#pending.get(id);
    if (id === undefined || !op) {
      this.#log.warn(`the service reported an error: ${error.message}`);
      return;
    }
    if (op.kind === 'publish') this.#settlePublish(id, error);
    else if (op.kind === 'subscribe') this.#onSubscribeError(id, error);
    else this.#onUnsubscribed(id, [{ errorType: error.errorType, message: error.message }]);
  }
}

function describeState(state: ConnectionState): string {
  switch (state.status) {
    case 'connecting':
      return `connecting (attempt ${state.attempt})`;
    case 'reconnecting':
      return `reconnecting: attempt ${state.attempt} in ${state.delayMs} ms${state.error ? ` after ${state.error.message}` : ''}`;
    case 'failed':
      return `failed: ${state.error.message}; retrying in ${state.retryInMs} ms`;
    default:
      return state.status;
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
