import type { Node } from 'node-red';
import type { ConnectionState } from '../client/connection-state';
import type { EventsError } from '../protocol/errors';
import { toNodeError } from './node-error';
import { NETWORK_SETUP_ERRORS } from '../client/network-errors';

/**
 * Reports a connection failure the user must act on to Catch nodes once per change of state (not on every
 * slow retry, and never in a loop); a successful connection re-arms it.
 */
export class FailureReporter {
  #reported: string | undefined;

  constructor(private readonly node: Node) {}

  onConnectionState(state: ConnectionState, context: Record<string, unknown>): void {
    if (state.status === 'connected') {
      this.#reported = undefined;
      return;
    }
    // Failures the user must fix: refused credentials (failed), and proxy or TLS settings (retried with backoff).
    const error = state.status === 'failed' ? state.error : state.status === 'reconnecting' && state.error && NETWORK_SETUP_ERRORS.has(state.error.errorType) ? state.error : undefined;
    if (!error) return;
    const key = `${error.errorType}:${error.message}`;
    if (key === this.#reported) return;
    this.#reported = key;
    this.report(error, context);
  }

  report(error: EventsError, context: Record<string, unknown>): void {
    this.node.error(toNodeError(error), { ...context });
  }
}
