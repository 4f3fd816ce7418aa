/**
 * The service closes a connection after 24 hours (D-WS "maximum connection duration"), and may close it when the
 * credential it was opened with expires (not documented: UNCERTAIN). Either close would lose the events published
 * while the client reconnects, so the client replaces the connection before then, making the new one (connected
 * and subscribed) before it breaks the old one.
 */
export const MAX_CONNECTION_DURATION_MS = 24 * 3600_000;

/**
 * When to replace a connection made at `connectedAt`: a minute before it would be closed, or at 90 % of its life
 * when that is shorter. The connect credential's own renewal comes earlier (5 minutes before, or at 80 %:
 * renewal.ts), so the new connection opens with a fresh credential.
 */
export function rotationTime(connectedAt: number, credentialExpiresAt: number | undefined, maxDurationMs: number): number {
  const closesAt = Math.min(credentialExpiresAt ?? Infinity, connectedAt + maxDurationMs);
  return Math.max(closesAt - 60_000, connectedAt + 0.9 * (closesAt - connectedAt));
}

/** Events kept per subscription while both connections deliver: the overlap lasts one round trip. */
const MAX_OVERLAP_EVENTS = 1_000;

/**
 * While a subscription is active on both the old and the new connection (from the new one's subscribe_success to
 * the old one's unsubscribe_success), an event published in between arrives on both. Each side's events are
 * remembered; an event that the other side already delivered is dropped once. Events carry no id, so two equal
 * events published within that round trip, one seen only by each connection, would count as one (a case the
 * overlap makes possible but not likely).
 */
export class OverlapFilter {
  readonly #seen: [string[], string[]] = [[], []];

  /** Whether an event from `side` (0: old connection, 1: new) is delivered. */
  admits(side: 0 | 1, event: string): boolean {
    const other = this.#seen[side === 0 ? 1 : 0];
    const match = other.indexOf(event);
    if (match >= 0) {
      other.splice(match, 1);
      return false;
    }
    const mine = this.#seen[side];
    if (mine.length >= MAX_OVERLAP_EVENTS) mine.shift();
    mine.push(event);
    return true;
  }
}
