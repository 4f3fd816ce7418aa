import type { ClientOptions } from 'ws';
import { parseChannel } from '../protocol/channel';
import { encodeEvents, escapeForSigning } from '../protocol/encoding';
import type { Endpoints } from '../protocol/endpoint';
import { EventsError, fromServiceErrors } from '../protocol/errors';
import { MAX_EVENTS_PER_REQUEST } from '../protocol/limits';
import type { InvalidFrame, ServerMessage, ServiceErrorEntry } from '../protocol/messages';
import { accountsForEvery, type PublishResult } from '../protocol/publish-result';
import { CONNECT_SIGNING_BODY, publishSigningBody, subscribeSigningBody } from '../protocol/signing-body';
import type { AuthorizationHeaders, Authorizer, Operation } from './authorizer';
import { publishInChunks } from './chunked-publish';
import { isThrottled, Pacer } from './pacer';
import { MAX_CONNECTION_DURATION_MS, rotationTime } from './connection-rotation';
import { renewalFor, type AuthorizedAttempt } from './credential-renewal';
import type { ConnectionState, SubscriptionState } from './connection-state';
import { deferred } from './deferred';
import { OrderedSends } from './frame-writer';
import { silentLogger, type Logger } from './logger';
import { MovingSubscription } from './moving-subscription';
import { networkSecrets, routeFor, warnIfUnverified, type NetworkSettings, type Route } from './network';
import { OperationIds } from './operation-ids';
import { PendingOperations, type PendingOperation } from './pending-operations';
import { PublishChannels } from './publish-channels';
import { MemoryPublishQueue, PublishRequest, type PublishQueue } from './publish-queue';
import { stateAfterFailure } from './reconnect-policy';
import { SecretScrubber } from './redact';
import { SocketSession } from './socket-session';
import { SubscriptionRegistry, type EventOutput, type SubscriptionHandlers, type SubscriptionRecord } from './subscription-registry';
import { isLimit, timerDelay } from './time-limit';
import { ThrottleHold } from './throttle-hold';
import { TurnBudget } from './turn-budget';

export type { EventMeta, EventOutput, SubscriptionHandlers } from './subscription-registry';

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
  authRetryDelayMs?: number;
  /** Time allowed from opening the socket to `connection_ack`; 0 is the default's 15 s (an attempt that hangs is retried). */
  connectTimeoutMs?: number;
  /** Time allowed for each subscribe, publish and unsubscribe acknowledgement; 0: no limit per attempt. */
  requestTimeoutMs?: number;
  /**
   * Publish requests (of up to 5 events) that may wait for a connection or a publish-rate slot; beyond it publishes
   * fail at once. A burst while connected waits only for the next turns of the event loop and does not count.
   */
  queueSize?: number;
  /**
   * Publish requests per second on the connection (0, the default: no pacing). AppSync's quota is quoted as 25
   * (protocol.md §6); requests beyond the rate wait in the queue, in order.
   */
  publishRate?: number;
  /** Overrides the keep-alive timeout the service sends in `connection_ack` (`connectionTimeoutMs`). */
  keepAliveTimeoutMs?: number;
  /**
   * Open the socket on first use (default). When false it opens only on `connect()`; subscriptions and publishes made
   * before wait for it. Either way a connected client reconnects after a drop, and after `stop()` stays closed until
   * the next `connect()`.
   */
  autoConnect?: boolean;
  /** TLS settings and a proxy for the WebSocket (see network.ts). */
  network?: NetworkSettings;
  /** Passed to the `ws` constructor last: anything `network` does not cover (headers, say). */
  webSocketOptions?: ClientOptions;
  /**
   * How long the service keeps a connection (24 h, D-WS). The client replaces it before then, and before the connect
   * credential expires, with no gap in the subscriptions (connection-rotation.ts).
   */
  maxConnectionDurationMs?: number;
  random?: () => number;
}

export interface SubscribeOptions {
  authorizer?: Authorizer;
  /** Parsed JSON (default) or the JSON text as received. */
  output?: EventOutput;
}

export interface PublishOptions {
  authorizer?: Authorizer;
}

export interface Subscription {
  readonly id: string;
  readonly channel: string;
  readonly state: SubscriptionState;
  /**
   * Resolves on the first `subscribe_success`. Rejects if the subscription is refused or times out, or if the
   * connection fails for a reason the user must fix (a refused key): the subscription then stays and is made
   * once the connection recovers.
   */
  readonly ready: Promise<void>;
  /** Unsubscribes once the subscribe is acknowledged (never before: AUV, AMP-JS); resolves when done. */
  unsubscribe(): Promise<void>;
}

export interface SubscriptionInfo {
  id: string;
  channel: string;
  state: SubscriptionState;
}

const DEFAULTS = {
  reconnectBaseDelayMs: 1_000,
  reconnectMaxDelayMs: 30_000,
  authRetryDelayMs: 60_000,
  connectTimeoutMs: 15_000,
  requestTimeoutMs: 15_000,
  maxConnectionDurationMs: MAX_CONNECTION_DURATION_MS,
  queueSize: 1_000,
};

