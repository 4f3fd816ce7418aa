import type { Authorizer, Transport } from '../client/authorizer';
import type { ConnectionState, SubscriptionState } from '../client/connection-state';
import type { EventsRestClient } from '../client/rest-client';
import { ConnectionPool } from '../client/connection-pool';
import type { EndpointOutbox, PublishOrigin, PublishSending } from '../client/outbox/endpoint-outbox';
import type { EventsWebSocketClient, Subscription } from '../client/websocket-client';
import type { EventsError } from '../protocol/errors';
import type { EncodedEvents } from '../protocol/encoding';
import type { PublishResult } from '../protocol/publish-result';
import { EndpointStats, type EndpointStatsReport } from './endpoint-stats';

/** A flow node that uses the endpoint's connection. */
export interface ConnectionUser {
  readonly id: string;
  onConnectionState(state: ConnectionState): void;
}

export interface ChannelListener {
  /** The raw JSON text of each event; each listener parses its own copy, so no two flows share an object. */
  onEvent(event: string, channel: string): void;
  onState(state: SubscriptionState, channel: string): void;
  onError(error: EventsError, channel: string): void;
}

export interface ChannelHandle {
  readonly channel: string;
  readonly state: SubscriptionState;
  readonly ready: Promise<void>;
  release(): Promise<void>;
}

export interface ClientFactory {
  /** One more WebSocket connection: the pool opens as many as its subscriptions and publishes need. */
  webSocket(): EventsWebSocketClient;
  rest(): EventsRestClient;
  /** Subscriptions per connection (blank: learnt), publish connections (connection-pool.ts). */
  pool: { maxSubscriptionsPerConnection?: number; publishConnections: number };
}

/** How long a connection other than the first stays open once nothing is on it. */
const IDLE_CLOSE_MS = 30_000;

interface SharedChannel {
  key: string;
  subscription: Subscription;
  listeners: Map<string, ChannelListener>;
}

interface Clients {
  webSocket?: ConnectionPool;
  rest?: EventsRestClient;
  channels: Map<string, SharedChannel>;
  stopListening?: () => void;
}

/**
 * The connection of one `events-endpoint` node, shared by every flow node that uses it, reference counted
 * like the core MQTT broker node. Clients open on first use and close when the last user leaves. A set of
 * clients, once closing, is detached: a node that registers meanwhile gets fresh clients, so a redeploy never
 * races a closing socket (node-red#3927, fixed in core by PR #3992). Flow nodes that subscribe to the same
 * channel with the same authorizer share one server subscription (AppSync limits subscriptions per connection).
 */
export class EndpointConnection implements PublishSending {
  /** What `getStats` reports: kept for the life of the endpoint node, across the client sets of redeploys. */
  readonly stats = new EndpointStats();
  readonly #factory: ClientFactory;
  readonly #users = new Map<string, ConnectionUser>();
  readonly #subscriptionWatchers = new Set<() => void>();
  #clients: Clients = { channels: new Map() };
  /**
   * The endpoint's file publish queue (`queueStore` file), set by the endpoint node: publishes that name their origin
   * are stored in it, and it sends them through `publish`. Without it, the connections' own queues hold them in memory.
   */
  store: EndpointOutbox | undefined;
  /** Runs before a graceful disconnect closes the socket: the endpoint's close message (endpoint-presence.ts). */
  beforeDisconnect: (() => Promise<void>) | undefined;

  constructor(factory: ClientFactory) {
    this.#factory = factory;
  }

  get state(): ConnectionState {
    return this.#clients.webSocket?.state ?? { status: 'idle' };
  }

  register(user: ConnectionUser): void {
    this.#users.set(user.id, user);
    user.onConnectionState(this.state);
  }

