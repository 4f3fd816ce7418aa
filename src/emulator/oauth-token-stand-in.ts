import type { IncomingHttpHeaders } from 'node:http';
import { sameSecret } from './secret-match';
import type { IdentityConfig } from './identity-config';
import type { IdentityIssuer } from './identity-issuer';

// A stand-in for an OAuth2 token endpoint (a Cognito domain's /oauth2/token) with the client credentials grant
// (RFC 6749 §4.4): the client authenticates with HTTP basic authentication or with client_id and client_secret in
// the form (§2.3.1), as Cognito allows.

export type OAuthAnswer = { status: number; body: Record<string, unknown> };

const oauthError = (error: string, status = 400): OAuthAnswer => ({ status, body: { error } });

function basicCredentials(headers: IncomingHttpHeaders): { id: string; secret: string } | undefined {
  const header = headers.authorization;
  if (typeof header !== 'string' || !/^Basic\s+/i.test(header)) return undefined;
  const text = Buffer.from(header.replace(/^Basic\s+/i, ''), 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  try {
    return { id: decodeURIComponent(text.slice(0, colon)), secret: decodeURIComponent(text.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

export function clientCredentialsToken(headers: IncomingHttpHeaders, body: Buffer, config: IdentityConfig, issuer: IdentityIssuer): OAuthAnswer {
  const form = new URLSearchParams(body.toString('utf8'));
  const given = basicCredentials(headers) ?? { id: form.get('client_id') ?? '', secret: form.get('client_secret') ?? '' };
  const client = config.clients.get(given.id);
  // Compared in constant time, as every secret the emulator checks.
  if (!client?.clientSecret || !sameSecret(given.secret, client.clientSecret)) return oauthError('invalid_client');
  if (form.get('grant_type') !== 'client_credentials') return oauthError('unsupported_grant_type');
  const scope = (form.get('scope') ?? '').trim();
  const { token, expiresIn } = issuer.token({ sub: client.clientId, client_id: client.clientId, token_use: 'access', scope: scope || 'default' });
  return { status: 200, body: { access_token: token, expires_in: expiresIn, token_type: 'Bearer' } };
}
