import type { EventsError } from '../protocol/errors';

/** The lifecycle of the client's one socket. */
export type ConnectionState =
  /** No socket yet: it opens on first use. */
  | { status: 'idle' }
  | { status: 'connecting'; attempt: number }
  | { status: 'connected' }
  /** Waiting `delayMs` before attempt number `attempt` after a transient failure or drop. */
  | { status: 'reconnecting'; attempt: number; delayMs: number; error?: EventsError }
  /** A failure the user must act on (refused credentials, unknown endpoint); retried slowly, every `retryInMs`. */
  | { status: 'failed'; error: EventsError; retryInMs: number }
  /** Closed by `disconnect()`; the next operation opens a new socket. */
  | { status: 'closed' }
  /** Closed by `stop()`: subscriptions stay and publishes wait; only `connect()` opens it again. */
  | { status: 'stopped' };

export type SubscriptionState =
  /** Subscribe sent or about to be (again after a reconnect), not yet acknowledged. */
  | { status: 'pending' }
  | { status: 'subscribed' }
  /** Refused or timed out: terminal for this subscription only. */
  | { status: 'failed'; error: EventsError }
  | { status: 'closed' };
