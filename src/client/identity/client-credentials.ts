import { isJsonObject } from '../../protocol/messages';
import { EventsError } from '../../protocol/errors';
import type { TokenProvider } from '../authorizer';
import { postText } from '../http-post';
import { routeFor, type NetworkSettings, type Route } from '../network';
import { tokenExpiry } from './jwt';
import { IDENTITY_HINTS } from './identity-errors';
import { RenewingCredential } from '../renewing-credential';

export interface ClientCredentialsOptions {
  /** The token endpoint: a Cognito domain's `https://<domain>/oauth2/token`, or any OAuth2 provider's. */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated scopes; the provider's default scopes when empty. */
  scope?: string;
  network?: NetworkSettings;
  /** Per request (default 15 s). */
  timeoutMs?: number;
}

/** A token answer is a few kilobytes; a larger one is not a token endpoint. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** What the user must change for each OAuth2 error code (RFC 6749 §5.2). */
const OAUTH_ERRORS: Record<string, string> = {
  invalid_client: 'the client id or client secret was refused',
  unauthorized_client: 'the app client may not use the client credentials grant: enable it (Cognito: "Client credentials" OAuth grant type)',
  invalid_scope: 'a scope was refused: check the scopes the app client may request',
  invalid_grant: 'the grant was refused',
  invalid_request: 'the token endpoint refused the request',
  unsupported_grant_type: 'the token endpoint does not support the client credentials grant',
};

/**
 * OAuth2 client credentials (RFC 6749 §4.4), the machine-to-machine flow: the client id and secret go in HTTP basic
 * authentication (§2.3.1), the token is renewed from `expires_in` before it expires (renewal.ts), through the
 * endpoint's proxy and TLS settings.
 */
export function clientCredentialsTokens(options: ClientCredentialsOptions): TokenProvider {
  let url: URL;
  try {
    url = new URL(options.tokenUrl.trim());
  } catch {
    throw new EventsError({ errorType: 'InvalidConfiguration', message: `the token URL "${options.tokenUrl}" is not a URL` });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new EventsError({ errorType: 'InvalidConfiguration', message: 'the token URL must be http or https' });
  if (!options.clientId.trim() || !options.clientSecret) throw new EventsError({ errorType: 'InvalidConfiguration', message: 'client credentials need a client id and a client secret' });
  const route = routeFor(url.href, options.network);
  return new RenewingCredential(async () => requestToken(url, route, options), (t) => t).provider();
}

async function requestToken(url: URL, route: Route, options: ClientCredentialsOptions): Promise<{ value: string; expiresAt: number }> {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (options.scope?.trim()) form.set('scope', options.scope.trim().split(/\s+/).join(' '));
  // RFC 6749 §2.3.1: the id and secret are form-encoded before they are joined for basic authentication.
  const basic = Buffer.from(`${encodeURIComponent(options.clientId.trim())}:${encodeURIComponent(options.clientSecret)}`).toString('base64');
  const answer = await postText(url, route, form.toString(), {
    headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
    timeoutMs: options.timeoutMs ?? 15_000,
    maxAnswerBytes: MAX_ANSWER_BYTES,
    tooLarge: () => new EventsError({ errorType: 'IdentityServiceUnavailable', message: `the token endpoint's answer is larger than ${MAX_ANSWER_BYTES} bytes`, retryable: true }),
    // Socket errors name hosts and codes, never the request's headers.
    scrub: (text) => text,
  });
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    body = undefined;
  }
  if (answer.status >= 200 && answer.status < 300 && isJsonObject(body) && typeof body.access_token === 'string' && body.access_token) {
    const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : undefined;
    return { value: body.access_token, expiresAt: tokenExpiry(body.access_token, expiresIn) };
  }
  const code = isJsonObject(body) && typeof body.error === 'string' ? body.error : undefined;
  const what = code ? (OAUTH_ERRORS[code] ?? code) : `HTTP ${answer.status}`;
  const retryable = code === undefined && (answer.status >= 500 || answer.status === 429);
  return Promise.reject(
    new EventsError({ errorType: retryable ? 'IdentityServiceUnavailable' : 'CredentialsError', code: code ?? answer.status, message: `OAuth2 token request to ${url.host}: ${what}${code ? ` (${code})` : ''}`, retryable, hint: IDENTITY_HINTS.oauth }),
  );
}
