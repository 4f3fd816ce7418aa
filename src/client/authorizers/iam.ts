import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { EventsError } from '../../protocol/errors';
import { SIGNING_PATH } from '../../protocol/signing-body';
import type { Authorizer } from '../authorizer';
import type { AwsCredentialProvider } from './credentials';

export interface IamAuthorizerOptions {
  region: string;
  credentials: AwsCredentialProvider;
  /** Fixed clock for tests. */
  now?: () => Date;
}

// Over WebSocket, the documented header set (D-WS "Authorization header example"); the service verifies
// against whatever SignedHeaders lists. Over HTTP these become real request headers, so we keep to what an
// ordinary JSON POST carries (no content-encoding).
const WEBSOCKET_HEADERS = {
  accept: 'application/json, text/javascript',
  'content-encoding': 'amz-1.0',
  'content-type': 'application/json; charset=UTF-8',
};
const HTTP_HEADERS = { accept: 'application/json', 'content-type': 'application/json' };

/**
 * AWS_IAM authorization: SigV4 (service `appsync`) over `POST <http endpoint>/event` with the exact body
 * of the operation (protocol.md §4.1). Credentials are fetched for every request, so refreshed or
 * re-assumed credentials take effect at once.
 */
export function iamAuthorizer(options: IamAuthorizerOptions): Authorizer {
  if (!options.region) {
    throw new EventsError({
      errorType: 'InvalidConfiguration',
      message: 'IAM authorization needs the API region; it is derived only from standard AppSync URLs, so set it for a custom domain',
    });
  }
  const signer = new SignatureV4({
    service: 'appsync',
    region: options.region,
    credentials: options.credentials,
    sha256: Hash.bind(null, 'sha256'),
  });
  return async (request) => {
    const url = new URL(request.httpUrl);
    const signed = await signer.sign(
      {
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: SIGNING_PATH,
        query: {},
        headers: { ...(request.transport === 'websocket' ? WEBSOCKET_HEADERS : HTTP_HEADERS), host: request.httpHost },
        body: request.body,
      },
      options.now ? { signingDate: options.now() } : undefined,
    );
    return { ...signed.headers };
  };
}
