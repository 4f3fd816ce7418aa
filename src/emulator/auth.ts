import type { ServiceErrorEntry } from '../protocol/messages';
import { SIGNING_PATH } from '../protocol/signing-body';
import { verifySigV4, type SigV4Key } from './sigv4-verifier';

export interface AuthConfig {
  region: string;
  apiKeys: ReadonlySet<string>;
  tokens: ReadonlySet<string>;
  iam: ReadonlyMap<string, SigV4Key>;
  now: () => Date;
}

export type AuthMode = 'API_KEY' | 'AUTH_TOKEN' | 'AWS_IAM';

export type AuthOutcome = { ok: true; mode: AuthMode } | { ok: false; error: ServiceErrorEntry; status: number };

/** The service's wording for a refused credential (protocol.md §2.4, §3.3 connection_error). */
const UNAUTHORIZED: ServiceErrorEntry = { errorType: 'UnauthorizedException', message: 'You are not authorized to make this call.', errorCode: 401 };

function lowerCase(headers: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}

/**
 * Checks one authorization header object (connect subprotocol, subscribe/publish `authorization`, or
 * real HTTP headers) against the configured credentials. Header names are case-insensitive (protocol.md §4).
 * IAM requests are verified as `POST /event` over `body` (connect `{}`, the rebuilt subscribe/publish body,
 * or the literal HTTP body); a function body is built only for IAM.
 */
export function checkAuthorization(headers: Readonly<Record<string, string | undefined>>, body: string | Buffer | (() => string), config: AuthConfig): AuthOutcome {
  const h = lowerCase(headers);
  const apiKey = h['x-api-key'];
  if (apiKey !== undefined) return config.apiKeys.has(apiKey) ? { ok: true, mode: 'API_KEY' } : { ok: false, error: UNAUTHORIZED, status: 401 };
  const authorization = h['authorization'];
  if (authorization === undefined) return { ok: false, error: UNAUTHORIZED, status: 401 };
  if (authorization.startsWith('AWS4-HMAC-SHA256')) {
    const result = verifySigV4(
      { method: 'POST', path: SIGNING_PATH, query: '', headers: h, body: typeof body === 'function' ? body() : body },
      { region: config.region, service: 'appsync', lookup: (id) => config.iam.get(id), now: config.now() },
    );
    if (result.ok) return { ok: true, mode: 'AWS_IAM' };
    return { ok: false, error: { errorType: result.errorType, message: result.message, errorCode: result.status }, status: result.status };
  }
  // "The header can use a Bearer scheme" (D-WS).
  const token = authorization.replace(/^Bearer\s+/i, '');
  return config.tokens.has(token) ? { ok: true, mode: 'AUTH_TOKEN' } : { ok: false, error: UNAUTHORIZED, status: 401 };
}
