import { EventsError } from '../protocol/errors';
import type { InvalidFrame, ServerMessage } from '../protocol/messages';
import type { AuthorizationHeaders } from './authorizer';
import { rotationTime } from './connection-rotation';
import type { AuthorizedAttempt } from './refusal-renewal';
import { MovingSubscription } from './moving-subscription';
import type { SocketSession } from './socket-session';
import { isLimit, timerDelay } from './time-limit';
import { DEFAULTS } from './websocket-options';
import type { WebSocketParts } from './websocket-parts';

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

/**
 * Replacing the connection before the service closes it (its 24 h limit, or the connect credential's expiry:
 * connection-rotation.ts), make before break, with no gap and no repeat in any subscription. Also the hot path of a
 * received event: one comparison decides, unless a replacement is under way.
 */
export class ConnectionReplacement {
  /** When it is made, while it opens, the old one it retires, and the moves still comparing streams. */
  #rotation: { timer?: NodeJS.Timeout; candidate?: SocketSession; retiring?: RetiringSession; aligning?: Aligning } = {};

  constructor(private readonly parts: WebSocketParts) {}

  /** An event from `session`: delivered, or compared with what the other connection delivered while one moves. */
  deliver(session: SocketSession, id: string, event: string): void {
    const { retiring, aligning } = this.#rotation;
    const { subscriptions } = this.parts.shared;
    if (session === this.parts.lifecycle.session) {
      const moving = retiring?.moving.get(id) ?? aligning?.moves.get(id);
      if (moving === undefined) subscriptions.deliver(id, event);
      else this.#fromNew(id, moving, event);
    } else if (session === retiring?.session) {
      retiring.moving.get(id)?.fromOld(event);
      subscriptions.deliver(id, event);
    }
  }

  /** Sets when the current connection is replaced, from the credential it was opened with. */
  schedule(authorization: AuthorizationHeaders | undefined): void {
    clearTimeout(this.#rotation.timer);
    const now = Date.now();
    const expiresAt = authorization ? this.#expiresAt(authorization) : undefined;
    const at = rotationTime(now, expiresAt, this.parts.shared.options.maxConnectionDurationMs);
    this.#rotation.timer = setTimeout(() => this.#rotate(), timerDelay(at - now));
  }

  /** When the connection's credential stops being accepted, if its authorizer knows; one that throws does not know. */
  #expiresAt(authorization: AuthorizationHeaders): number | undefined {
    try {
      return this.parts.shared.authorizers.connect.expiresAt?.(authorization);
    } catch {
      return undefined;
    }
  }

