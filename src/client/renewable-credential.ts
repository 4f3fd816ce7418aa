import type { AuthorizationHeaders, Authorizer } from './authorizer';

/**
 * A credential the authorizers take: a function for the current value (a token, or AWS keys), which may also renew it
 * after the service refused `stale` (the value as `identify` names it: the token, or the access key id), and tell when
 * the value named `identity` expires (ms since 1970). One type for every identity source: a new source is one file
 * that returns one of these (renewing-credential.ts makes them).
 */
export interface RenewableCredential<T> {
  (): Promise<T>;
  renew?(stale: string): Promise<void>;
  expiresAt?(identity: string): number | undefined;
}

/** The one adapter from a value's getter, its renewal and its expiry to the authorizers' type. */
export function renewableCredential<T>(get: () => Promise<T>, renew: (stale: string) => Promise<void>, expiresAt: (identity: string) => number | undefined): RenewableCredential<T> {
  return Object.assign(get, { renew, expiresAt });
}

/**
 * The one adapter from a credential to an authorizer's renewal: after the service refused headers the authorizer
 * made, the credential named in them (`identityOf`: the token, or the access key id of a signature) is renewed, and its
 * expiry is read the same way (connection-rotation.ts).
 */
export function withRenewal(authorizer: Authorizer, credential: RenewableCredential<unknown>, identityOf: (headers: AuthorizationHeaders) => string): Authorizer {
  if (credential.renew) {
    authorizer.renew = async (refused) => {
      await credential.renew?.(identityOf(refused));
      return true;
    };
  }
  if (credential.expiresAt) authorizer.expiresAt = (headers) => credential.expiresAt?.(identityOf(headers));
  return authorizer;
}
