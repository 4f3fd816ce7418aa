import { throttleBackoffMs } from './throttling';
import type { PublishRequest } from './publish-queue';

/**
 * Publish requests AppSync throttled (`LimitExceededError`), held back together: after a full-jitter backoff, and once
 * no other publish is still owed an answer, they go back to the front of the queue in the order they were sent, and
 * the queue goes on. While a hold lasts nothing new is sent, so nothing behind a throttled publish overtakes it (a
 * timer per throttled request would let later ones go first). Throttling is retried until the publish is delivered,
 * never reported: the request timeout bounds each attempt, not the wait.
 *
 * After a hold, publishes go one at a time until the queue is empty: a round of pipelined retries can straddle the
 * service's rate window, and one accepted in the new window would overtake one throttled in the old. At the quota
 * that costs nothing (one round trip is shorter than 1/25 s). What remains: when the first throttling of a burst
 * comes, a publish already in flight behind it may be accepted ahead of it if the window turns between the two;
 * pacing (`publishRate`) avoids throttling altogether.
 */
export class ThrottleHold {
  #held: PublishRequest[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** Throttling episodes in a row, for the backoff: reset once a publish goes through. */
  #attempt = 0;
  #waitingForAnswers = false;
  #oneAtATime = false;

  constructor(
    /** Puts the held requests back at the front of the queue, in order, and resumes sending. */
    private readonly release: (requests: PublishRequest[]) => void,
    /** Whether a publish is still owed an answer on the connection. */
    private readonly publishesInFlight: () => boolean,
  ) {}

  get active(): boolean {
    return this.#held.length > 0;
  }

  /** Since the last hold ended, and until the queue is empty, publishes go one at a time. */
  get oneAtATime(): boolean {
    return this.#oneAtATime;
  }

  /** The queue is empty and no publish is owed an answer: pipelining resumes. */
  drained(): void {
    this.#oneAtATime = false;
  }

  hold(request: PublishRequest): void {
    this.#held.push(request);
    if (this.#timer || this.#waitingForAnswers) return;
    this.#timer = setTimeout(() => this.#backedOff(), throttleBackoffMs(++this.#attempt));
  }

  /** A publish was answered, or the connection's were taken back: the hold ends once none is owed. */
  answered(): void {
    if (this.#waitingForAnswers && !this.publishesInFlight()) this.#release();
  }

  /** A publish went through: the next throttling starts its backoff afresh. */
  accepted(): void {
    if (this.#attempt > 0 && !this.active) this.#attempt = 0;
  }

  /** Ends the hold without sending (the client is closed or failed): the held requests, for the caller to fail. */
  clear(): PublishRequest[] {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#waitingForAnswers = false;
    this.#oneAtATime = false;
    const held = this.#held;
    this.#held = [];
    return held;
  }

  #backedOff(): void {
    this.#timer = undefined;
    if (this.publishesInFlight()) this.#waitingForAnswers = true;
    else this.#release();
  }

  #release(): void {
    this.#waitingForAnswers = false;
    this.#oneAtATime = true;
    const held = this.#held;
    this.#held = [];
    this.release(held);
  }
}
