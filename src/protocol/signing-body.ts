// The request bodies that IAM signs for each WebSocket operation (D-WS; protocol.md §4.1).
// The service rebuilds these from the message it receives, so they must be compact JSON with the keys in
// this order and `/` not escaped — exactly what JSON.stringify produces.

export const CONNECT_SIGNING_BODY = '{}';

export function subscribeSigningBody(channel: string): string {
  return JSON.stringify({ channel });
}

export function publishSigningBody(channel: string, events: readonly string[]): string {
  return JSON.stringify({ channel, events });
}

/** The canonical URI of every signed request, connect included (I-14001, fixed by amplify-js PR #14003). */
export const SIGNING_PATH = '/event';
