import type { ConnectionState, SubscriptionState } from '../client/connection-state';
import type { PoolConnectionInfo } from '../client/connection-pool';

/** At most this many acknowledgement times are kept for the percentiles: a minute at 30,000 publishes/s would be 1.8 million. */
const MAX_SAMPLES = 10_000;
const WINDOW_MS = 60_000;

export interface EndpointStatsReport {
  connection: { state: ConnectionState['status']; connectedSince: number | null; reconnects: number; lastErrorType: string | null };
  publishes: { requests: number; events: number; failedEvents: number; queued: number; ackMsP50: number | null; ackMsP99: number | null };
  receivedEvents: number;
  /** Envelopes a subscribe node dropped because it had delivered their id already (one count per node). */
  repeatsDropped: number;
  subscriptions: Record<SubscriptionState['status'], number>;
  /** Each WebSocket connection of the endpoint's pool: its state, subscriptions, queued publishes and publish requests per second. */
  connections: PoolConnectionInfo[];
}

function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
}

/**
 * The figures `msg.action = getStats` reports for one endpoint connection, shared by every node on it: its state
 * changes, every publish settled through it (both transports) and every event received, counted once however many
 * nodes listen to it. Times to acknowledgement are kept for the last minute, at most the latest 10,000.
 */
export class EndpointStats {
  #connectedSince: number | null = null;
  #everConnected = false;
  #reconnects = 0;
  #lastErrorType: string | null = null;
  #requests = 0;
  #events = 0;
  #failedEvents = 0;
  #receivedEvents = 0;
  #repeatsDropped = 0;
  /** [acknowledged at, milliseconds taken], oldest first. */
  #samples: Array<[number, number]> = [];

  onState(state: ConnectionState, now = Date.now()): void {
    if (state.status === 'connected') {
      if (this.#everConnected) this.#reconnects++;
      this.#everConnected = true;
      this.#connectedSince = now;
      return;
    }
    this.#connectedSince = null;
    if ((state.status === 'reconnecting' || state.status === 'failed') && state.error) this.#lastErrorType = state.error.errorType;
  }

  /**
   * One publish message settled after `ms`, with `failed` of its `events` refused. A message of more than 5 events
   * is sent as several requests, and counts as that many.
   */
  onPublish(events: number, failed: number, ms: number, now = Date.now()): void {
    this.#requests += Math.max(1, Math.ceil(events / 5));
    this.#events += events;
    this.#failedEvents += failed;
    this.#samples.push([now, ms]);
    if (this.#samples.length > MAX_SAMPLES) this.#samples.splice(0, this.#samples.length - MAX_SAMPLES);
  }

  onEvent(): void {
    this.#receivedEvents++;
  }

  onRepeatDropped(): void {
    this.#repeatsDropped++;
  }

  report(state: ConnectionState, queued: number, subscriptions: readonly SubscriptionState[], connections: readonly PoolConnectionInfo[], now = Date.now()): EndpointStatsReport {
    this.#samples = this.#samples.filter(([at]) => now - at <= WINDOW_MS);
    const times = this.#samples.map(([, ms]) => ms).sort((a, b) => a - b);
    const byState: Record<SubscriptionState['status'], number> = { pending: 0, subscribed: 0, failed: 0, closed: 0 };
    for (const s of subscriptions) byState[s.status]++;
    return {
      connection: { state: state.status, connectedSince: this.#connectedSince, reconnects: this.#reconnects, lastErrorType: this.#lastErrorType },
      publishes: { requests: this.#requests, events: this.#events, failedEvents: this.#failedEvents, queued, ackMsP50: percentile(times, 50), ackMsP99: percentile(times, 99) },
      receivedEvents: this.#receivedEvents,
      repeatsDropped: this.#repeatsDropped,
      subscriptions: byState,
      connections: [...connections],
    };
  }
}
