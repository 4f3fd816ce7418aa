/** Events remembered or held per subscription while it moves: the move lasts a round trip or two. */
const MAX_MOVING_EVENTS = 10_000;

/** What to do with an event from the new connection. */
export type NewEventVerdict = 'hold' | 'full' | 'repeat' | 'deliver';

/**
 * One subscription moving from the old connection to the new one (connection-rotation.ts). The service fans each
 * publish out in the same order on both, so the old connection delivers A + D and the new one D + B, where D are the
 * events published while the subscription was active on both (from the new one's subscribe to the old one's
 * unsubscribe). Old events are delivered at once and remembered; new events are held until the old side has said its
 * last word (its unsubscribe is answered, or it closed).
 *
 * Then D is the longest end of the old stream that the new stream begins with, as far as it has come. The new
 * connection may not have delivered all of D yet: its socket lags the old one by whatever each was doing (seen in CI:
 * the old side's answer came before the new side's copy of D's last event). So the events of D still owed are kept
 * and the new stream's next events are compared with them and dropped while they match. With nothing held when the
 * old side ends, the first new event decides where D starts.
 *
 * Plain events carry no id, so equal events near each other may make D look longer than it was (then copies of a
 * repeated event are delivered fewer times); distinct events are always delivered exactly once. An envelope
 * (protocol/envelope.ts) carries a unique id in its text, so two envelopes compare equal only when their ids do: for
 * them the comparison is by id, and the caveat does not arise.
 */
export class MovingSubscription {
  #oldTail: string[] = [];
  /** New events held while the old connection still delivers; undefined once it has said its last word. */
  #held: string[] | undefined = [];
  /** The end of D that the new connection still owes, from `#next`; undefined until D is found. */
  #owed: string[] | undefined;
  #next = 0;

  /** An event from the old connection, which delivers it at once; until `settle`. */
  fromOld(event: string): void {
    if (this.#oldTail.length >= MAX_MOVING_EVENTS) this.#oldTail.shift();
    this.#oldTail.push(event);
  }

  /** An event from the new connection: held (`full` when too many are, as the old side is not answering), or after the old side ended, a repeat of D or new. */
  fromNew(event: string): NewEventVerdict {
    const held = this.#held;
    if (held) {
      held.push(event);
      return held.length < MAX_MOVING_EVENTS ? 'hold' : 'full';
    }
    if (this.#owed === undefined) return this.#align([event]).length === 0 ? 'repeat' : 'deliver';
    if (this.#next < this.#owed.length && this.#owed[this.#next] === event) {
      this.#next++;
      return 'repeat';
    }
    // Not the event D goes on with: D was shorter than it looked (equal events), and the rest is new.
    this.#next = this.#owed.length;
    return 'deliver';
  }

  /** The old side said its last word: the held events it did not deliver, in order. */
  settle(): readonly string[] {
    const held = this.#held ?? [];
    this.#held = undefined;
    return held.length === 0 ? [] : this.#align(held);
  }

  /** True once the new stream has gone past D: its events need no more comparing. */
  get done(): boolean {
    return this.#owed !== undefined && this.#next >= this.#owed.length;
  }

  /** Finds D from the first new events, keeps what of it is still owed, and returns the new events that are not in it. */
  #align(seen: readonly string[]): readonly string[] {
    const old = this.#oldTail;
    this.#oldTail = [];
    for (let d = old.length; d > 0; d--) {
      const start = old.length - d;
      const compared = Math.min(d, seen.length);
      let same = true;
      for (let i = 0; i < compared && same; i++) same = old[start + i] === seen[i];
      if (!same) continue;
      this.#owed = old.slice(start + compared);
      return seen.slice(compared);
    }
    this.#owed = [];
    return seen;
  }
}
