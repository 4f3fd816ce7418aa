import { EventsError } from '../protocol/errors';
import type { InvalidFrame, ServerMessage } from '../protocol/messages';
import { CONNECT_SIGNING_BODY } from '../protocol/signing-body';
import type { ConnectionState } from './connection-state';
import { renewalFor, type AuthorizedAttempt } from './refusal-renewal';
import type { Route } from './network';
import { stateAfterFailure } from './reconnect-policy';
import { SocketSession } from './socket-session';
import type { WebSocketParts } from './websocket-parts';

/**
 * The lifecycle of the client's connection, one explicit state machine (connection-state.ts): idle → connecting →
 * connected, reconnecting with backoff after a drop, failed (retried slowly) when the user must act, closed by
 * `disconnect()` (the next operation opens it again), stopped by `stop()` (only `connect()` opens it again). It owns the
 * current socket and routes each frame to the path it belongs to.
 */
export class ConnectionLifecycle {
  #state: ConnectionState = { status: 'idle' };
  readonly #listeners = new Set<(state: ConnectionState) => void>();
  /** The current socket; the connection replacement swaps it. */
  session: SocketSession | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  /** The connect authorization of the current attempt, and whether its refusal already renewed it. */
  #connectAttempt: AuthorizedAttempt = {};

  constructor(
    private readonly parts: WebSocketParts,
    private readonly route: Route,
    /** Whether an idle client opens on first use (`autoConnect`). */
    private readonly autoConnect: boolean,
  ) {}

  get state(): ConnectionState {
    return this.#state;
  }

