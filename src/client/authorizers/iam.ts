import type { SignatureV4 } from '@smithy/signature-v4';
import { EventsError } from '../../protocol/errors';
import { SIGNING_PATH } from '../../protocol/signing-body';
import type { Authorizer } from '../authorizer';
import type { AwsCredentialProvider } from './credentials';
import { withRenewal } from '../renewable-credential';

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
  let signer: Promise<SignatureV4> | undefined;
  const authorizer: Authorizer = async (request) => {
    signer ??= createSigner(options);
    const url = new URL(request.httpUrl);
    const signed = await (await signer).sign(
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
  return withRenewal(authorizer, options.credentials, signingKeyOf);
}

/** The access key id in a SigV4 `Authorization` header (`Credential=<id>/<date>/…`). */
function signingKeyOf(headers: Readonly<Record<string, string>>): string {
  const authorization = Object.entries(headers).find(([name]) => name.toLowerCase() === 'authorization')?.[1] ?? '';
  return /Credential=([^/,\s]+)\//.exec(authorization)?.[1] ?? '';
}

/**
 * The SigV4 signer is loaded on first use: the AWS SDK packages cost about 100 ms and 17 MB at start-up, which a
 * flow that uses an API key should not pay (on a Raspberry Pi, seconds of Node-RED start-up).
 */
async function createSigner(options: IamAuthorizerOptions): Promise<SignatureV4> {
  const [{ SignatureV4 }, { Hash }] = await Promise.all([import('@smithy/signature-v4'), import('@smithy/hash-node')]);
  return new SignatureV4({ service: 'appsync', region: options.region, credentials: options.credentials, sha256: Hash.bind(null, 'sha256') });
}
