import { resultForEvent, type PublishResult } from '../protocol/publish-result';
import { encodeEvent } from '../protocol/encoding';
import { MAX_EVENTS_PER_REQUEST } from '../protocol/limits';

interface Waiting<C> {
  event: unknown;
  context: C;
  resolve(result: PublishResult): void;
  reject(err: unknown): void;
}

interface Pending<C> {
  items: Waiting<C>[];
  timer: NodeJS.Timeout;
}

/**
 * Merges single events published to the same channel within `coalesceMs` into one request of up to 5,
 * in arrival order, and gives each caller the result of its own event (as index 0). AppSync limits publish
 * requests per connection, not events, so this multiplies what one connection can carry.
 */
export class PublishCoalescer<C> {
  readonly #pending = new Map<string, Pending<C>>();

  /** `send` gets the events and, in the same order, the context each caller gave (its message, say). */
  constructor(
    private readonly send: (channel: string, events: readonly unknown[], contexts: C[]) => Promise<PublishResult>,
    private readonly coalesceMs: number,
  ) {}

  add(channel: string, event: unknown, context: C): Promise<PublishResult> {
    // A bad event fails its own message here, before it can fail the batch it would have joined.
    encodeEvent(event);
    return new Promise((resolve, reject) => {
      let pending = this.#pending.get(channel);
      if (!pending) {
        pending = { items: [], timer: setTimeout(() => void this.#flushChannel(channel), this.coalesceMs) };
        this.#pending.set(channel, pending);
      }
      pending.items.push({ event, context, resolve, reject });
      if (pending.items.length >= MAX_EVENTS_PER_REQUEST) void this.#flushChannel(channel);
    });
  }

  /** Sends whatever waits now. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.#pending.keys()].map((channel) => this.#flushChannel(channel)));
  }

  async #flushChannel(channel: string): Promise<void> {
    const pending = this.#pending.get(channel);
    if (!pending) return;
    this.#pending.delete(channel);
    clearTimeout(pending.timer);
    const { items } = pending;
    try {
      const result = await this.send(channel, items.map((i) => i.event), items.map((i) => i.context));
      items.forEach((item, index) => item.resolve(resultForEvent(result, index)));
    } catch (err) {
      for (const item of items) item.reject(err);
    }
  }
}
