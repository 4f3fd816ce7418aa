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
