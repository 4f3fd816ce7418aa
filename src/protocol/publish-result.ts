import type { FailedEvent, SuccessfulEvent } from './messages';

export interface PublishResult {
  successful: SuccessfulEvent[];
  failed: FailedEvent[];
}

export type PublishStatus = 'successful' | 'failed' | 'partial';

export function publishStatus(result: PublishResult): PublishStatus {
  if (result.failed.length === 0) return 'successful';
  return result.successful.length === 0 ? 'failed' : 'partial';
}

/** Merges the results of consecutive chunks, mapping each chunk's indices back to the caller's. */
export function mergeChunkResults(parts: ReadonlyArray<{ offset: number; result: PublishResult }>): PublishResult {
  const merged: PublishResult = { successful: [], failed: [] };
  for (const { offset, result } of parts) {
    for (const s of result.successful) merged.successful.push({ ...s, index: s.index + offset });
    for (const f of result.failed) merged.failed.push({ ...f, index: f.index + offset });
  }
  merged.successful.sort((a, b) => a.index - b.index);
  merged.failed.sort((a, b) => a.index - b.index);
  return merged;
}

/** The part of a request's result about event `index`, as the result of a request of that event alone (index 0). */
export function resultForEvent(result: PublishResult, index: number): PublishResult {
  return {
    successful: result.successful.filter((s) => s.index === index).map((s) => ({ ...s, index: 0 })),
    failed: result.failed.filter((f) => f.index === index).map((f) => ({ ...f, index: 0 })),
  };
}

/** Every event index of a request of `count` events appears once, in `successful` or in `failed` (D-WS, D-PUBHTTP). */
export function accountsForEvery(result: PublishResult, count: number): boolean {
  if (result.successful.length + result.failed.length !== count) return false;
  // A bit per index: at most 5 events per request, and this runs for every acknowledgement.
  let seen = 0;
  for (const list of [result.successful, result.failed]) {
    for (const e of list) {
      const bit = 1 << e.index;
      if (e.index >= count || seen & bit) return false;
      seen |= bit;
    }
  }
  return true;
}
