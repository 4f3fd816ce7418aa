import { EventsError } from '../protocol/errors';
import type { AuthorizationHeaders, Authorizer } from './authorizer';
import type { SubscriptionState } from './connection-state';
import type { Deferred } from './deferred';
import type { Logger } from './logger';

export interface EventMeta {
  /** The channel (or wildcard pattern) this subscription was made for. */
  channel: string;
  subscriptionId: string;
}

export interface SubscriptionHandlers {
  /** One call per event: the parsed JSON value, or the JSON text when `output` is `string`. */
  onEvent?(event: unknown, meta: EventMeta): void;
  /** A refused subscription, an undeliverable event (`broadcast_error`), or an event that is not JSON. */
  onError?(error: EventsError, meta: EventMeta): void;
  onStateChange?(state: SubscriptionState, meta: EventMeta): void;
}

/** How events are handed over: parsed JSON (default) or the JSON text as received. */
export type EventOutput = 'json' | 'string';

export interface SubscriptionRecord {
  id: string;
  channel: string;
  authorizer: Authorizer;
  output: EventOutput;
  handlers: SubscriptionHandlers;
  state: SubscriptionState;
  meta: EventMeta;
  ready: Deferred<void>;
  unsubscribing?: Deferred<void>;
  /** The authorization of the last subscribe sent, and whether its refusal already renewed it (refusal-renewal.ts). */
  authorization?: AuthorizationHeaders;
  renewed?: boolean;
}

/**
 * The client's subscriptions by id, and the one place that changes their state and calls their handlers.
 * A handler that throws is the caller's bug; it is logged and never reaches the socket's event loop.
 */
export class SubscriptionRegistry {
  readonly #records = new Map<string, SubscriptionRecord>();

  constructor(private readonly log: Logger) {}

  add(record: SubscriptionRecord): void {
    this.#records.set(record.id, record);
  }

  get(id: string): SubscriptionRecord | undefined {
    return this.#records.get(id);
  }

  /** True when `record` is still the live subscription of its id. */
  holds(record: SubscriptionRecord): boolean {
    return this.#records.get(record.id) === record;
  }

  values(): IterableIterator<SubscriptionRecord> {
    return this.#records.values();
  }

  get size(): number {
    return this.#records.size;
  }

  setState(record: SubscriptionRecord, state: SubscriptionState): void {
    record.state = state;
    this.#call(record, () => record.handlers.onStateChange?.(state, record.meta));
  }

  /** Removes a subscription for good, with its final state. */
  close(record: SubscriptionRecord, state: Extract<SubscriptionState, { status: 'closed' | 'failed' }>): void {
    if (!this.holds(record)) return;
    this.#records.delete(record.id);
    this.setState(record, state);
  }

  reportError(record: SubscriptionRecord, error: EventsError): void {
    this.#call(record, () => record.handlers.onError?.(error, record.meta));
  }

  /** Hands one `data` frame's event to its subscription; unknown ids and ended subscriptions are ignored. */
  deliver(id: string, event: string): void {
    const record = this.#records.get(id);
    const handlers = record?.handlers;
    if (!record || !handlers?.onEvent || record.unsubscribing) return;
    let value: unknown = event;
    if (record.output === 'json') {
      try {
        value = JSON.parse(event);
      } catch {
        this.reportError(record, new EventsError({ errorType: 'ProtocolError', message: `an event on ${record.channel} is not valid JSON` }));
        return;
      }
    }
    // Inline rather than through #call: this runs for every event, and a closure per event is garbage. Called as a
    // method, as the other handlers are: a handlers object may be a class instance (pooled-subscription.ts).
    try {
      handlers.onEvent(value, record.meta);
    } catch (err) {
      this.#threw(record, err);
    }
  }

  #call(record: SubscriptionRecord, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#threw(record, err);
    }
  }

  #threw(record: SubscriptionRecord, err: unknown): void {
    this.log.error(`a handler of the subscription to ${record.channel} threw: ${err instanceof Error ? err.message : 'a non-Error value'}`);
  }
}
