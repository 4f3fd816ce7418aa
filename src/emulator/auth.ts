import { parseChannel } from '../protocol/channel';
import type { ServiceErrorEntry } from '../protocol/messages';
import { SIGNING_PATH } from '../protocol/signing-body';
import type { IdentityIssuer } from './identity-issuer';
import type { AuthMode } from './namespaces';
import type { LambdaAuthorizer, LambdaOperation } from './lambda-authorizer';
import { matchesOne } from './secret-match';
import { verifySigV4, type SigV4Key } from './sigv4-verifier';

export interface AuthConfig {
  region: string;
  apiKeys: readonly string[];
  tokens: readonly string[];
  iam: ReadonlyMap<string, SigV4Key>;
  /** The tokens and temporary keys of the identity stand-ins, accepted until they expire. */
  issued: IdentityIssuer;
  /** Asked about tokens nothing else accepts (AWS_LAMBDA). */
  lambda?: LambdaAuthorizer;
  now: () => Date;
}

/**
 * An accepted credential: the authorization modes it satisfies (a namespace may allow only some), the `identity` a
 * handler sees, and, for an issued token or temporary key, when it stops being accepted.
 */
export type AuthOutcome = { ok: true; modes: readonly AuthMode[]; identity: unknown; expiresAt?: number } | { ok: false; error: ServiceErrorEntry; status: number };

/** A token given with `--token` may stand for any token mode: the emulator cannot tell a Cognito JWT from an OIDC one. */
const ANY_TOKEN_MODE: readonly AuthMode[] = ['AMAZON_COGNITO_USER_POOLS', 'OPENID_CONNECT', 'AWS_LAMBDA'];

/** Header names and values as the checks read them: names in lower case, values strings only. */
export type HeaderRecord = Readonly<Record<string, string>>;

/** The service's wording for a refused credential (protocol.md §2.4, §3.3 connection_error). */
const UNAUTHORIZED: ServiceErrorEntry = { errorType: 'UnauthorizedException', message: 'You are not authorized to make this call.', errorCode: 401 };

/**
 * Lower-cased names; values that are not strings (a JSON object from a hostile client, a repeated HTTP header)
 * count as absent.
 */
export function headerRecord(headers: Readonly<Record<string, unknown>>): HeaderRecord {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (typeof v === 'string') out[k.toLowerCase()] = v;
  return out;
}

/**
 * Checks one authorization header object (connect subprotocol, subscribe/publish `authorization`, or
 * real HTTP headers) against the configured credentials. Header names are case-insensitive (protocol.md §4).
 * IAM requests are verified as `POST /event` over `body` (connect `{}`, the rebuilt subscribe/publish body,
 * or the literal HTTP body); a function body is built only for IAM.
 */
export function checkAuthorization(h: HeaderRecord, body: string | Buffer | (() => string), config: AuthConfig): AuthOutcome {
  const apiKey = h['x-api-key'];
  if (apiKey !== undefined) return matchesOne(apiKey, config.apiKeys) ? { ok: true, modes: ['API_KEY'], identity: null } : { ok: false, error: UNAUTHORIZED, status: 401 };
  const authorization = h['authorization'];
  if (authorization === undefined) return { ok: false, error: UNAUTHORIZED, status: 401 };
  if (authorization.startsWith('AWS4-HMAC-SHA256')) {
    let expiresAt: number | undefined;
    const lookup = (id: string) => {
      const temporary = config.iam.has(id) ? undefined : config.issued.temporaryKeyFor(id);
      expiresAt = temporary?.expiresAt;
      return config.iam.get(id) ?? temporary?.key;
    };
    const result = verifySigV4({ method: 'POST', path: SIGNING_PATH, query: '', headers: h, body: typeof body === 'function' ? body() : body }, { region: config.region, service: 'appsync', lookup, now: config.now() });
    const accessKeyId = /Credential=([^/,\s]+)\//.exec(authorization)?.[1];
    if (result.ok) return { ok: true, modes: ['AWS_IAM'], identity: { accountId: '000000000000', username: accessKeyId, sourceIp: ['127.0.0.1'] }, expiresAt };
    return { ok: false, error: { errorType: result.errorType, message: result.message, errorCode: result.status }, status: result.status };
  }
  // "The header can use a Bearer scheme" (D-WS).
  const token = authorization.replace(/^Bearer\s+/i, '');
  if (matchesOne(token, config.tokens)) return { ok: true, modes: ANY_TOKEN_MODE, identity: null };
  const claims = config.issued.claims(token);
  const expiresAt = config.issued.tokenExpiry(token);
  if (!claims || expiresAt === undefined) return { ok: false, error: UNAUTHORIZED, status: 401 };
  // The identity of a user pool token, as a handler sees it (D-HANDLERS context reference).
  const identity = { sub: claims.sub, issuer: claims.iss, username: claims['cognito:username'] ?? claims.username ?? claims.client_id, claims, sourceIp: ['127.0.0.1'] };
  return { ok: true, modes: ['AMAZON_COGNITO_USER_POOLS', 'OPENID_CONNECT'], identity, expiresAt };
}

/** What an operation is, for a Lambda authorizer: which operation, and on which channel. */
export interface AuthRequest {
  operation: LambdaOperation;
  channel?: { namespace: string; path: string };
}

/**
 * `checkAuthorization`, then, for a token it does not accept, the Lambda authorizer if there is one: at once when the
 * answer is known, as a promise when the Lambda stand-in is asked.
 */
export function authorize(h: HeaderRecord, body: string | Buffer | (() => string), config: AuthConfig, request: AuthRequest): AuthOutcome | Promise<AuthOutcome> {
  const outcome = checkAuthorization(h, body, config);
  const authorization = h['authorization'];
  if (outcome.ok || !config.lambda || h['x-api-key'] !== undefined || authorization === undefined || authorization.startsWith('AWS4-HMAC-SHA256')) return outcome;
  return config.lambda.authorize(authorization.replace(/^Bearer\s+/i, ''), request.operation, request.channel).then(
    (verdict): AuthOutcome => (verdict.isAuthorized ? { ok: true, modes: ['AWS_LAMBDA'], identity: { handlerContext: verdict.handlerContext } } : outcome),
  );
}

/** The channel of an operation as a Lambda authorizer hears of it, when it is a channel at all. */
export function channelOf(text: string): { namespace: string; path: string } | undefined {
  try {
    const channel = parseChannel(text, 'subscribe');
    return { namespace: channel.namespace, path: channel.path };
  } catch {
    return undefined;
  }
}
