import type { RenewableCredential } from './renewable-credential';
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

export type AuthorizationHeaders = Record<string, string>;

/**
 * Produces the authorization header object for one request. Called for every connect, subscribe and
 * publish, so a rotated key or refreshed token takes effect on the next operation. It may answer at once
 * (an API key in memory) or with a promise (IAM signing, a token from a store): an answer at once lets the
 * client send the frame in the same turn, with no promise per publish.
 */
export interface Authorizer {
  (request: AuthRequest): AuthorizationHeaders | Promise<AuthorizationHeaders>;
  /**
   * Called once when the service refused an operation authorized with `refused`: renews the token or credentials
   * behind it (unless they were already replaced). Resolves true when there is a new credential to retry the
   * operation with (the client then retries once), false when there is none.
   */
  renew?(refused: AuthorizationHeaders): Promise<boolean>;
  /**
   * When the credential behind `headers` (an answer of this authorizer) stops being accepted, in milliseconds since
   * 1970, if known: the client replaces a connection opened with it before then (connection-rotation.ts).
   */
  expiresAt?(headers: AuthorizationHeaders): number | undefined;
}

/** A secret given as a value or as a function called at each use (sync or async). */
export type SecretSource = string | (() => string | undefined | Promise<string | undefined>);

/** A token that renews itself (a Cognito login, OAuth2 client credentials): `renew(stale)` after the service refused `stale`. */
export type TokenProvider = RenewableCredential<string>;

export function readSecret(source: SecretSource): string | undefined | Promise<string | undefined> {
  return typeof source === 'function' ? source() : source;
}

/** Applies `use` to a value that may be a promise, staying synchronous when it is not. */
export function whenReady<T, R>(value: T | Promise<T>, use: (value: T) => R): R | Promise<R> {
  return value instanceof Promise ? value.then(use) : use(value);
}
