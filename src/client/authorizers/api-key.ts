import { EventsError } from '../../protocol/errors';
import { readSecret, whenReady, type AuthorizationHeaders, type Authorizer, type SecretSource } from '../authorizer';
import { amzDate } from './amz-date';

/** API_KEY authorization: `x-api-key` (D-PUBHTTP, D-WS). The key may be a function, read at each use. */
export function apiKeyAuthorizer(apiKey: SecretSource): Authorizer {
  // One object while the key and the second stay the same: every publish in flight keeps its authorization.
  let headers: AuthorizationHeaders = {};
  return () =>
    whenReady(readSecret(apiKey), (value) => {
      const key = value?.trim();
      if (!key) throw new EventsError({ errorType: 'CredentialsError', message: 'no API key is set' });
      // `host` is required only in the connect object, where the client adds it (D-WS); `x-amz-date` is sent
      // by every official client.
      const date = amzDate(Date.now());
      if (headers['x-amz-date'] !== date || headers['x-api-key'] !== key) headers = { 'x-amz-date': date, 'x-api-key': key };
      return headers;
    });
}