/**
 * Publish frames written per turn of the event loop (turn-budget.ts). With 20,000 publishes started at once against
 * the emulator in `bench/`, slices of 64, 256 and 1,024 measured alike (32,000 to 46,000 events/s over runs minutes
 * apart), and one unsliced burst 27,000 to 34,000.
 */
const PUBLISHES_PER_TURN = 256;

/**
 * The AppSync Events WebSocket client: one socket, opened on first use, kept open (reconnecting with
 * backoff and resubscribing) until `disconnect()`. Subscriptions and publishes are correlated by id only;
 * a refused subscription affects nobody else. A publish in flight when the socket drops is sent again on
 * the next one (at-least-once).
 */
export class EventsWebSocketClient {
  readonly endpoints: Endpoints;
  readonly #authorizers: Required<WebSocketAuthorizers>;
  readonly #options: typeof DEFAULTS & WebSocketClientOptions;
  readonly #scrubber = new SecretScrubber();
  readonly #log: Logger;
  readonly #stateListeners = new Set<(state: ConnectionState) => void>();
  readonly #subscriptions: SubscriptionRegistry;
  readonly #pending: PendingOperations;
  readonly #queue: PublishQueue;
  readonly #sends = new OrderedSends();
  readonly #route: Route;
  #state: ConnectionState = { status: 'idle' };
  #session: SocketSession | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  /** Whether a subscribe or publish opens the socket: `autoConnect` at first, false after `stop()`, true after `connect()`. */
  #opensOnUse: boolean;
  /** Subscriptions given up on (timeout) whose acknowledgement may still come: the server then holds them, so they are released. */
  readonly #abandoned = new Set<string>();
  readonly #publishChannels = new PublishChannels();
  readonly #pacer: Pacer;
  readonly #turnBudget = new TurnBudget(PUBLISHES_PER_TURN);
  readonly #ids = new OperationIds();
  readonly #throttleHold: ThrottleHold;
  #drainTimer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  /** The connect authorization of the current attempt, and whether its refusal already renewed it. */
  #connectAttempt: AuthorizedAttempt = {};
  /**
   * The replacement of the current connection: when it is made, while it opens, the old one it retires, and the moved
   * subscriptions whose new stream has still to go past the events the old one already delivered.
   */
  #rotation: { timer?: NodeJS.Timeout; candidate?: SocketSession; retiring?: RetiringSession; aligning?: Aligning } = {};

  constructor(endpoints: Endpoints, authorizers: WebSocketAuthorizers, options: WebSocketClientOptions = {}) {
    this.endpoints = endpoints;
    this.#authorizers = {
      connect: authorizers.connect,
      subscribe: authorizers.subscribe ?? authorizers.connect,
      publish: authorizers.publish ?? authorizers.connect,
    };
    this.#options = { ...DEFAULTS, ...definedTimers(options) };
    this.#log = this.#scrubber.logger(options.logger ?? silentLogger);
    for (const secret of networkSecrets(options.network)) this.#scrubber.add(secret);
    this.#route = routeFor(endpoints.realtimeUrl, options.network);
    warnIfUnverified(options.network, endpoints.realtimeUrl, (line) => this.#log.warn(line));
    this.#subscriptions = new SubscriptionRegistry(this.#log);
    this.#queue = new MemoryPublishQueue(this.#options.queueSize);
    this.#opensOnUse = options.autoConnect ?? true;
    this.#pacer = new Pacer(options.publishRate ?? 0);
    this.#pending = new PendingOperations(this.#options.requestTimeoutMs, (id, operation) => this.#onTimeout(id, operation));
    this.#throttleHold = new ThrottleHold(
      (held) => {
        this.#queue.requeue(held);
        this.#drain();
      },
      () => this.#pending.hasPublishes(),
    );
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

  /** Publish requests not sent yet: waiting for a connection, a publish-rate slot, or the next turn of a burst. */
  get queuedPublishes(): number {
    return this.#queue.size;
  }

