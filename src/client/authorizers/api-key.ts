import { EventsError } from '../../protocol/errors';
import { readSecret, whenReady, type Authorizer, type SecretSource } from '../authorizer';
import { amzDate } from './amz-date';

/** API_KEY authorization: `x-api-key` (D-PUBHTTP, D-WS). The key may be a function, read at each use. */
export function apiKeyAuthorizer(apiKey: SecretSource): Authorizer {
  return () =>
    whenReady(readSecret(apiKey), (value) => {
      const key = value?.trim();
      if (!key) throw new EventsError({ errorType: 'CredentialsError', message: 'no API key is set' });
      // `host` is required only in the connect object, where the client adds it (D-WS); `x-amz-date` is sent
      // by every official client.
      return { 'x-amz-date': amzDate(Date.now()), 'x-api-key': key };
    });
}
