import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { SigV4Key } from './sigv4-verifier';

/**
 * The tokens and temporary keys the emulator's identity stand-ins hand out (Cognito user pool, OAuth2 client
 * credentials, Cognito identity pool), and the one place that says whether one is still accepted: signed by this
 * emulator, not expired, not revoked. Tokens are JWTs (HS256 with a key made at start), shaped like Cognito's so
 * that a client may read `exp` and `cognito:username` from them.
 */
export class IdentityIssuer {
  readonly #key = randomBytes(32);
  /** Revoking bumps the generation: every token and key issued before is refused. */
  #generation = 0;
  readonly #refreshTokens = new Map<string, { username: string; clientId: string; generation: number }>();
  readonly #keys = new Map<string, { key: Required<SigV4Key>; expiresAt: number; generation: number }>();

  constructor(
    readonly issuer: string,
    private readonly ttlSeconds: () => number,
    private readonly now: () => Date,
  ) {}

  /** An ID or access token for a user pool login, or an access token for client credentials. */
  token(claims: Record<string, unknown>): { token: string; expiresIn: number } {
    const iat = Math.floor(this.now().getTime() / 1000);
    const expiresIn = this.ttlSeconds();
    const payload = { ...claims, iss: this.issuer, iat, exp: iat + expiresIn, jti: `${this.#generation}.${randomUUID()}` };
    const head = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'appsync-events-local' })).toString('base64url');
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return { token: `${head}.${body}.${this.#sign(`${head}.${body}`)}`, expiresIn };
  }

  /** When a token this emulator issued stops being accepted (ms), or undefined if it is not accepted now. */
  tokenExpiry(token: string): number | undefined {
    const [head, body, signature] = token.split('.');
    if (!head || !body || !signature) return undefined;
    const expected = Buffer.from(this.#sign(`${head}.${body}`));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    if (typeof claims !== 'object' || claims === null || !('exp' in claims) || !('jti' in claims)) return undefined;
    const { exp, jti } = claims;
    if (typeof exp !== 'number' || typeof jti !== 'string' || !jti.startsWith(`${this.#generation}.`)) return undefined;
    return exp * 1000 > this.now().getTime() ? exp * 1000 : undefined;
  }

  /** The claims of a token this emulator issued and still accepts. */
  claims(token: string): Record<string, unknown> | undefined {
    if (this.tokenExpiry(token) === undefined) return undefined;
    const claims: unknown = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null ? { ...claims } : undefined;
  }

  refreshToken(username: string, clientId: string): string {
    const token = randomBytes(48).toString('base64url');
    this.#refreshTokens.set(token, { username, clientId, generation: this.#generation });
    return token;
  }

  /** The user a refresh token was issued to, if it is still accepted for this app client. */
  refreshTokenUser(token: string, clientId: string): string | undefined {
    const entry = this.#refreshTokens.get(token);
    return entry && entry.clientId === clientId && entry.generation === this.#generation ? entry.username : undefined;
  }

  /** Temporary IAM keys for an identity pool identity, accepted until they expire. */
  temporaryKey(): { key: Required<SigV4Key>; expiresAt: number } {
    const key = {
      accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(64).toString('base64'),
    };
    const expiresAt = this.now().getTime() + this.ttlSeconds() * 1000;
    this.#keys.set(key.accessKeyId, { key, expiresAt, generation: this.#generation });
    return { key, expiresAt };
  }

  /** A temporary key still accepted, and when it expires. */
  temporaryKeyFor(accessKeyId: string): { key: Required<SigV4Key>; expiresAt: number } | undefined {
    const entry = this.#keys.get(accessKeyId);
    if (!entry) return undefined;
    if (entry.generation !== this.#generation || entry.expiresAt <= this.now().getTime()) {
      this.#keys.delete(accessKeyId);
      return undefined;
    }
    return entry;
  }

  /** Refuses every token, refresh token and temporary key issued so far (the `revokeTokens` fault). */
  revokeAll(): void {
    this.#generation++;
    this.#refreshTokens.clear();
    this.#keys.clear();
  }

  /** Refuses the refresh tokens issued so far; tokens stay valid until they expire (the `revokeRefreshTokens` fault). */
  revokeRefreshTokens(): void {
    this.#refreshTokens.clear();
  }

  #sign(text: string): string {
    return createHmac('sha256', this.#key).update(text).digest('base64url');
  }
}
