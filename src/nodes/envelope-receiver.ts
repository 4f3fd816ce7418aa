import { missedBetween, type Envelope } from '../protocol/envelope';

/** How many envelope ids a subscribe node remembers to drop a repeat: the last 10,000 it delivered. */
export const REMEMBERED_IDS = 10_000;

/** What one subscribe node makes of an envelope: a repeat to drop, or an event and how many before it were missed. */
export type EnvelopeVerdict = { repeat: true } | { repeat: false; gap: number };

/**
 * The ids a subscribe node delivered lately and the last `seq` of each source and channel: the file store sends at
 * least once and AppSync keeps no history, so the node drops a repeat and counts what it missed. Both memories are
 * bounded (the oldest entry goes first), so a flood of sources or ids cannot grow the heap without limit.
 */
export class EnvelopeReceiver {
  readonly #ids = new Set<string>();
  readonly #lastSeq = new Map<string, number>();

  receive(envelope: Envelope): EnvelopeVerdict {
    if (this.#ids.has(envelope.id)) return { repeat: true };
    remember(this.#ids, envelope.id);
    const line = `${envelope.src}\u0000${envelope.channel}`;
    const gap = missedBetween(this.#lastSeq.get(line), envelope.seq);
    this.#lastSeq.delete(line);
    this.#lastSeq.set(line, envelope.seq);
    if (this.#lastSeq.size > REMEMBERED_IDS) this.#lastSeq.delete(this.#lastSeq.keys().next().value ?? '');
    return { repeat: false, gap };
  }
}

/** Adds `id`, forgetting the oldest once there are more than REMEMBERED_IDS (a Set iterates in insertion order). */
function remember(ids: Set<string>, id: string): void {
  ids.add(id);
  if (ids.size > REMEMBERED_IDS) ids.delete(ids.values().next().value ?? '');
}
