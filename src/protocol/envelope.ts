// The envelope an events-publish node wraps each event in when its `envelope` setting is on: AppSync's `data` frame
// names only the subscription, and AppSync keeps no history, so the event itself says where it was published, by
// whom, and its place in that source's sequence on that channel. Plain JSON: any subscriber (Amplify's `events`
// client included) reads it.
import { isJsonObject } from './messages';

export interface Envelope {
  /** Unique, and the same on every resend of this event (a replay after a crash carries it again). */
  id: string;
  /** The publishing gateway (the endpoint's `sourceId`). */
  src: string;
  /** 1, 2, 3… per source and channel. */
  seq: number;
  /** Milliseconds since 1970, when the event was published. */
  ts: number;
  /** The channel the event was published to. */
  channel: string;
  data: unknown;
}

/** Whether an event is an envelope: all six fields, each of its type (`data` may be any JSON value but absent). */
export function isEnvelope(event: unknown): event is Envelope {
  if (!isJsonObject(event) || !('data' in event)) return false;
  const { id, src, seq, ts, channel } = event;
  return (
    typeof id === 'string' && id !== '' &&
    typeof src === 'string' &&
    typeof seq === 'number' && Number.isSafeInteger(seq) && seq > 0 &&
    typeof ts === 'number' && Number.isFinite(ts) &&
    typeof channel === 'string' && channel !== ''
  );
}

/**
 * How many `seq` numbers were skipped between the last one delivered and this one: 0 when it follows, and 0 when it
 * does not go forward (the source restarted its count, as it does without a file store), never below.
 */
export function missedBetween(lastSeq: number | undefined, seq: number): number {
  return lastSeq === undefined || seq <= lastSeq ? 0 : seq - lastSeq - 1;
}
