import { parseChannel } from '../protocol/channel';
import type { EncodedEvents } from '../protocol/encoding';
import type { PublishResult } from '../protocol/publish-result';
import type { ConnectionState } from './connection-state';
import { PublishHomes } from './publish-homes';
import type { PoolMember } from './pool-member';
import { PooledSubscription, type PlacementHooks } from './pooled-subscription';
import type { SubscriptionHandlers } from './subscription-registry';
import type { EventsWebSocketClient, PublishOptions, SubscribeOptions, Subscription, SubscriptionInfo } from './websocket-client';

export interface ConnectionPoolOptions {
  /** Makes one more WebSocket client with the endpoint's settings. */
  open(): EventsWebSocketClient;
  /** Subscriptions per connection; undefined: learnt from the first MaxSubscriptionsReachedError. */
  maxSubscriptionsPerConnection?: number;
  /** Connections publishes may spread over when one is saturated (1: one connection, as a plain client). */
  publishConnections: number;
  /** How long a connection other than the first stays open with nothing on it (the endpoint: 30 s). */
  idleCloseMs: number;
}

/** What getStats and the status show of each connection. */
export interface PoolConnectionInfo {
  state: ConnectionState['status'];
  subscriptions: number;
  queuedPublishes: number;
  /** Publish requests (of up to 5 events) sent in the last whole second. */
  publishRequestsPerSecond: number;
}

/**
 * The WebSocket connections of one endpoint: AppSync limits each connection's subscriptions and publish requests per
 * second, so subscriptions spread over as many connections as they need (a refused one moves to another, and the
 * quota is learnt from that refusal), and publishes spread over up to `publishConnections` when one connection is
 * saturated. The first connection is the endpoint's: its state is the pool's, and it stays while the pool is used;
 * others close once they have been left with nothing for `idleCloseMs`.
 */
export class ConnectionPool {
  readonly #options: ConnectionPoolOptions;
  readonly #members: PoolMember[] = [];
  readonly #homes: PublishHomes;
  readonly #placement: PlacementHooks = {
    place: (s) => this.#place(s),
    refusedForFull: (s, member) => this.#learnFromFull(s, member),
    left: (member) => this.#closeWhenIdle(member),
  };
  #learnt: number | undefined;

  constructor(options: ConnectionPoolOptions) {
    this.#options = options;
    this.#homes = new PublishHomes({
      connections: () => this.#members.slice(0, Math.max(1, options.publishConnections)),
      canGrow: () => this.#members.length < Math.max(1, options.publishConnections),
      grow: () => this.#addMember(),
      changed: (member) => this.#closeWhenIdle(member),
    });
  }

  /** The first connection's state: the endpoint's. */
  get state(): ConnectionState {
    return this.#primary().client.state;
  }

  onStateChange(listener: (state: ConnectionState) => void): () => void {
    return this.#primary().client.onStateChange(listener);
  }

  get subscriptions(): SubscriptionInfo[] {
    return this.#members.flatMap((m) => m.client.subscriptions);
  }

  /** Publishes not sent yet: in the connections' queues, or waiting for their channel to move to another connection. */
  get queuedPublishes(): number {
    return this.#members.reduce((n, m) => n + m.client.queuedPublishes, this.#homes.waiting);
  }

  get connections(): PoolConnectionInfo[] {
    return this.#members.map((m) => ({ state: m.client.state.status, subscriptions: m.subscriptions.size, queuedPublishes: m.client.queuedPublishes, publishRequestsPerSecond: m.client.publishRequestsPerSecond }));
  }

  /** The subscriptions one connection takes now: the setting, or what a refusal taught, or no bound yet. */
  get subscriptionBudget(): number {
    return Math.min(this.#options.maxSubscriptionsPerConnection ?? Infinity, this.#learnt ?? Infinity);
  }

  async connect(): Promise<void> {
    this.#primary();
    await Promise.all(this.#members.map((m) => m.client.connect()));
  }

  /** Closes every connection and keeps them closed until `connect()` (subscriptions stay, made again then). */
  async stop(flush = true): Promise<void> {
    await Promise.all(this.#members.map((m) => m.client.stop(flush)));
  }

  /** Closes every connection for good. */
  async disconnect(flush = true): Promise<void> {
    const members = this.#members.splice(0);
    for (const m of members) clearTimeout(m.idleTimer);
    await Promise.all(members.map((m) => m.client.disconnect(flush)));
  }

  subscribe(channel: string, handlers: SubscriptionHandlers = {}, options: SubscribeOptions = {}): Subscription {
    const { path } = parseChannel(channel, 'subscribe');
    const subscription = new PooledSubscription(path, handlers, options, this.#placement);
    this.#place(subscription);
    return subscription;
  }

  publish(channel: string, events: readonly unknown[] | EncodedEvents, options: PublishOptions = {}): Promise<PublishResult> {
    // One publish connection: straight to it, as a plain client.
    if (this.#options.publishConnections <= 1) return this.#primary().client.publish(channel, events, options);
    // One home per channel however it is written (`default/a`, `/default/a/`): its order is kept across all of them.
    let path: string;
    try {
      path = parseChannel(channel, 'publish').path;
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#homes.publish(path, events, options);
  }

  #primary(): PoolMember {
    return this.#members[0] ?? this.#addMember();
  }

  #addMember(): PoolMember {
    const member: PoolMember = { client: this.#options.open(), subscriptions: new Set(), homes: 0 };
    const first = this.#members[0];
    this.#members.push(member);
    // A connection added while the first is up (or coming up) opens too, whatever autoConnect says.
    const status = first?.client.state.status;
    if (status === 'connected' || status === 'connecting' || status === 'reconnecting') member.client.connect().catch(() => {});
    return member;
  }

  /** Puts a subscription on the first connection with room for it, or on a new one. */
  #place(subscription: PooledSubscription): void {
    const budget = this.subscriptionBudget;
    const member = this.#members.find((m) => m.subscriptions.size < budget) ?? this.#addMember();
    clearTimeout(member.idleTimer);
    member.idleTimer = undefined;
    member.subscriptions.add(subscription);
    subscription.attach(member);
  }

  /**
   * A connection refused a subscription as beyond its quota: the quota is what that connection holds, and the
   * subscription moves. Refused with nothing else on the connection is no quota at all: then it fails as it is.
   */
  #learnFromFull(subscription: PooledSubscription, member: PoolMember): boolean {
    const kept = [...member.subscriptions].filter((s) => s !== subscription && s.placedState === 'subscribed').length;
    if (kept === 0) return false;
    member.subscriptions.delete(subscription);
    this.#learnt = Math.min(this.#learnt ?? Infinity, kept);
    this.#closeWhenIdle(member);
    return true;
  }

  /** A connection other than the first, left with no subscription and no publish, closes after `idleCloseMs`. */
  #closeWhenIdle(member: PoolMember): void {
    if (member === this.#members[0] || member.subscriptions.size > 0 || member.homes > 0 || member.idleTimer) return;
    member.idleTimer = setTimeout(() => {
      member.idleTimer = undefined;
      if (member.subscriptions.size > 0 || member.homes > 0) return;
      const index = this.#members.indexOf(member);
      if (index <= 0) return;
      this.#members.splice(index, 1);
      void member.client.disconnect(true);
    }, this.#options.idleCloseMs);
    // A pending close is no reason for a plain Node.js process to stay up.
    member.idleTimer.unref();
  }
}
