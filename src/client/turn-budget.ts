/**
 * How many publish frames may be written in one turn of the event loop; the rest of a burst waits in the publish
 * queue for the next turns. A socket takes one write at a time, and the next waits for the previous one's
 * completion, which only the event loop delivers: frames written in one long synchronous burst all wait in memory
 * until the burst ends, and the service starts on the first of them only then. In slices, the first frames are
 * on the wire, and their answers coming back, while the caller is still publishing the rest; and a request that
 * waits in the queue keeps no authorization, pending entry or frame while it waits.
 */
export class TurnBudget {
  #left: number;
  #refill: NodeJS.Immediate | undefined;

  constructor(private readonly perTurn: number) {
    this.#left = perTurn;
  }

  /** Takes one frame of this turn's budget; the first frame taken in a turn arranges the refill. */
  take(): boolean {
    if (this.#left === 0) return false;
    this.#left--;
    this.#refill ??= setImmediate(() => {
      this.#refill = undefined;
      this.#left = this.perTurn;
    });
    return true;
  }
}
