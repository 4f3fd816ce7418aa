import { EventsError } from '../protocol/errors';
import type { AuthorizationHeaders, Authorizer } from './authorizer';

/** One operation's authorization, as the client remembers it for a renewal. */
export interface AuthorizedAttempt {
  authorization?: AuthorizationHeaders;
  renewed?: boolean;
}

/**
 * Whether the service refused the credential itself, which new credentials may cure: an expired or revoked token,
 * or a signature made with expired keys. Not a channel handler's refusal (`Unauthorized`), and not a local failure
 * to obtain credentials (`CredentialsError`).
 */
export function refusesCredential(error: EventsError): boolean {
  return error.isAuthError && error.errorType !== 'CredentialsError' && error.errorType !== 'Unauthorized';
}

/**
 * An operation refused for its credential gets one forced renewal and one retry before the error reaches the
 * user. Returns the renewal when one is tried (it resolves true when the caller should retry), or undefined when
 * the error stands: the authorizer cannot renew, the refusal is not about the credential, or this attempt was
 * already renewed.
 */
export function renewalFor(attempt: AuthorizedAttempt, authorizer: Authorizer, error: EventsError): Promise<boolean> | undefined {
  if (attempt.renewed || !attempt.authorization || !authorizer.renew || !refusesCredential(error)) return undefined;
  attempt.renewed = true;
  // An authorizer is the caller's code: one that throws (a Node-RED authorizer node removed by a redeploy) fails the
  // renewal like one that rejects, never the socket handler that asked for it.
  try {
    return authorizer.renew(attempt.authorization);
  } catch (err) {
    return Promise.reject(err);
  }
}
