import { EventsError } from '../../protocol/errors';
import { readSecret, type Authorizer, type SecretSource } from '../authorizer';
import { amzDate } from './amz-date';

/** API_KEY authorization: `x-api-key` (D-PUBHTTP, D-WS). The key may be a function, read at each use. */
export function apiKeyAuthorizer(apiKey: SecretSource): Authorizer {
  return async (request) => {
    const key = (await readSecret(apiKey))?.trim();
    if (!key) throw new EventsError({ errorType: 'CredentialsError', message: 'no API key is set' });
    // `host` is required only in the connect object (D-WS); `x-amz-date` is sent by every official client.
    return { host: request.httpHost, 'x-amz-date': amzDate(new Date()), 'x-api-key': key };
  };
}
