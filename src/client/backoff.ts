export interface BackoffOptions {
  baseDelayMs: number;
  maxDelayMs: number;
  random?: () => number;
}

/**
 * "Full jitter" exponential backoff: a uniform delay in [0, min(cap, base·2^attempt)], which spreads
 * reconnecting clients out instead of having them retry in lock-step.
 */
export function fullJitterDelay(attempt: number, options: BackoffOptions): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.min(attempt, 30));
  return Math.floor((options.random ?? Math.random)() * ceiling);
}
