import type { Node } from 'node-red';
import type { ConnectionState } from '../client/connection-state';
import type { EventsError } from '../protocol/errors';
import { toNodeError } from './node-error';

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
    if (state.status !== 'failed') return;
    const key = `${state.error.errorType}:${state.error.message}`;
    if (key === this.#reported) return;
    this.#reported = key;
    this.report(state.error, context);
  }

  report(error: EventsError, context: Record<string, unknown>): void {
    this.node.error(toNodeError(error), { ...context });
  }
}