  /** Listens to connection state changes; returns the function that stops listening. */
  onStateChange(listener: (state: ConnectionState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  readySession(): SocketSession | undefined {
    return this.session?.phase === 'ready' ? this.session : undefined;
  }

  /** A subscribe or publish opens the socket when idle with `autoConnect`, or after `disconnect()`; never when stopped. */
  ensureConnection(): void {
    const { status } = this.#state;
    if (status === 'closed' || (status === 'idle' && this.autoConnect)) this.#open(0);
  }

  /** Opens the connection now (also when idle without `autoConnect`, or stopped); resolves when connected. */
  connect(): Promise<void> {
    const { status } = this.#state;
    if (status === 'connected') return Promise.resolve();
    const connected = new Promise<void>((resolve, reject) => {
      const stop = this.onStateChange((s) => {
        if (s.status === 'connected') {
          stop();
          resolve();
        } else if (s.status === 'failed' || s.status === 'closed' || s.status === 'stopped') {
          stop();
          reject(s.status === 'failed' ? s.error : new EventsError({ errorType: 'ClientClosed', message: 'the client was closed' }));
        }
      });
    });
    if (status === 'idle' || status === 'closed' || status === 'stopped') this.#open(0);
    return connected;
  }

  /**
   * Closes the connection. With `flush` queued publishes are sent first if connected and in-flight publishes get
   * their acknowledgements; without it they fail at once. Subscriptions end.
   */
  async disconnect(flush: boolean): Promise<void> {
    const { publishes, replacement, shared, subscriptions } = this.parts;
    clearTimeout(this.#retryTimer);
    replacement.end();
    const session = this.session;
    if (flush) await publishes.flush();
    const closed = new EventsError({ errorType: 'ClientClosed', message: 'the client was disconnected' });
    this.session = undefined;
    this.#setState({ status: 'closed' });
    session?.end(closed, flush);
    publishes.failWaiting(closed);
    for (const op of shared.pending.clear()) if (op.kind === 'publish') op.reject(closed);
    subscriptions.closeAll(closed);
  }

  /**
   * Closes the socket and keeps it closed until `connect()`: subscriptions stay (made again on connect) and publishes
   * wait in the queue. With `flush` queued publishes are sent first and in-flight ones acknowledged.
   */
  async stop(flush: boolean): Promise<void> {
    clearTimeout(this.#retryTimer);
    this.parts.replacement.end();
    if (flush) await this.parts.publishes.flush();
    const session = this.session;
    this.session = undefined;
    if (session) this.#forgetSocket();
    if (this.#state.status !== 'stopped') this.#setState({ status: 'stopped' });
    session?.end(new EventsError({ errorType: 'ClientClosed', message: 'the connection was closed by stop()' }), true);
  }

  /** A socket whose frames and end are handled by the role it has when they come: current, replacement or retiring. */
  createSession(connectAttempt: AuthorizedAttempt, attempt: number, ready: (session: SocketSession) => void): SocketSession {
    const { shared, replacement } = this.parts;
    const authorization = Promise.resolve(shared.authorize(shared.authorizers.connect, 'connect', () => CONNECT_SIGNING_BODY));
    authorization.then((headers) => (connectAttempt.authorization = headers), () => {});
    const { options, endpoints } = shared;
    const session: SocketSession = new SocketSession(
      authorization,
      {
        realtimeUrl: endpoints.realtimeUrl,
        httpHost: endpoints.httpHost,
        connectTimeoutMs: options.connectTimeoutMs,
        keepAliveTimeoutMs: options.keepAliveTimeoutMs,
        webSocketOptions: options.webSocketOptions,
        route: this.route,
      },
      {
        ready: () => ready(session),
        data: (id, event) => replacement.deliver(session, id, event),
        message: (message) => this.#onMessage(message, session),
        ended: (reason, wasReady) => {
          if (session === this.session) this.#onEnded(reason, wasReady, attempt);
          else replacement.onSessionEnded(session, reason);
        },
      },
      shared.log,
      shared.scrubber,
    );
    return session;
  }

  #setState(state: ConnectionState): void {
    this.#state = state;
    this.parts.shared.log.debug(`connection ${describeState(state)}`);
    for (const listener of this.#listeners) listener(state);
  }

  #open(attempt: number): void {
    this.#setState({ status: 'connecting', attempt });
    this.session = this.createSession(this.#connectAttempt, attempt, (session) => this.#onReady(session));
  }

  #onReady(session: SocketSession): void {
    if (session !== this.session) return;
    this.parts.replacement.schedule(this.#connectAttempt.authorization);
    this.#connectAttempt = {};
    this.#setState({ status: 'connected' });
    this.parts.subscriptions.resubscribe(session);
    this.parts.publishes.drain();
  }

  #onEnded(reason: EventsError, wasReady: boolean, attempt: number): void {
    this.session = undefined;
    this.parts.replacement.end();
    this.parts.shared.log.info(`connection ended: ${reason.message}`);
    this.#forgetSocket();
    if (this.#state.status === 'closed' || this.#state.status === 'stopped') return;
    if (!wasReady && this.#renewConnect(reason, attempt)) return;
    this.#connectAttempt = {};
    this.#afterFailure(reason, wasReady ? 0 : attempt);
  }

  /** A refused connect credential is renewed once and the connect tried again at once (refusal-renewal.ts). */
  #renewConnect(reason: EventsError, attempt: number): boolean {
    const { shared } = this.parts;
    const renewal = renewalFor(this.#connectAttempt, shared.authorizers.connect, reason);
    if (!renewal) return false;
    shared.log.debug(`connect refused (${reason.message}): renewing the credentials and trying once more`);
    this.#setState({ status: 'reconnecting', attempt, delayMs: 0, error: reason });
    renewal.then(
      (renewed) => {
        if (this.#state.status !== 'reconnecting' || this.session) return;
        if (renewed) this.#open(attempt);
        else this.#afterFailure(reason, attempt);
      },
      (err: unknown) => {
        if (this.#state.status === 'reconnecting' && !this.session) this.#afterFailure(shared.scrubber.error(err, 'CredentialsError'), attempt);
      },
    );
    return true;
  }

  /** What the socket held, once it is gone: publishes in flight go back to the queue, subscriptions wait for the next one. */
  #forgetSocket(): void {
    // At-least-once: a publish in flight may have reached the service; it is sent again, in order, on the next socket.
    const inFlight = this.parts.shared.pending.clear().filter((op) => op.kind === 'publish');
    this.parts.publishes.requeue(inFlight);
    this.parts.subscriptions.onSocketGone();
  }

  #afterFailure(error: EventsError, attempt: number): void {
    clearTimeout(this.#retryTimer);
    const next = stateAfterFailure(error, attempt, this.parts.shared.options);
    if (next.status === 'failed') {
      // A refused key or an unknown endpoint will not fix itself: fail what waits on it, and retry slowly.
      this.parts.publishes.failWaiting(error);
      this.parts.subscriptions.failPending(error);
    }
    this.#setState(next);
    const delay = next.status === 'failed' ? next.retryInMs : next.delayMs;
    this.#retryTimer = setTimeout(() => this.#open(next.status === 'failed' ? 0 : next.attempt), delay);
  }

  #onMessage(message: ServerMessage | InvalidFrame, session: SocketSession): void {
    const { shared, subscriptions, publishes } = this.parts;
    if (session !== this.session) return this.parts.replacement.onMessage(session, message);
    switch (message.type) {
      case 'subscribe_success':
        return subscriptions.onSubscribed(message.id);
      case 'subscribe_error':
        return subscriptions.onRefused(message.id, shared.serviceError(message.errors, 'the subscription was refused'));
      case 'unsubscribe_success':
      case 'unsubscribe_error':
        return subscriptions.onUnsubscribed(message.id, message.type === 'unsubscribe_error' ? shared.serviceError(message.errors, 'the unsubscribe was refused') : undefined);
      case 'broadcast_error':
        return subscriptions.onBroadcastError(message.id, shared.serviceError(message.errors, 'an event could not be delivered'));
      case 'publish_success':
      case 'publish_error':
        return publishes.onAnswer(message);
      case 'error':
        return this.#onOperationError(message.id, shared.serviceError(message.errors, 'the service reported an error'));
      case 'invalid':
        return this.#onOperationError(message.id, new EventsError({ errorType: 'ProtocolError', message: `the service sent an invalid answer: ${message.reason}`, retryable: true }));
    }
  }

  /** An `error` frame, or an invalid answer, fails only the operation whose id it carries (never another's: AMP-JS quirk). */
  #onOperationError(id: string | undefined, error: EventsError): void {
    const kind = id === undefined ? undefined : this.parts.shared.pending.kindOf(id);
    if (id === undefined || kind === undefined) {
      this.parts.shared.log.warn(`the service reported an error: ${error.message}`);
      return;
    }
    if (kind === 'publish') this.parts.publishes.settle(id, error);
    else if (kind === 'subscribe') this.parts.subscriptions.onRefused(id, error);
    else this.parts.subscriptions.onUnsubscribed(id, error);
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