  /** Removes a user and its channel listeners; the last one out closes the clients and waits for them. */
  async deregister(user: ConnectionUser): Promise<void> {
    if (!this.#users.delete(user.id)) return;
    const releases = [...this.#clients.channels.values()].filter((c) => c.listeners.has(user.id)).map((c) => this.#release(this.#clients, c, user.id));
    await Promise.all(releases);
    if (this.#users.size === 0) await this.close();
  }

  /** The endpoint's WebSocket connections, opened as they are needed; the first one's state is the endpoint's. */
  webSocket(): ConnectionPool {
    const clients = this.#clients;
    if (!clients.webSocket) {
      const ws = new ConnectionPool({ open: () => this.#factory.webSocket(), idleCloseMs: IDLE_CLOSE_MS, ...this.#factory.pool });
      clients.webSocket = ws;
      clients.stopListening = ws.onStateChange((state) => {
        if (this.#clients !== clients) return;
        this.stats.onState(state);
        for (const user of this.#users.values()) user.onConnectionState(state);
      });
    }
    return clients.webSocket;
  }

  rest(): EventsRestClient {
    this.#clients.rest ??= this.#factory.rest();
    return this.#clients.rest;
  }

  /**
   * Publishes over the chosen transport, with the node's authorizer (the endpoint's when undefined). A publish that
   * names its `origin` goes into the store when the endpoint has one, and is answered once AppSync acknowledges it;
   * the store sends it back through here without one. Otherwise the connections queue it in memory until it can go.
   */
  publish(channel: string, events: readonly unknown[] | EncodedEvents, options: { transport: Transport; authorizer?: Authorizer; origin?: PublishOrigin }): Promise<PublishResult> {
    const { transport, authorizer, origin } = options;
    if (this.store && origin) return this.store.publish(channel, events, transport, origin);
    return transport === 'http' ? this.rest().publish(channel, events, { authorizer }) : this.webSocket().publish(channel, events, { authorizer });
  }

  /**
   * Adds `userId` as a listener of `channel` (a normalised path); the first listener subscribes, later ones
   * join the same subscription. `authorizerKey` separates listeners that use different authorizers.
   */
  listen(userId: string, channel: string, listener: ChannelListener, authorizer?: { key: string; authorizer: Authorizer }): ChannelHandle {
    const clients = this.#clients;
    const key = `${channel}\u0000${authorizer?.key ?? ''}`;
    let shared = clients.channels.get(key);
    if (!shared) {
      const listeners = new Map<string, ChannelListener>();
      const subscription = this.webSocket().subscribe(
        channel,
        {
          onEvent: (event) => {
            // The subscription hands over JSON text (output 'string'); each listener parses its own copy.
            if (typeof event !== 'string') return;
            this.stats.onEvent();
            for (const l of listeners.values()) l.onEvent(event, channel);
          },
          onError: (error) => {
            for (const l of listeners.values()) l.onError(error, channel);
          },
          onStateChange: (state) => {
            // A refused or closed subscription is over: the next listener starts a new one.
            if ((state.status === 'failed' || state.status === 'closed') && clients.channels.get(key) === shared) clients.channels.delete(key);
            for (const l of listeners.values()) l.onState(state, channel);
            for (const watcher of this.#subscriptionWatchers) watcher();
          },
        },
        { output: 'string', authorizer: authorizer?.authorizer },
      );
      shared = { key, subscription, listeners };
      clients.channels.set(key, shared);
    }
    shared.listeners.set(userId, listener);
    const entry = shared;
    return {
      channel: entry.subscription.channel,
      get state() {
        return entry.subscription.state;
      },
      get ready() {
        return entry.subscription.ready;
      },
      release: () => this.#release(clients, entry, userId),
    };
  }

  /** `msg.action = connect`: opens the WebSocket (again, after `disconnect`); resolves when connected or failed. */
  async connect(): Promise<void> {
    await this.webSocket().connect();
  }

  /**
   * `msg.action = disconnect`: closes the WebSocket after flushing queued publishes, and keeps it closed until the next
   * `connect`. Subscriptions stay and are made again on `connect`.
   */
  async disconnect(): Promise<void> {
    await this.beforeDisconnect?.();
    await this.webSocket().stop(true);
  }

  /** Whether every subscription of the WebSocket has its answer (none is pending). */
  get subscriptionsSettled(): boolean {
    return (this.#clients.webSocket?.subscriptions ?? []).every((s) => s.state.status !== 'pending');
  }

  /** Calls `watcher` after each change of any subscription's state; returns the function that stops it. */
  watchSubscriptions(watcher: () => void): () => void {
    this.#subscriptionWatchers.add(watcher);
    return () => this.#subscriptionWatchers.delete(watcher);
  }

  /** The figures of this connection for `msg.action = getStats`. */
  report(): EndpointStatsReport {
    const ws = this.#clients.webSocket;
    return this.stats.report(this.state, ws?.queuedPublishes ?? 0, ws?.subscriptions.map((s) => s.state) ?? [], ws?.connections ?? []);
  }

  /** How many WebSocket connections the endpoint holds now (more than one past a connection's quotas). */
  get connectionCount(): number {
    return this.#clients.webSocket?.connections.length ?? 0;
  }

  /** Closes the clients now; queued publishes are flushed first when connected. Later use opens new ones. */
  async close(): Promise<void> {
    const clients = this.#clients;
    this.#clients = { channels: new Map() };
    clients.stopListening?.();
    clients.rest?.close();
    await clients.webSocket?.disconnect(true);
  }

  async #release(clients: Clients, shared: SharedChannel, userId: string): Promise<void> {
    if (!shared.listeners.delete(userId) || shared.listeners.size > 0) return;
    if (clients.channels.get(shared.key) === shared) clients.channels.delete(shared.key);
    await shared.subscription.unsubscribe();
  }
}
