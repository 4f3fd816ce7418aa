import type { EventsError } from '../protocol/errors';
import { fullJitterDelay } from './backoff';
import type { ConnectionState } from './connection-state';

export interface ReconnectOptions {
  reconnectBaseDelayMs: number;
  reconnectMaxDelayMs: number;
  authRetryDelayMs: number;
  random?: () => number;
}

/**
 * What follows a failed attempt or a dropped socket. A failure the user must fix (a refused key, an unknown
 * endpoint) is `failed` and retried slowly, never in a storm; anything else backs off with full jitter.
 */
export function stateAfterFailure(error: EventsError, attempt: number, options: ReconnectOptions): Extract<ConnectionState, { status: 'failed' | 'reconnecting' }> {
  if (!error.retryable) return { status: 'failed', error, retryInMs: options.authRetryDelayMs };
  const delayMs = fullJitterDelay(attempt, { baseDelayMs: options.reconnectBaseDelayMs, maxDelayMs: options.reconnectMaxDelayMs, random: options.random });
  return { status: 'reconnecting', attempt: attempt + 1, delayMs, error };
}
