import type { SubscriptionState } from '../client/connection-state';

/** The payload of the subscribe node's second output (`stateOutput`), one per change of a subscription's state. */
export type SubscriptionSignal =
  | { channel: string; state: 'subscribed' | 'disconnected' | 'unsubscribed'; at: number }
  | { channel: string; state: 'resubscribed'; at: number; outageMs: number }
  | { channel: string; state: 'failed'; at: number; code: string; message: string };

/**
 * Turns the subscription states of a node's channels into the signals a flow needs to know when it may have missed
 * events (AppSync keeps no history): `disconnected` when a live subscription drops, `resubscribed` with `outageMs`,
 * the time from the drop (when events could last arrive) to the acknowledgement of the new subscription.
 */
export class SubscriptionSignals {
  /** Per channel: when it last dropped, if it was subscribed before. */
  readonly #channels = new Map<string, { everSubscribed: boolean; droppedAt: number | undefined }>();

  signal(channel: string, state: SubscriptionState, now = Date.now()): SubscriptionSignal | undefined {
    const entry = this.#channels.get(channel) ?? { everSubscribed: false, droppedAt: undefined };
    this.#channels.set(channel, entry);
    switch (state.status) {
      case 'subscribed': {
        const droppedAt = entry.droppedAt;
        const again = entry.everSubscribed;
        entry.everSubscribed = true;
        entry.droppedAt = undefined;
        return again && droppedAt !== undefined ? { channel, state: 'resubscribed', at: now, outageMs: now - droppedAt } : { channel, state: 'subscribed', at: now };
      }
      case 'pending':
        // Pending after subscribed is a drop; pending before the first acknowledgement is nothing new.
        if (!entry.everSubscribed || entry.droppedAt !== undefined) return undefined;
        entry.droppedAt = now;
        return { channel, state: 'disconnected', at: now };
      case 'failed':
        this.#channels.delete(channel);
        return { channel, state: 'failed', at: now, code: state.error.errorType, message: state.error.message };
      case 'closed':
        this.#channels.delete(channel);
        return { channel, state: 'unsubscribed', at: now };
    }
  }
}
