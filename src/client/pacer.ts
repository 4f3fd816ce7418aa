/**
 * Spaces requests evenly at `rate` per second (0: no pacing), the way AppSync's quota counts them: "25 publish
 * requests per second per connection" (protocol.md §6). Even spacing never puts more than `rate` requests in any one
 * second, where a bucket of `rate` tokens would allow two bursts within one.
 */
export class Pacer {
  readonly #intervalMs: number;
  #next = 0;

  constructor(rate: number) {
    this.#intervalMs = rate > 0 && Number.isFinite(rate) ? 1000 / rate : 0;
  }

  get enabled(): boolean {
    return this.#intervalMs > 0;
  }

  /** Takes the next slot if it has come; false means wait `waitMs()`. */
  take(now = performance.now()): boolean {
    if (this.#intervalMs === 0) return true;
    if (now < this.#next) return false;
    this.#next = Math.max(now, this.#next) + this.#intervalMs;
    return true;
  }

  /** Milliseconds until the next slot. */
  waitMs(now = performance.now()): number {
    return Math.max(0, Math.ceil(this.#next - now));
  }

  /** Waits for a slot and takes it. */
  async slot(): Promise<void> {
    while (!this.take()) await new Promise((resolve) => setTimeout(resolve, this.waitMs()));
  }
}
