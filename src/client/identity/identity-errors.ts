import { EventsError } from '../../protocol/errors';

/** What the AWS SDK v3 puts on a service exception: its name, and whether the fault is the server's. */
interface SdkFailure {
  name?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

function sdkFailure(err: unknown): SdkFailure {
  return typeof err === 'object' && err !== null ? err : {};
}

/**
 * What a user must change for each refusal of the Cognito services, by exception name (the InitiateAuth,
 * GetId and GetCredentialsForIdentity references). The service's own message is added after it: it names no
 * secret ("Incorrect username or password.", "Unable to verify secret hash for client …").
 */
const ADVICE: Record<string, string> = {
  NotAuthorizedException: 'the user name or password (or the app client secret) was refused, or the identity pool does not allow this login',
  UserNotFoundException: 'the user name or password was refused',
  UserNotConfirmedException: 'the user is not confirmed: confirm it in the Cognito console or with its code',
  PasswordResetRequiredException: 'the user must reset the password before logging in',
  ResourceNotFoundException: 'the app client, user pool or identity pool does not exist in this region: check the ids',
  InvalidParameterException: 'the request was refused: enable ALLOW_USER_PASSWORD_AUTH and ALLOW_REFRESH_TOKEN_AUTH on the app client',
  InvalidIdentityPoolConfigurationException: 'the identity pool has no role for this identity: set its authenticated and guest roles',
  UserLambdaValidationException: 'a Lambda trigger of the user pool refused the login',
};

/** What to check, by service: the generic CredentialsError hint speaks of AWS keys, which these sources have none of. */
export const IDENTITY_HINTS = {
  userPool: "Check the authorizer's user pool ID, app client ID, user name, password and client secret.",
  identityPool: "Check the authorizer's identity pool ID, whether the pool allows guests, its roles, and the login authorizer.",
  oauth: "Check the authorizer's token URL, client ID, client secret and scopes.",
} as const;

/** The challenges InitiateAuth may answer with, which a headless login cannot answer. */
export function challengeError(challenge: string): EventsError {
  const what =
    challenge === 'NEW_PASSWORD_REQUIRED'
      ? 'the user must set a new password first (sign in once in the hosted UI or with the AWS CLI)'
      : /MFA/.test(challenge)
        ? 'the user has multi-factor authentication: use a user or app client without it, or OAuth2 client credentials'
        : 'the user pool asks for a challenge the node cannot answer: use a user or app client without it, or OAuth2 client credentials';
  return new EventsError({ errorType: 'CredentialsError', code: challenge, message: `Cognito login: ${what} (${challenge})`, hint: IDENTITY_HINTS.userPool });
}

/**
 * An error from a Cognito SDK call, as the user sees it. Refusals are permanent `CredentialsError`s (an `auth
 * error` status, retried slowly); throttling, server faults and network failures are retryable.
 */
export function identityError(what: string, err: unknown, hint: string): EventsError {
  if (err instanceof EventsError) return err;
  const f = sdkFailure(err);
  const name = typeof f.name === 'string' ? f.name : 'Error';
  const message = typeof f.message === 'string' ? f.message : String(err);
  const status = typeof f.$metadata?.httpStatusCode === 'number' ? f.$metadata.httpStatusCode : undefined;
  const advice = ADVICE[name];
  const transient = f.$fault === 'server' || status === undefined || status >= 500 || status === 429 || /TooManyRequests|Throttl|LimitExceeded/.test(name);
  if (advice || !transient) {
    return new EventsError({ errorType: 'CredentialsError', code: name, message: `${what}: ${advice ?? name}${message && message !== name ? ` (${message})` : ''}`, hint, cause: err });
  }
  return new EventsError({ errorType: 'IdentityServiceUnavailable', code: name, message: `${what}: ${message}`, retryable: true, hint: 'The identity service could not be reached; the node tries again.', cause: err });
}