  /** A socket that is not the current one ended: the replacement that failed to open, or the retired one. */
  onSessionEnded(session: SocketSession, reason: EventsError): void {
    if (session === this.#rotation.candidate) {
      this.#rotation.candidate = undefined;
      this.parts.shared.log.info(`the replacement connection failed (${reason.message}); the current one stays until it closes`);
    } else if (session === this.#rotation.retiring?.session) this.#onRetired();
  }

  /** A message on a socket that is not the current one: only the retiring connection's are read. */
  onMessage(session: SocketSession, message: ServerMessage | InvalidFrame): void {
    const retiring = this.#rotation.retiring;
    if (session !== retiring?.session) return;
    const { publishes, shared } = this.parts;
    switch (message.type) {
      case 'publish_success':
      case 'publish_error':
        publishes.onAnswer(message);
        break;
      case 'error':
        if (message.id !== undefined && shared.pending.kindOf(message.id) === 'publish') publishes.settle(message.id, shared.serviceError(message.errors, 'the service reported an error'));
        break;
      case 'unsubscribe_success':
      case 'unsubscribe_error':
        // A subscription whose new subscribe is still unanswered keeps waiting for that answer.
        if (shared.pending.kindOf(message.id) !== 'subscribe') this.settleMove(message.id);
        break;
    }
    this.#maybeRetire();
  }

  /**
   * The new connection acknowledged subscription `id`: if it is moving, the old one is unsubscribed and says its last
   * word (true); false for a subscription that is not moving.
   */
  movedToNew(id: string): boolean {
    const retiring = this.#rotation.retiring;
    if (!retiring?.moving.has(id)) return false;
    if (!retiring.session.send({ type: 'unsubscribe', id })) this.settleMove(id);
    return true;
  }

  /**
   * The old connection said its last word for subscription `id`: the events the new one held are delivered, less
   * the repeats, and the move goes on while the new one still owes repeats (moving-subscription.ts).
   */
  settleMove(id: string): void {
    const retiring = this.#rotation.retiring;
    const moving = retiring?.moving.get(id);
    if (!retiring || !moving) return;
    retiring.moving.delete(id);
    for (const event of moving.settle()) this.parts.shared.subscriptions.deliver(id, event);
    if (!moving.done) this.#aligning().moves.set(id, moving);
    this.#maybeRetire();
  }

  /** Abandons a replacement in progress: the connection it was replacing ended, or the client stops. */
  end(): void {
    for (const id of [...(this.#rotation.retiring?.moving.keys() ?? [])]) this.settleMove(id);
    const { timer, candidate, retiring, aligning } = this.#rotation;
    this.#rotation = {};
    clearTimeout(timer);
    clearTimeout(retiring?.timer);
    clearTimeout(aligning?.timer);
    const reason = new EventsError({ errorType: 'ClientClosed', message: 'the connection it was replacing ended' });
    candidate?.end(reason, true);
    retiring?.session.end(reason, true);
  }

  #rotate(): void {
    if (this.parts.lifecycle.state.status !== 'connected' || this.#rotation.candidate || this.#rotation.retiring) return;
    const attempt: AuthorizedAttempt = {};
    this.#rotation.candidate = this.parts.lifecycle.createSession(attempt, 0, (candidate) => this.#onReplacementReady(candidate, attempt.authorization));
  }

  /**
   * Make before break: the replacement becomes the connection (new publishes go there) and every subscription is
   * made on it; the old connection keeps delivering each subscription's events until the new one acknowledges it,
   * then is unsubscribed, and closes once its publishes are answered.
   */
  #onReplacementReady(candidate: SocketSession, authorization: AuthorizationHeaders | undefined): void {
    const { lifecycle, shared, subscriptions } = this.parts;
    const old = lifecycle.session;
    if (candidate !== this.#rotation.candidate) return;
    this.#rotation.candidate = undefined;
    if (!old || lifecycle.state.status !== 'connected') return candidate.end(new EventsError({ errorType: 'ClientClosed', message: 'no longer needed' }), true);
    lifecycle.session = candidate;
    // A move of the last replacement still comparing would compare the wrong stream now.
    clearTimeout(this.#rotation.aligning?.timer);
    this.#rotation.aligning = undefined;
    const retiring: RetiringSession = {
      session: old,
      moving: new Map(),
      publishIds: shared.pending.publishes().map((r) => r.id),
      timer: setTimeout(() => this.#retire(), this.#moveLimitMs()),
    };
    this.#rotation.retiring = retiring;
    for (const record of shared.subscriptions.values()) {
      if (record.state.status === 'subscribed' && !shared.pending.has(record.id)) {
        retiring.moving.set(record.id, new MovingSubscription());
        subscriptions.send(record, candidate);
      } else if (shared.pending.take(record.id, 'subscribe')) subscriptions.send(record, candidate);
    }
    this.schedule(authorization);
    shared.log.info('replaced the connection before the service closes it; subscriptions are moving to the new one');
    this.#maybeRetire();
  }

  #fromNew(id: string, moving: MovingSubscription, event: string): void {
    const verdict = moving.fromNew(event);
    if (verdict === 'deliver') this.parts.shared.subscriptions.deliver(id, event);
    else if (verdict === 'full') this.settleMove(id);
    if (moving.done) this.#rotation.aligning?.moves.delete(id);
  }

  /**
   * The moves still comparing the new stream with what the old one delivered. A repeat comes about when the old
   * side's did, so after the request timeout whatever the new connection sends is new.
   */
  #aligning(): Aligning {
    // Its timer is cleared wherever it is replaced (the next replacement, end()).
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
    const { requestTimeoutMs } = this.parts.shared.options;
    return isLimit(requestTimeoutMs) ? requestTimeoutMs : DEFAULTS.requestTimeoutMs;
  }

  /** Closes the old connection once every subscription moved and its publishes were answered. */
  #maybeRetire(): void {
    const retiring = this.#rotation.retiring;
    if (!retiring || retiring.moving.size > 0) return;
    if (retiring.publishIds.some((id) => this.parts.shared.pending.kindOf(id) === 'publish')) return;
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
    for (const id of [...retiring.moving.keys()]) this.settleMove(id);
    this.#rotation.retiring = undefined;
    clearTimeout(retiring.timer);
    const { lifecycle, publishes, shared } = this.parts;
    const session = lifecycle.readySession();
    for (const id of retiring.publishIds) {
      const request = shared.pending.take(id, 'publish');
      if (!request) continue;
      if (session) publishes.sendPublish(request, session);
      else publishes.requeue([request]);
    }
  }
}