  /** Opens the connection now instead of on first use (or again after `stop()`); resolves when connected. */
  async connect(): Promise<void> {
    this.#opensOnUse = true;
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
    const id = this.#ids.next();
    const record: SubscriptionRecord = {
      id,
      channel: path,
      authorizer: options.authorizer ?? this.#authorizers.subscribe,
      output: options.output ?? 'json',
      handlers,
      state: { status: 'pending' },
      meta: { channel: path, subscriptionId: id },
      ready: deferred<void>(true),
    };
    this.#subscriptions.add(record);
    this.#log.debug(`subscribe ${path} (${id})`);
    const session = this.#readySession();
    if (session) this.#sendSubscribe(record, session);
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
  publish(channel: string, events: readonly unknown[], options: PublishOptions = {}): Promise<PublishResult> {
    // Not `async`: a publish is one promise, not two. Bad input still comes back as a rejection.
    try {
      return this.#publish(channel, events, options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #publish(channel: string, events: readonly unknown[], options: PublishOptions): Promise<PublishResult> {
    const path = this.#publishChannels.path(channel);
    const encoded = encodeEvents(events);
    if (this.#state.status === 'failed') throw this.#state.error;
    const chunkCount = Math.ceil(encoded.length / MAX_EVENTS_PER_REQUEST);
    if (this.#waitsForConnectionOrPace() && !this.#queue.hasRoom(chunkCount)) {
      throw new EventsError({
        errorType: 'QueueFull',
        message: `not connected and ${this.#queue.size} publish requests are already waiting (limit ${this.#options.queueSize})`,
      });
    }
    const authorizer = options.authorizer ?? this.#authorizers.publish;
    if (encoded.length <= MAX_EVENTS_PER_REQUEST) return this.#request(path, encoded, authorizer);
    return publishInChunks(encoded, (chunk) => this.#request(path, chunk, authorizer));
  }

  /** One publish request: sent now when connected and nothing waits ahead, else queued. */
  #request(channel: string, events: readonly string[], authorizer: Authorizer): Promise<PublishResult> {
    const request = new PublishRequest(this.#ids.next(), channel, events, authorizer);
    const session = this.#canSendNow() ? this.#readySession() : undefined;
    if (session) this.#sendPublish(request, session);
    else {
      this.#queue.push(request);
      this.#ensureConnection();
      this.#drain();
    }
    return request.promise;
  }

  /**
   * Closes the connection. With `flush` (default) queued publishes are sent first if connected and
   * in-flight publishes get their acknowledgements; without it they fail at once. Subscriptions end.
   */
  async disconnect(flush = true): Promise<void> {
    clearTimeout(this.#retryTimer);
    this.#endRotation();
    const session = this.#session;
    if (flush) await this.#flushPublishes();
    const closed = new EventsError({ errorType: 'ClientClosed', message: 'the client was disconnected' });
    this.#session = undefined;
    this.#setState({ status: 'closed' });
    session?.end(closed, flush);
    for (const request of [...this.#throttleHold.clear(), ...this.#queue.takeAll()]) request.reject(closed);
    for (const op of this.#pending.clear()) if (op.kind === 'publish') op.reject(closed);
    for (const record of [...this.#subscriptions.values()]) {
      record.unsubscribing?.resolve();
      record.ready.reject(closed);
      this.#subscriptions.close(record, { status: 'closed' });
    }
  }

  /**
   * Closes the socket and keeps it closed until `connect()`: subscriptions stay (made again on connect) and publishes
   * wait in the queue. With `flush` (default) queued publishes are sent first and in-flight ones acknowledged.
   */
  async stop(flush = true): Promise<void> {
    clearTimeout(this.#retryTimer);
    this.#endRotation();
    this.#opensOnUse = false;
    if (flush) await this.#flushPublishes();
    const session = this.#session;
    this.#session = undefined;
    if (session) this.#forgetSocket();
    // Closed, also when it was waiting to reconnect; a client that never connected stays idle.
    if (this.#state.status !== 'idle' && this.#state.status !== 'closed') this.#setState({ status: 'closed' });
    session?.end(new EventsError({ errorType: 'ClientClosed', message: 'the connection was closed by stop()' }), true);
  }

  /** When connected: sends the queued publishes and waits for every publish in flight to be answered. */
  async #flushPublishes(): Promise<void> {
    const ready = this.#readySession();
    if (!ready) return;
    for (const request of this.#queue.takeAll()) this.#sendPublish(request, ready);
    await this.#sends.settled();
    await Promise.all(this.#pending.publishes().map((r) => r.promise.catch(() => {})));
  }

  #readySession(): SocketSession | undefined {
    return this.#session?.phase === 'ready' ? this.#session : undefined;
  }

  /**
   * Connected, nothing queued or throttled ahead (publishes keep their order), and this turn and the publish rate allow
   * one now.
   */
  #canSendNow(): boolean {
    return this.#session?.phase === 'ready' && this.#queue.size === 0 && !this.#throttleHold.active && !this.#waitsOneAtATime() && this.#turnBudget.take() && this.#pacer.take();
  }

  /** After throttling, a publish waits for the answer to the one in flight (throttle-hold.ts). */
  #waitsOneAtATime(): boolean {
    return this.#throttleHold.oneAtATime && this.#pending.hasPublishes();
  }

  /**
   * Whether a new publish would wait for a connection or a publish-rate slot: only those count against `queueSize`.
   * A publish that waits only for the next turn of a burst (TurnBudget) is on its way.
   */
  #waitsForConnectionOrPace(): boolean {
    return this.#session?.phase !== 'ready' || this.#pacer.enabled || this.#throttleHold.active;
  }

  /** Sends queued publishes in order, as fast as the publish rate allows and a turn's budget at a time. */
  #drain(): void {
    const session = this.#readySession();
    if (!session || this.#drainTimer || this.#throttleHold.active) return;
    const again = () => {
      this.#drainTimer = undefined;
      this.#drain();
    };
    while (this.#queue.size > 0) {
      if (this.#waitsOneAtATime()) return;
      if (!this.#turnBudget.take()) {
        this.#drainTimer = setImmediate(again);
        return;
      }
      if (!this.#pacer.take()) {
        this.#drainTimer = setTimeout(again, this.#pacer.waitMs());
        return;
      }
      const request = this.#queue.shift();
      if (request) this.#sendPublish(request, session);
    }
  }

  // --- connection lifecycle -------------------------------------------------------------------------

  #setState(state: ConnectionState): void {
    this.#state = state;
    this.#log.debug(`connection ${describeState(state)}`);
    for (const listener of this.#stateListeners) listener(state);
  }

  #ensureConnection(): void {
    if (!this.#opensOnUse) return;
    const { status } = this.#state;
    if (status === 'idle' || status === 'closed') this.#open(0);
  }

  /**
   * Asks an authorizer for one operation's headers, at once when it answers at once. `body` is built only if
   * the authorizer reads it: only IAM signs the body. Errors come back scrubbed of secrets, as a rejection.
   */
  #authorize(authorizer: Authorizer, operation: Operation, body: () => string, channel?: string): AuthorizationHeaders | Promise<AuthorizationHeaders> {
    let text: string | undefined;
    let answer: AuthorizationHeaders | Promise<AuthorizationHeaders>;
    try {
      answer = authorizer({
        operation,
        transport: 'websocket',
        httpUrl: this.endpoints.httpUrl,
        httpHost: this.endpoints.httpHost,
        get body() {
          return (text ??= body());
        },
        channel,
      });
    } catch (err) {
      return Promise.reject(this.#scrubber.error(err, 'CredentialsError'));
    }
    if (answer instanceof Promise) {
      return answer.then(
        (headers) => this.#accepted(headers),
        (err: unknown) => Promise.reject(this.#scrubber.error(err, 'CredentialsError')),
      );
    }
    return this.#accepted(answer);
  }

  #accepted(headers: AuthorizationHeaders): AuthorizationHeaders {
    this.#scrubber.addHeaders(headers);
    return headers;
  }

  #open(attempt: number): void {
    this.#setState({ status: 'connecting', attempt });
    this.#session = this.#createSession(this.#connectAttempt, attempt, (session) => this.#onReady(session));
  }

  /** A socket whose frames and end are handled by the role it has when they come: current, replacement or retiring. */
  #createSession(connectAttempt: AuthorizedAttempt, attempt: number, ready: (session: SocketSession) => void): SocketSession {
    const authorization = Promise.resolve(this.#authorize(this.#authorizers.connect, 'connect', () => CONNECT_SIGNING_BODY));
    authorization.then((headers) => (connectAttempt.authorization = headers), () => {});
    const session: SocketSession = new SocketSession(
      authorization,
      {
        realtimeUrl: this.endpoints.realtimeUrl,
        httpHost: this.endpoints.httpHost,
        connectTimeoutMs: this.#options.connectTimeoutMs,
        keepAliveTimeoutMs: this.#options.keepAliveTimeoutMs,
        webSocketOptions: this.#options.webSocketOptions,
        route: this.#route,
      },
      {
        ready: () => ready(session),
        data: (id, event) => this.#onData(session, id, event),
        message: (message) => this.#onMessage(message, session),
        ended: (reason, wasReady) => this.#onSessionEnded(session, reason, wasReady, attempt),
      },
      this.#log,
      this.#scrubber,
    );
    return session;
  }

  #onReady(session: SocketSession): void {
    if (session !== this.#session) return;
    this.#scheduleRotation(this.#connectAttempt.authorization);
    this.#connectAttempt = {};
    this.#setState({ status: 'connected' });
    for (const record of this.#subscriptions.values()) {
      if (record.state.status === 'pending' && !record.unsubscribing) this.#sendSubscribe(record, session);
    }
    this.#drain();
  }

  /** The hot path: one comparison decides, unless a connection is being replaced. */
  #onData(session: SocketSession, id: string, event: string): void {
    const { retiring, aligning } = this.#rotation;
    if (session === this.#session) {
      const moving = retiring?.moving.get(id) ?? aligning?.moves.get(id);
      if (moving === undefined) this.#subscriptions.deliver(id, event);
      else this.#fromNew(id, moving, event);
    } else if (session === retiring?.session) {
      retiring.moving.get(id)?.fromOld(event);
      this.#subscriptions.deliver(id, event);
    }
  }

  #onSessionEnded(session: SocketSession, reason: EventsError, wasReady: boolean, attempt: number): void {
    if (session === this.#session) this.#onEnded(reason, wasReady, attempt);
    else if (session === this.#rotation.candidate) {
      this.#rotation.candidate = undefined;
      this.#log.info(`the replacement connection failed (${reason.message}); the current one stays until it closes`);
    } else if (session === this.#rotation.retiring?.session) this.#onRetired();
  }

  #onEnded(reason: EventsError, wasReady: boolean, attempt: number): void {
    this.#session = undefined;
    this.#endRotation();
    this.#log.info(`connection ended: ${reason.message}`);
    this.#forgetSocket();
    if (this.#state.status === 'closed') return;
    if (!wasReady && this.#renewConnect(reason, attempt)) return;
    this.#connectAttempt = {};
    this.#afterFailure(reason, wasReady ? 0 : attempt);
  }

  /** A refused connect credential is renewed once and the connect tried again at once (credential-renewal.ts). */
  #renewConnect(reason: EventsError, attempt: number): boolean {
    const renewal = renewalFor(this.#connectAttempt, this.#authorizers.connect, reason);
    if (!renewal) return false;
    this.#log.debug(`connect refused (${reason.message}): renewing the credentials and trying once more`);
    this.#setState({ status: 'reconnecting', attempt, delayMs: 0, error: reason });
    renewal.then(
      (renewed) => {
        if (this.#state.status !== 'reconnecting' || this.#session) return;
        if (renewed) this.#open(attempt);
        else this.#afterFailure(reason, attempt);
      },
      (err: unknown) => {
        if (this.#state.status === 'reconnecting' && !this.#session) this.#afterFailure(this.#scrubber.error(err, 'CredentialsError'), attempt);
      },
    );
    return true;
  }

  /** What the socket held, once it is gone: publishes in flight go back to the queue, subscriptions wait for the next one. */
  #forgetSocket(): void {
    // At-least-once: a publish in flight may have reached the service; it is sent again, in order, on the next socket.
    const inFlight = this.#pending.clear().filter((op) => op.kind === 'publish');
    this.#queue.requeue(inFlight);
    this.#throttleHold.answered();
    for (const record of [...this.#subscriptions.values()]) {
      if (record.unsubscribing) {
        // The server forgets a closed connection's subscriptions: nothing is left to unsubscribe.
        this.#subscriptions.close(record, { status: 'closed' });
        record.unsubscribing.resolve();
      } else if (record.state.status === 'subscribed') {
        this.#subscriptions.setState(record, { status: 'pending' });
      }
    }
  }

  #afterFailure(error: EventsError, attempt: number): void {
    clearTimeout(this.#retryTimer);
    const next = stateAfterFailure(error, attempt, this.#options);
    if (next.status === 'failed') {
      // A refused key or an unknown endpoint will not fix itself: fail what waits on it, and retry slowly.
      for (const request of [...this.#throttleHold.clear(), ...this.#queue.takeAll()]) request.reject(error);
      for (const record of this.#subscriptions.values()) if (record.state.status === 'pending') record.ready.reject(error);
    }
    this.#setState(next);
    const delay = next.status === 'failed' ? next.retryInMs : next.delayMs;
    this.#retryTimer = setTimeout(() => this.#open(next.status === 'failed' ? 0 : next.attempt), delay);
  }

  #onMessage(message: ServerMessage | InvalidFrame, session: SocketSession): void {
    if (session !== this.#session) {
      if (session === this.#rotation.retiring?.session) this.#onRetiringMessage(message);
      return;
    }
    switch (message.type) {
      case 'subscribe_success':
        this.#onSubscribeSuccess(message.id);
        return;
      case 'subscribe_error':
        this.#onSubscribeError(message.id, this.#serviceError(message.errors, 'the subscription was refused'));
        return;
      case 'unsubscribe_success':
      case 'unsubscribe_error':
        this.#onUnsubscribed(message.id, message.type === 'unsubscribe_error' ? this.#serviceError(message.errors, 'the unsubscribe was refused') : undefined);
        return;
      case 'broadcast_error': {
        const record = this.#subscriptions.get(message.id);
        if (record) this.#subscriptions.reportError(record, this.#serviceError(message.errors, 'an event could not be delivered'));
        return;
      }
      case 'publish_success':
      case 'publish_error':
        this.#onPublishAnswer(message);
        return;
      case 'error':
        this.#onOperationError(message.id, this.#serviceError(message.errors, 'the service reported an error'));
        return;
      case 'invalid':
        this.#onOperationError(message.id, new EventsError({ errorType: 'ProtocolError', message: `the service sent an invalid answer: ${message.reason}`, retryable: true }));
        return;
    }
  }

  #serviceError(errors: readonly ServiceErrorEntry[], fallback: string): EventsError {
    return this.#scrubber.error(fromServiceErrors(errors, fallback));
  }

  // --- replacing the connection before the service closes it (connection-rotation.ts) ---------------

  #scheduleRotation(authorization: AuthorizationHeaders | undefined): void {
    clearTimeout(this.#rotation.timer);
    const now = Date.now();
    const expiresAt = authorization ? this.#authorizers.connect.expiresAt?.(authorization) : undefined;
    const at = rotationTime(now, expiresAt, this.#options.maxConnectionDurationMs);
    this.#rotation.timer = setTimeout(() => this.#rotate(), timerDelay(at - now));
  }

  #rotate(): void {
    if (this.#state.status !== 'connected' || this.#rotation.candidate || this.#rotation.retiring) return;
    const attempt: AuthorizedAttempt = {};
    this.#rotation.candidate = this.#createSession(attempt, 0, (candidate) => this.#onReplacementReady(candidate, attempt.authorization));
  }

  /**
   * Make before break: the replacement becomes the connection (new publishes go there) and every subscription is
   * made on it; the old connection keeps delivering each subscription's events until the new one acknowledges it,
   * then is unsubscribed, and closes once its publishes are answered.
   */
  #onReplacementReady(candidate: SocketSession, authorization: AuthorizationHeaders | undefined): void {
    const old = this.#session;
    if (candidate !== this.#rotation.candidate) return;
    this.#rotation.candidate = undefined;
    if (!old || this.#state.status !== 'connected') return candidate.end(new EventsError({ errorType: 'ClientClosed', message: 'no longer needed' }), true);
    this.#session = candidate;
    // A move of the last replacement still comparing would compare the wrong stream now.
    clearTimeout(this.#rotation.aligning?.timer);
    this.#rotation.aligning = undefined;
    const retiring: RetiringSession = {
      session: old,
      moving: new Map(),
      publishIds: this.#pending.publishes().map((r) => r.id),
      timer: setTimeout(() => this.#retire(), this.#moveLimitMs()),
    };
    this.#rotation.retiring = retiring;
    for (const record of this.#subscriptions.values()) {
      if (record.state.status === 'subscribed' && !this.#pending.has(record.id)) {
        retiring.moving.set(record.id, new MovingSubscription());
        this.#sendSubscribe(record, candidate);
      } else if (this.#pending.take(record.id, 'subscribe')) this.#sendSubscribe(record, candidate);
    }
    this.#scheduleRotation(authorization);
    this.#log.info('replaced the connection before the service closes it; subscriptions are moving to the new one');
    this.#maybeRetire();
  }

  /** The new connection acknowledged subscription `id`: the old one is unsubscribed, and says its last word. */
  #moved(retiring: RetiringSession, id: string): void {
    if (!retiring.session.send({ type: 'unsubscribe', id })) this.#settleMove(id);
  }

  #fromNew(id: string, moving: MovingSubscription, event: string): void {
    const verdict = moving.fromNew(event);
    if (verdict === 'deliver') this.#subscriptions.deliver(id, event);
    else if (verdict === 'full') this.#settleMove(id);
    if (moving.done) this.#rotation.aligning?.moves.delete(id);
  }

  /**
   * The old connection said its last word for subscription `id`: the events the new one held are delivered, less
   * the repeats, and the move goes on while the new one still owes repeats (moving-subscription.ts).
   */
  #settleMove(id: string): void {
    const retiring = this.#rotation.retiring;
    const moving = retiring?.moving.get(id);
    if (!retiring || !moving) return;
    retiring.moving.delete(id);
    for (const event of moving.settle()) this.#subscriptions.deliver(id, event);
    if (!moving.done) this.#aligning().moves.set(id, moving);
    this.#maybeRetire();
  }

  /**
   * The moves still comparing the new stream with what the old one delivered. A repeat comes about when the old
   * side's did, so after the request timeout whatever the new connection sends is new.
   */
  #aligning(): Aligning {
    // Its timer is cleared wherever it is replaced (the next replacement, #endRotation).
    this.#rotation.aligning ??= {
      moves: new Map(),
      timer: setTimeout(() => (this.#rotation.aligning = undefined), this.#moveLimitMs()),
    };
    return this.#rotation.aligning;
  }

  /**
   * How long a replacement may take to move the subscriptions and retire the old connection: the request timeout, or
   * the default's when requests have none (an old connection is never kept for good).
   */
  #moveLimitMs(): number {
    return isLimit(this.#options.requestTimeoutMs) ? this.#options.requestTimeoutMs : DEFAULTS.requestTimeoutMs;
  }

  #onRetiringMessage(message: ServerMessage | InvalidFrame): void {
    const retiring = this.#rotation.retiring;
    if (!retiring) return;
    switch (message.type) {
      case 'publish_success':
      case 'publish_error':
        this.#onPublishAnswer(message);
        break;
      case 'error':
        if (message.id !== undefined && this.#pending.kindOf(message.id) === 'publish') this.#onOperationError(message.id, this.#serviceError(message.errors, 'the service reported an error'));
        break;
      case 'unsubscribe_success':
      case 'unsubscribe_error':
        // A subscription whose new subscribe is still unanswered keeps waiting for that answer.
        if (this.#pending.kindOf(message.id) !== 'subscribe') this.#settleMove(message.id);
        break;
    }
    this.#maybeRetire();
  }

  /** Closes the old connection once every subscription moved and its publishes were answered. */
  #maybeRetire(): void {
    const retiring = this.#rotation.retiring;
    if (!retiring || retiring.moving.size > 0) return;
    if (retiring.publishIds.some((id) => this.#pending.kindOf(id) === 'publish')) return;
    this.#retire();
  }

  #retire(): void {
    this.#rotation.retiring?.session.end(new EventsError({ errorType: 'ClientClosed', message: 'replaced by a new connection' }), true);
  }

  /** The old connection is gone: publishes it had not answered are sent again on the new one (at-least-once). */
  #onRetired(): void {
    const retiring = this.#rotation.retiring;
    if (!retiring) return;
    // Whatever the old connection delivered is all it will: the moves settle on what the new one holds.
    for (const id of [...retiring.moving.keys()]) this.#settleMove(id);
    this.#rotation.retiring = undefined;
    clearTimeout(retiring.timer);
    const session = this.#readySession();
    for (const id of retiring.publishIds) {
      const request = this.#pending.take(id, 'publish');
      if (!request) continue;
      if (session) this.#sendPublish(request, session);
      else this.#queue.requeue([request]);
    }
  }

  /** Abandons a replacement in progress: the connection it was replacing ended, or the client stops. */
  #endRotation(): void {
    for (const id of [...(this.#rotation.retiring?.moving.keys() ?? [])]) this.#settleMove(id);
    const { timer, candidate, retiring, aligning } = this.#rotation;
    this.#rotation = {};
    clearTimeout(timer);
    clearTimeout(retiring?.timer);
    clearTimeout(aligning?.timer);
    const reason = new EventsError({ errorType: 'ClientClosed', message: 'the connection it was replacing ended' });
    candidate?.end(reason, true);
    retiring?.session.end(reason, true);
  }

  // --- subscriptions ------------------------------------------------------------------------------

  #sendSubscribe(record: SubscriptionRecord, session: SocketSession): void {
    this.#pending.add(record.id, 'subscribe');
    this.#sends.enqueue(
      this.#authorize(record.authorizer, 'subscribe', () => subscribeSigningBody(record.channel), record.channel),
      (authorization) => {
        record.authorization = authorization;
        if (session === this.#session && this.#pending.kindOf(record.id) === 'subscribe') session.send({ type: 'subscribe', id: record.id, channel: record.channel, authorization });
      },
      (err) => {
        if (this.#pending.take(record.id, 'subscribe')) this.#failSubscription(record, err);
      },
    );
  }

  /** An operation got no answer within the request timeout. */
  #onTimeout(id: string, operation: PendingOperation): void {
    const waited = `within ${this.#options.requestTimeoutMs} ms`;
    if (operation.kind === 'publish') {
      operation.reject(new EventsError({ errorType: 'Timeout', message: `no answer to publish on ${operation.channel} ${waited}` }));
      return;
    }
    const record = this.#subscriptions.get(id);
    if (!record) return;
    if (operation.kind === 'unsubscribe') {
      this.#finishUnsubscribe(record, new EventsError({ errorType: 'Timeout', message: `no answer to unsubscribe ${waited}` }));
      return;
    }
    if (this.#abandoned.size >= 1_000) this.#abandoned.clear();
    this.#abandoned.add(id);
    this.#failSubscription(record, new EventsError({ errorType: 'Timeout', message: `no answer to subscribe ${record.channel} ${waited}` }));
  }

  #failSubscription(record: SubscriptionRecord, error: EventsError): void {
    if (!this.#subscriptions.holds(record)) return;
    this.#log.warn(`subscription to ${record.channel} failed: ${error.message}`);
    this.#subscriptions.close(record, { status: 'failed', error });
    record.ready.reject(error);
    if (record.unsubscribing) record.unsubscribing.resolve();
    else this.#subscriptions.reportError(record, error);
  }

  #onSubscribeSuccess(id: string): void {
    const session = this.#readySession();
    if (!this.#pending.take(id, 'subscribe')) {
      if (this.#abandoned.delete(id)) session?.send({ type: 'unsubscribe', id });
      return;
    }
    const record = this.#subscriptions.get(id);
    if (!record || !session) return;
    record.renewed = false;
    if (this.#rotation.retiring?.moving.has(id)) this.#moved(this.#rotation.retiring, id);
    else {
      this.#subscriptions.setState(record, { status: 'subscribed' });
      record.ready.resolve();
    }
    if (record.unsubscribing) this.#sendUnsubscribe(record, session);
  }

  #onSubscribeError(id: string, error: EventsError): void {
    if (!this.#pending.take(id, 'subscribe')) return;
    this.#settleMove(id);
    const record = this.#subscriptions.get(id);
    if (!record) return;
    const renewal = renewalFor(record, record.authorizer, error);
    if (!renewal) return this.#failSubscription(record, error);
    this.#log.debug(`subscribe ${record.channel} refused (${error.message}): renewing the credentials and trying once more`);
    renewal.then(
      (renewed) => {
        if (!renewed) return this.#failSubscription(record, error);
        // Not connected now: the subscription is pending and is made when the connection is ready.
        const session = this.#readySession();
        if (session && this.#subscriptions.holds(record) && !record.unsubscribing && !this.#pending.has(record.id)) this.#sendSubscribe(record, session);
      },
      (err: unknown) => this.#failSubscription(record, this.#scrubber.error(err, 'CredentialsError')),
    );
  }

  #unsubscribe(record: SubscriptionRecord): Promise<void> {
    if (!this.#subscriptions.holds(record)) return Promise.resolve();
    if (record.unsubscribing) return record.unsubscribing.promise;
    record.unsubscribing = deferred<void>();
    const session = this.#readySession();
    // A subscription being made again on a replacement connection is unsubscribed there after its ack.
    if (record.state.status === 'subscribed' && session && !this.#pending.has(record.id)) this.#sendUnsubscribe(record, session);
    else if (!this.#pending.has(record.id)) {
      // Not on the server (not connected yet, or between connections): forget it now.
      this.#subscriptions.close(record, { status: 'closed' });
      record.unsubscribing.resolve();
    }
    // Otherwise the subscribe is in flight: #onSubscribeSuccess sends the unsubscribe after the ack.
    return record.unsubscribing.promise;
  }

  #sendUnsubscribe(record: SubscriptionRecord, session: SocketSession): void {
    this.#pending.add(record.id, 'unsubscribe');
    session.send({ type: 'unsubscribe', id: record.id });
  }

  #onUnsubscribed(id: string, error: EventsError | undefined): void {
    if (!this.#pending.take(id, 'unsubscribe')) return;
    const record = this.#subscriptions.get(id);
    if (record) this.#finishUnsubscribe(record, error);
  }

  #finishUnsubscribe(record: SubscriptionRecord, error: EventsError | undefined): void {
    if (!record.unsubscribing) return;
    if (error) this.#log.warn(`unsubscribe ${record.channel}: ${error.message}`);
    this.#subscriptions.close(record, { status: 'closed' });
    record.unsubscribing.resolve();
  }

  // --- publishing -----------------------------------------------------------------------------------

  #sendPublish(request: PublishRequest, session: SocketSession): void {
    this.#pending.addPublish(request);
    // Only an IAM authorizer reads the body; then, and only then, the events are escaped so that the service's
    // re-serialised body matches the signed one (escapeForSigning).
    let events = request.events;
    this.#sends.enqueue(
      this.#authorize(
        request.authorizer,
        'publish',
        () => {
          events = escapeForSigning(request.events);
          return publishSigningBody(request.channel, events);
        },
        request.channel,
      ),
      (authorization) => {
        request.authorization = authorization;
        if (session === this.#session && this.#pending.kindOf(request.id) === 'publish') session.send({ type: 'publish', id: request.id, channel: request.channel, events, authorization });
      },
      (err) => {
        if (this.#pending.take(request.id, 'publish')) request.reject(err);
      },
    );
  }

  /** A publish's answer, from whichever connection it was sent on (publish ids are unique across connections). */
  #onPublishAnswer(message: Extract<ServerMessage, { type: 'publish_success' | 'publish_error' }>): void {
    if (message.type === 'publish_success') this.#settlePublish(message.id, { successful: message.successful, failed: message.failed });
    else this.#settlePublish(message.id, this.#serviceError(message.errors, 'the publish was refused'));
  }

  #settlePublish(id: string, outcome: PublishResult | EventsError): void {
    const request = this.#pending.take(id, 'publish');
    if (!request) return;
    if (outcome instanceof EventsError) this.#publishRefused(request, outcome);
    else if (!accountsForEvery(outcome, request.events.length)) {
      request.reject(new EventsError({ errorType: 'ProtocolError', message: `publish_success does not account for each of the ${request.events.length} events exactly once`, retryable: true }));
    } else {
      this.#throttleHold.accepted();
      request.resolve(outcome);
    }
    this.#throttleHold.answered();
    if (this.#throttleHold.oneAtATime) this.#nextOneAtATime();
  }

  /** One publish answered after throttling: the next one goes, or pipelining resumes when none waits. */
  #nextOneAtATime(): void {
    if (this.#queue.size > 0) this.#drain();
    else if (!this.#throttleHold.active && !this.#pending.hasPublishes()) this.#throttleHold.drained();
  }

  /** A publish refused for its credential is renewed and sent once more (credential-renewal.ts); else it fails. */
  #publishRefused(request: PublishRequest, error: EventsError): void {
    if (isThrottled(error)) return this.#throttleHold.hold(request);
    const renewal = renewalFor(request, request.authorizer, error);
    if (!renewal) return request.reject(error);
    this.#log.debug(`publish on ${request.channel} refused (${error.message}): renewing the credentials and trying once more`);
    renewal.then(
      (renewed) => {
        if (!renewed) return request.reject(error);
        const session = this.#canSendNow() ? this.#readySession() : undefined;
        if (session) return this.#sendPublish(request, session);
        // disconnect() failed everything that waited; a publish renewed after it fails the same way.
        if (this.#state.status === 'closed' && this.#opensOnUse) return request.reject(new EventsError({ errorType: 'ClientClosed', message: 'the client was disconnected' }));
        this.#queue.requeue([request]);
        this.#ensureConnection();
      },
      (err: unknown) => request.reject(this.#scrubber.error(err, 'CredentialsError')),
    );
  }

  /** An `error` frame, or an invalid answer, fails only the operation whose id it carries (never another's: AMP-JS quirk). */
  #onOperationError(id: string | undefined, error: EventsError): void {
    const kind = id === undefined ? undefined : this.#pending.kindOf(id);
    if (id === undefined || kind === undefined) {
      this.#log.warn(`the service reported an error: ${error.message}`);
      return;
    }
    if (kind === 'publish') this.#settlePublish(id, error);
    else if (kind === 'subscribe') this.#onSubscribeError(id, error);
    else this.#onUnsubscribed(id, error);
  }
}

/** The connection being replaced, until every subscription has moved and its publishes are answered. */
interface RetiringSession {
  session: SocketSession;
  /** Subscriptions moving to the new connection, until the old one has delivered its last event for them. */
  moving: Map<string, MovingSubscription>;
  /** Publishes in flight on the old connection when it was replaced. */
  publishIds: string[];
  /** Closes it anyway after the request timeout. */
  timer: NodeJS.Timeout;
}

/** Moved subscriptions whose new stream may still repeat what the old one delivered, until the timer ends the wait. */
interface Aligning {
  moves: Map<string, MovingSubscription>;
  timer: NodeJS.Timeout;
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

/**
 * The options that are set, with every delay brought into the range Node's timers accept. A request timeout of 0 is
 * none; a connect timeout of 0 is the default (a handshake that never ends would leave the endpoint silent for good).
 */
function definedTimers(options: WebSocketClientOptions): Partial<WebSocketClientOptions> {
  const out: Partial<WebSocketClientOptions> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (key === 'connectTimeoutMs' && value === 0) continue;
    const floor = key === 'requestTimeoutMs' ? 0 : 1;
    Object.assign(out, { [key]: key.endsWith('Ms') && typeof value === 'number' ? timerDelay(Math.max(floor, value)) : value });
  }
  return out;
}
