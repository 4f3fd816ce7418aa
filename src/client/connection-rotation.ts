/**
 * The service closes a connection after 24 hours (D-WS "maximum connection duration"), and may close it when the
 * credential it was opened with expires (not documented: UNCERTAIN). Either close would lose the events published
 * while the client reconnects, so the client replaces the connection before then, making the new one (connected
 * and subscribed) before it breaks the old one.
 */
export const MAX_CONNECTION_DURATION_MS = 24 * 3600_000;

/** The least time left for opening, subscribing and moving before the old connection closes. */
const MIN_MARGIN_MS = 500;

/**
 * When to replace a connection made at `connectedAt`: a minute before it would be closed, or at 90 % of its life
 * when that is shorter, but never with less than half a second left (a connection opened with a credential near its
 * end is replaced at once). The connect credential's own renewal comes earlier (5 minutes before, or at 80 %:
 * renewal.ts), so the new connection opens with a fresh credential.
 */
export function rotationTime(connectedAt: number, credentialExpiresAt: number | undefined, maxDurationMs: number): number {
  const closesAt = Math.min(credentialExpiresAt ?? Infinity, connectedAt + maxDurationMs);
  const margin = Math.min(60_000, Math.max(MIN_MARGIN_MS, 0.1 * (closesAt - connectedAt)));
  return Math.max(connectedAt, closesAt - margin);
}

/** Events remembered or held per subscription while it moves: the move lasts a round trip or two. */
const MAX_MOVING_EVENTS = 10_000;

/**
 * One subscription moving from the old connection to the new one. The service fans each publish out in the same
 * order on both, so the old connection delivers A + D and the new one D + B, where D are the events published while
 * the subscription was active on both (from the new one's subscribe to the old one's unsubscribe). Old events are
 * delivered at once and the last ones remembered; new events are held until the old side has said its last word
 * (its unsubscribe is answered, or it closed). Then the longest run of held events that repeats the end of the old
 * stream is D, dropped; the rest is delivered. Events carry no id, so equal events next to each other in the stream
 * may make D look longer than it was (then copies of a repeated event are delivered fewer times); distinct events
 * are always delivered exactly once.
 */
export class MovingSubscription {
  readonly #oldTail: string[] = [];
  readonly #held: string[] = [];

  /** An event from the old connection: delivered at once. */
  fromOld(event: string): void {
    if (this.#oldTail.length >= MAX_MOVING_EVENTS) this.#oldTail.shift();
    this.#oldTail.push(event);
  }

  /** An event from the new connection: held. False when too many are held (the old side is not answering). */
  fromNew(event: string): boolean {
    this.#held.push(event);
    return this.#held.length < MAX_MOVING_EVENTS;
  }

  /** The old side is done: the held events that the old connection did not already deliver, in order. */
  settle(): string[] {
    const old = this.#oldTail;
    const held = this.#held;
    for (let k = Math.min(old.length, held.length); k > 0; k--) {
      let same = true;
      for (let i = 0; i < k && same; i++) same = old[old.length - k + i] === held[i];
      if (same) return held.slice(k);
    }
    return held;
  }
}
