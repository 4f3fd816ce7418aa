import { fullJitterDelay } from './backoff';

/** The answers that mean "too many requests": retried with backoff, not reported (LimitExceededError over WebSocket, 429 over HTTP). */
export function isThrottled(error: { errorType: string; code: number | string | undefined }): boolean {
  return error.errorType === 'LimitExceededError' || error.errorType === 'TooManyRequestsException' || error.errorType === 'ThrottlingException' || error.code === 429;
}

/**
 * The one wait before sending again what was throttled, over either transport: full jitter up to 100 ms after the
 * first throttling in a row, doubling to 500 ms. Longer waits overshoot AppSync's per-second rate window: with a 2 s
 * ceiling a burst against 25 requests/s carried 82 events/s, with 500 ms 113 (test/chaos/faults.chaos.ts).
 */
export function throttleBackoffMs(inARow: number, random?: () => number): number {
  return fullJitterDelay(inARow, { baseDelayMs: 50, maxDelayMs: 500, random });
}
