/**
 * A number of frames per turn of the event loop, refilled on the next turn. The client writes at most so many
 * publish frames per turn (the rest of a burst waits in the publish queue), and each socket reads at most so many
 * before it pauses until the next turn (socket-session.ts).
 *
 * Writing: a socket takes one write at a time, and the next waits for the previous one's completion, which only the
 * event loop delivers. Frames written in one long synchronous burst all wait in memory until the burst ends, and the
 * service starts on the first of them only then. In slices, the first frames are on the wire, and their answers
 * coming back, while the caller is still publishing the rest; and a request that waits in the queue keeps no
 * authorization, pending entry or frame while it waits.
 */
export class TurnBudget {
  #left: number;
  #refill: NodeJS.Immediate | undefined;

  constructor(private readonly perTurn: number) {
    this.#left = perTurn;
  }

  /** Takes one frame of this turn's budget; the first taken in a turn arranges the refill. */
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
