import { EventsError } from '../protocol/errors';
import { chunkEvents } from '../protocol/encoding';
import { MAX_EVENTS_PER_REQUEST } from '../protocol/limits';
import { mergeChunkResults, type PublishResult } from '../protocol/publish-result';

/**
 * Sends a batch as requests of at most 5 events and maps every result back to the caller's indices.
 * A chunk refused as a whole turns into `failed` entries carrying the service's errorType, unless every
 * chunk was refused: then the first error is thrown, since nothing was published.
 */
export async function publishInChunks(
  events: readonly string[],
  sendChunk: (chunk: readonly string[], offset: number) => Promise<PublishResult>,
): Promise<PublishResult> {
  // One request: its indices are already the caller's, and its error is the whole answer.
  if (events.length <= MAX_EVENTS_PER_REQUEST) return sendChunk(events, 0);
  const chunks = chunkEvents(events);
  let offset = 0;
  const started = chunks.map((chunk) => {
    const at = offset;
    offset += chunk.length;
    return { offset: at, size: chunk.length, promise: sendChunk(chunk, at) };
  });
  const settled = await Promise.allSettled(started.map((s) => s.promise));
  if (settled.every((s) => s.status === 'rejected')) throw (settled[0] as PromiseRejectedResult).reason;
  return mergeChunkResults(
    settled.map((s, i) => {
      const { offset: at, size } = started[i]!;
      if (s.status === 'fulfilled') return { offset: at, result: s.value };
      const err = s.reason instanceof EventsError ? s.reason : new EventsError({ errorType: 'UnknownError', message: String(s.reason) });
      return {
        offset: at,
        result: {
          successful: [],
          failed: Array.from({ length: size }, (_, index) => ({ identifier: '', index, code: err.errorType, message: err.message })),
        },
      };
    }),
  );
}
