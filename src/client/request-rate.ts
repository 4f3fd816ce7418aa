/** Requests per second, for getStats: the count of the last whole second (0 when that second saw none). */
export class RequestRate {
  #second = 0;
  #count = 0;
  #previous = 0;

  add(requests: number, now = Date.now()): void {
    this.#roll(Math.floor(now / 1000));
    this.#count += requests;
  }

  perSecond(now = Date.now()): number {
    this.#roll(Math.floor(now / 1000));
    return this.#previous;
  }

  #roll(second: number): void {
    if (second === this.#second) return;
    this.#previous = second === this.#second + 1 ? this.#count : 0;
    this.#second = second;
    this.#count = 0;
  }
}
