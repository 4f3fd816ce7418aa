export type Operation = 'connect' | 'subscribe' | 'publish';
export type Transport = 'websocket' | 'http';

/** What an authorizer is asked to authorize. `body` is the exact body IAM must sign (protocol.md §4.1). */
export interface AuthRequest {
  operation: Operation;
  transport: Transport;
  /** The HTTP endpoint URL (`…/event`); every signed request targets it, connect included. */
  httpUrl: string;
  /** Host of the HTTP endpoint, the `host` of every authorization object. */
  httpHost: string;
  readonly body: string;
  channel?: string;
}

/**
 * Produces the authorization header object for one request. Called for every connect, subscribe and
 * publish, so a rotated key or refreshed token takes effect on the next operation.
 */
export type Authorizer = (request: AuthRequest) => Promise<Record<string, string>>;

/** A secret given as a value or as a function called at each use (sync or async). */
export type SecretSource = string | (() => string | undefined | Promise<string | undefined>);

export async function readSecret(source: SecretSource): Promise<string | undefined> {
  return typeof source === 'function' ? source() : source;
}
