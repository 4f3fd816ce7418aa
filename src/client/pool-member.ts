import type { EventsError } from '../protocol/errors';
import type { PooledSubscription } from './pooled-subscription';
import type { EventsWebSocketClient } from './websocket-client';

/** One WebSocket of a connection pool (connection-pool.ts), with what the pool placed on it. */
export interface PoolMember {
  readonly client: EventsWebSocketClient;
  readonly subscriptions: Set<PooledSubscription>;
  /** Channels whose publishes go over this connection now (publish-homes.ts). */
  homes: number;
  idleTimer?: NodeJS.Timeout;
}

/** AppSync's answer to a subscription beyond the connection's quota (quoted as 200, not documented). */
export const isFull = (error: EventsError) => error.errorType === 'MaxSubscriptionsReachedError';
