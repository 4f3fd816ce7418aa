import type { ClientOptions } from 'ws';
import type { Authorizer } from './authorizer';
import { MAX_CONNECTION_DURATION_MS } from './connection-rotation';
import type { SubscriptionState } from './connection-state';
import type { Logger } from './logger';
import type { NetworkSettings } from './network';
import type { EventOutput } from './subscription-registry';
import { timerDelay } from './time-limit';

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

export const DEFAULTS = {
  reconnectBaseDelayMs: 1_000,
  reconnectMaxDelayMs: 30_000,
  authRetryDelayMs: 60_000,
  connectTimeoutMs: 15_000,
  requestTimeoutMs: 15_000,
  maxConnectionDurationMs: MAX_CONNECTION_DURATION_MS,
  queueSize: 1_000,
};

/** The options as the client uses them: every one set. */
export type ClientSettings = typeof DEFAULTS & WebSocketClientOptions;

/**
 * The options that are set, with every delay brought into the range Node's timers accept. A request timeout of 0 is
 * none; a connect timeout of 0 is the default (a handshake that never ends would leave the endpoint silent for good).
 */
export function definedTimers(options: WebSocketClientOptions): Partial<WebSocketClientOptions> {
  const out: Partial<WebSocketClientOptions> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (key === 'connectTimeoutMs' && value === 0) continue;
    const floor = key === 'requestTimeoutMs' ? 0 : 1;
    Object.assign(out, { [key]: key.endsWith('Ms') && typeof value === 'number' ? timerDelay(Math.max(floor, value)) : value });
  }
  return out;
}
