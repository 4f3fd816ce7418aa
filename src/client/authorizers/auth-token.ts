import { EventsError } from '../../protocol/errors';
import { readSecret, whenReady, type Authorizer, type SecretSource, type TokenProvider } from '../authorizer';
import { withRenewal } from '../renewable-credential';

/**
 * Cognito user pools, OpenID Connect and Lambda authorization: the token in `Authorization` (D-WS).
 * The same path serves connect, subscribe and publish, so the Lambda token is never forgotten on
 * connect (amplify-js#14062). A function source is called at each use, so refreshed tokens take effect;
 * a `TokenProvider` is also renewed when the service refuses its token.
 */
export function authTokenAuthorizer(token: SecretSource | TokenProvider): Authorizer {
  const authorizer: Authorizer = () =>
    whenReady(readSecret(token), (secret) => {
      const value = secret?.trim();
      if (!value) throw new EventsError({ errorType: 'CredentialsError', message: 'no authorization token is set' });
      // `host` is required only in the connect object, where the client adds it (D-WS).
      return { Authorization: value };
    });
  const provider = typeof token === 'function' && 'renew' in token ? token : undefined;
  return provider ? withRenewal(authorizer, provider, (headers) => headers.Authorization ?? '') : authorizer;
}
