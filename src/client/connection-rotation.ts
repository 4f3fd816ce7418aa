/**
 * The service closes a connection after 24 hours (D-WS "maximum connection duration"), and may close it when the
 * credential it was opened with expires (not documented: UNCERTAIN). Either close would lose the events published
 * while the client reconnects, so the client replaces the connection before then, making the new one (connected
 * and subscribed) before it breaks the old one.
 */
export const MAX_CONNECTION_DURATION_MS = 24 * 3600_000;

/** The least time left for opening, subscribing and moving before the old connection closes. */
const MIN_MARGIN_MS = 500;

/**
 * When to replace a connection made at `connectedAt`: a minute before it would be closed, or at 90 % of its life
 * when that is shorter, but never with less than half a second left (a connection opened with a credential near its
 * end is replaced at once). The connect credential's own renewal comes earlier (5 minutes before, or at 80 %:
 * renewal.ts), so the new connection opens with a fresh credential.
 */
export function rotationTime(connectedAt: number, credentialExpiresAt: number | undefined, maxDurationMs: number): number {
  const closesAt = Math.min(credentialExpiresAt ?? Infinity, connectedAt + maxDurationMs);
  const margin = Math.min(60_000, Math.max(MIN_MARGIN_MS, 0.1 * (closesAt - connectedAt)));
  return Math.max(connectedAt, closesAt - margin);
}
