import { parseChannel } from '../protocol/channel';
import { EventsError } from '../protocol/errors';
import { subscribeSigningBody } from '../protocol/signing-body';
import { renewalFor } from './refusal-renewal';
import { deferred } from './deferred';
import type { SocketSession } from './socket-session';
import type { SubscriptionHandlers, SubscriptionRecord } from './subscription-registry';
import type { SubscribeOptions, Subscription } from './websocket-options';
import type { WebSocketParts } from './websocket-parts';

/**
 * The WebSocket client's subscription path: subscribe, unsubscribe (never before the subscribe is acknowledged: AUV,
 * AMP-JS), their answers and timeouts, and every subscription made again on the next connection. A refused
 * subscription affects nobody else.
 */
export class SubscriptionPath {
  /** Subscriptions given up on (timeout) whose acknowledgement may still come: the server then holds them, so they are released. */
  readonly #abandoned = new Set<string>();

  constructor(private readonly parts: WebSocketParts) {}

  subscribe(channel: string, handlers: SubscriptionHandlers, options: SubscribeOptions): Subscription {
    const { path } = parseChannel(channel, 'subscribe');
    const { shared, lifecycle } = this.parts;
    const id = shared.ids.next();
    const record: SubscriptionRecord = {
      id,
      channel: path,
      authorizer: options.authorizer ?? shared.authorizers.subscribe,
      output: options.output ?? 'json',
      handlers,
      state: { status: 'pending' },
      meta: { channel: path, subscriptionId: id },
      ready: deferred<void>(true),
    };
    shared.subscriptions.add(record);
    shared.log.debug(`subscribe ${path} (${id})`);
    const session = lifecycle.readySession();
    if (session) this.send(record, session);
    else lifecycle.ensureConnection();
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

  /** The connection is ready: every subscription still to be made is made on it. */
  resubscribe(session: SocketSession): void {
    for (const record of this.parts.shared.subscriptions.values()) {
      if (record.state.status === 'pending' && !record.unsubscribing) this.send(record, session);
    }
  }

  send(record: SubscriptionRecord, session: SocketSession): void {
    const { pending, sends } = this.parts.shared;
    pending.add(record.id, 'subscribe');
    sends.enqueue(
      this.parts.shared.authorize(record.authorizer, 'subscribe', () => subscribeSigningBody(record.channel), record.channel),
      (authorization) => {
        record.authorization = authorization;
        if (session === this.parts.lifecycle.session && pending.kindOf(record.id) === 'subscribe') session.send({ type: 'subscribe', id: record.id, channel: record.channel, authorization });
      },
      (err) => {
        if (pending.take(record.id, 'subscribe')) this.#fail(record, err);
      },
    );
  }

  /** The socket is gone (its operations already cleared): subscriptions wait for the next one. */
  onSocketGone(): void {
    const { subscriptions } = this.parts.shared;
    for (const record of [...subscriptions.values()]) {
      if (record.unsubscribing) {
        // The server forgets a closed connection's subscriptions: nothing is left to unsubscribe.
        subscriptions.close(record, { status: 'closed' });
        record.unsubscribing.resolve();
      } else if (record.state.status === 'subscribed') {
        subscriptions.setState(record, { status: 'pending' });
      }
    }
  }

  /** A failure the user must fix: those waiting for their first acknowledgement hear of it, and stay to be made later. */
  failPending(error: EventsError): void {
    for (const record of this.parts.shared.subscriptions.values()) if (record.state.status === 'pending') record.ready.reject(error);
  }

  /** The client is closed: every subscription ends. */
  closeAll(closed: EventsError): void {
    const { subscriptions } = this.parts.shared;
    for (const record of [...subscriptions.values()]) {
      record.unsubscribing?.resolve();
      record.ready.reject(closed);
      subscriptions.close(record, { status: 'closed' });
    }
  }

  onBroadcastError(id: string, error: EventsError): void {
    const record = this.parts.shared.subscriptions.get(id);
    if (record) this.parts.shared.subscriptions.reportError(record, error);
  }

  /** A subscribe or unsubscribe got no answer within the request timeout. */
  onTimeout(id: string, kind: 'subscribe' | 'unsubscribe'): void {
    const waited = `within ${this.parts.shared.options.requestTimeoutMs} ms`;
    const record = this.parts.shared.subscriptions.get(id);
    if (!record) return;
    if (kind === 'unsubscribe') {
      this.#finishUnsubscribe(record, new EventsError({ errorType: 'Timeout', message: `no answer to unsubscribe ${waited}` }));
      return;
    }
    if (this.#abandoned.size >= 1_000) this.#abandoned.clear();
    this.#abandoned.add(id);
    this.#fail(record, new EventsError({ errorType: 'Timeout', message: `no answer to subscribe ${record.channel} ${waited}` }));
  }

  onSubscribed(id: string): void {
    const { pending, subscriptions } = this.parts.shared;
    const session = this.parts.lifecycle.readySession();
    if (!pending.take(id, 'subscribe')) {
      if (this.#abandoned.delete(id)) session?.send({ type: 'unsubscribe', id });
      return;
    }
    const record = subscriptions.get(id);
    if (!record || !session) return;
    record.renewed = false;
    // A subscription moving to a replacement connection is not new: the move goes on (connection-replacement.ts).
    if (!this.parts.replacement.movedToNew(id)) {
      subscriptions.setState(record, { status: 'subscribed' });
      record.ready.resolve();
    }
    if (record.unsubscribing) this.#sendUnsubscribe(record, session);
  }

  onRefused(id: string, error: EventsError): void {
    const { pending, subscriptions, log, scrubber } = this.parts.shared;
    if (!pending.take(id, 'subscribe')) return;
    this.parts.replacement.settleMove(id);
    const record = subscriptions.get(id);
    if (!record) return;
    const renewal = renewalFor(record, record.authorizer, error);
    if (!renewal) return this.#fail(record, error);
    log.debug(`subscribe ${record.channel} refused (${error.message}): renewing the credentials and trying once more`);
    renewal.then(
      (renewed) => {
        if (!renewed) return this.#fail(record, error);
        // Not connected now: the subscription is pending and is made when the connection is ready.
        const session = this.parts.lifecycle.readySession();
        if (session && subscriptions.holds(record) && !record.unsubscribing && !pending.has(record.id)) this.send(record, session);
      },
      (err: unknown) => this.#fail(record, scrubber.error(err, 'CredentialsError')),
    );
  }

  onUnsubscribed(id: string, error: EventsError | undefined): void {
    if (!this.parts.shared.pending.take(id, 'unsubscribe')) return;
    const record = this.parts.shared.subscriptions.get(id);
    if (record) this.#finishUnsubscribe(record, error);
  }

  #fail(record: SubscriptionRecord, error: EventsError): void {
    const { subscriptions, log } = this.parts.shared;
    if (!subscriptions.holds(record)) return;
    // A connection pool moves a subscription refused as beyond the connection's quota (connection-pool.ts): no warning
    // for each of them; its handlers still hear of it.
    const line = `subscription to ${record.channel} failed: ${error.message}`;
    if (error.errorType === 'MaxSubscriptionsReachedError') log.debug(line);
    else log.warn(line);
    subscriptions.close(record, { status: 'failed', error });
    record.ready.reject(error);
    if (record.unsubscribing) record.unsubscribing.resolve();
    else subscriptions.reportError(record, error);
  }

  #unsubscribe(record: SubscriptionRecord): Promise<void> {
    const { subscriptions, pending } = this.parts.shared;
    if (!subscriptions.holds(record)) return Promise.resolve();
    if (record.unsubscribing) return record.unsubscribing.promise;
    record.unsubscribing = deferred<void>();
    const session = this.parts.lifecycle.readySession();
    // A subscription being made again on a replacement connection is unsubscribed there after its ack.
    if (record.state.status === 'subscribed' && session && !pending.has(record.id)) this.#sendUnsubscribe(record, session);
    else if (!pending.has(record.id)) {
      // Not on the server (not connected yet, or between connections): forget it now.
      subscriptions.close(record, { status: 'closed' });
      record.unsubscribing.resolve();
    }
    // Otherwise the subscribe is in flight: onSubscribed sends the unsubscribe after the ack.
    return record.unsubscribing.promise;
  }

  #sendUnsubscribe(record: SubscriptionRecord, session: SocketSession): void {
    this.parts.shared.pending.add(record.id, 'unsubscribe');
    session.send({ type: 'unsubscribe', id: record.id });
  }

  #finishUnsubscribe(record: SubscriptionRecord, error: EventsError | undefined): void {
    if (!record.unsubscribing) return;
    if (error) this.parts.shared.log.warn(`unsubscribe ${record.channel}: ${error.message}`);
    this.parts.shared.subscriptions.close(record, { status: 'closed' });
    record.unsubscribing.resolve();
  }
}
