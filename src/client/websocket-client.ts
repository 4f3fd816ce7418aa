import type { EncodedEvents } from '../protocol/encoding';
import type { Endpoints } from '../protocol/endpoint';
import type { PublishResult } from '../protocol/publish-result';
import type { ConnectionState } from './connection-state';
import { silentLogger } from './logger';
import { networkSecrets, routeFor, warnIfUnverified } from './network';
import type { SubscriptionHandlers } from './subscription-registry';
import { DEFAULTS, definedTimers, type PublishOptions, type SubscribeOptions, type Subscription, type SubscriptionInfo, type WebSocketAuthorizers, type WebSocketClientOptions } from './websocket-options';
import { WebSocketParts } from './websocket-parts';

export type { EventMeta, EventOutput, SubscriptionHandlers } from './subscription-registry';
export type { PublishOptions, SubscribeOptions, Subscription, SubscriptionInfo, WebSocketAuthorizers, WebSocketClientOptions } from './websocket-options';

/**
 * The AppSync Events WebSocket client: one socket, opened on first use, kept open (reconnecting with
 * backoff and resubscribing) until `disconnect()`. Subscriptions and publishes are correlated by id only;
 * a refused subscription affects nobody else. A publish in flight when the socket drops is sent again on
 * the next one (at-least-once).
 */
export class EventsWebSocketClient {
  readonly endpoints: Endpoints;
  readonly #parts: WebSocketParts;

  constructor(endpoints: Endpoints, authorizers: WebSocketAuthorizers, options: WebSocketClientOptions = {}) {
    this.endpoints = endpoints;
    const settings = { ...DEFAULTS, ...definedTimers(options) };
    const route = routeFor(endpoints.realtimeUrl, options.network);
    const all = { connect: authorizers.connect, subscribe: authorizers.subscribe ?? authorizers.connect, publish: authorizers.publish ?? authorizers.connect };
    this.#parts = new WebSocketParts(endpoints, all, settings, options.logger ?? silentLogger, route);
    const { shared } = this.#parts;
    for (const secret of networkSecrets(options.network)) shared.scrubber.add(secret);
    warnIfUnverified(options.network, endpoints.realtimeUrl, (line) => shared.log.warn(line));
  }

  get state(): ConnectionState {
    return this.#parts.lifecycle.state;
  }

  /** Listens to connection state changes; returns the function that stops listening. */
  onStateChange(listener: (state: ConnectionState) => void): () => void {
    return this.#parts.lifecycle.onStateChange(listener);
  }

  get subscriptions(): SubscriptionInfo[] {
    return [...this.#parts.shared.subscriptions.values()].map((s) => ({ id: s.id, channel: s.channel, state: s.state }));
  }

  /** Publish requests not sent yet: waiting for a connection, a publish-rate slot, or the next turn of a burst. */
  get queuedPublishes(): number {
    return this.#parts.publishes.queued;
  }

  /** Publish requests sent in the last whole second. */
  get publishRequestsPerSecond(): number {
    return this.#parts.publishes.sentPerSecond.perSecond();
  }

  /** Up (or opening for the first time), and a publish now would wait for the publish rate or for throttling to pass. */
  get publishSaturated(): boolean {
    return this.#parts.publishes.saturated;
  }

  /** Opens the connection now instead of on first use (or again after `stop()`); resolves when connected. */
  connect(): Promise<void> {
    return this.#parts.lifecycle.connect();
  }

  subscribe(channel: string, handlers: SubscriptionHandlers = {}, options: SubscribeOptions = {}): Subscription {
    return this.#parts.subscriptions.subscribe(channel, handlers, options);
  }

  /**
   * Publishes events (each element of `events` is one event, or `EncodedEvents` already JSON) in requests of at most
   * 5, in order.
   * While disconnected, requests wait in a bounded queue; when it is full the call fails at once.
   */
  publish(channel: string, events: readonly unknown[] | EncodedEvents, options: PublishOptions = {}): Promise<PublishResult> {
    // Not `async`: a publish is one promise, not two. Bad input still comes back as a rejection.
    try {
      return this.#parts.publishes.publish(channel, events, options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Closes the connection. With `flush` (default) queued publishes are sent first if connected and
   * in-flight publishes get their acknowledgements; without it they fail at once. Subscriptions end.
   */
  disconnect(flush = true): Promise<void> {
    return this.#parts.lifecycle.disconnect(flush);
  }

  /**
   * Closes the socket and keeps it closed until `connect()`: subscriptions stay (made again on connect) and publishes
   * wait in the queue. With `flush` (default) queued publishes are sent first and in-flight ones acknowledged.
   */
  stop(flush = true): Promise<void> {
    return this.#parts.lifecycle.stop(flush);
  }
}
