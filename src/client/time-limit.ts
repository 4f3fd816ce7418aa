/**
 * Node's timers take at most 2^31-1 ms; a larger delay fires after 1 ms with a TimeoutOverflowWarning (Node's docs,
 * setTimeout), which turns a long wait into a loop.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A delay as Node's timers take it: not below 0, not above MAX_TIMER_MS (a longer wait is cut, never fired at once). */
export function timerDelay(ms: number): number {
  return Number.isFinite(ms) ? Math.min(MAX_TIMER_MS, Math.max(0, ms)) : MAX_TIMER_MS;
}

/**
 * Whether a time limit setting limits anything: 0 (what many users mean by "no limit") or below means none.
 * A limit is never a 1 ms one that fails every attempt.
 */
export function isLimit(ms: number): boolean {
  return ms > 0;
}

/** `work`'s outcome (its rejection too), or undefined once `ms` have passed without one: the wait ends, the work goes on. */
export async function awaitAtMost<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, timerDelay(ms), undefined)));
  try {
    return await Promise.race([work, gaveUp]);
  } finally {
    clearTimeout(timer);
  }
}
