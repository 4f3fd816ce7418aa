/** A JWT's payload, or an empty object when the token is not a JWT (claims are only read, never trusted). */
export function jwtClaims(token: string): Record<string, unknown> {
  try {
    const claims: unknown = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? { ...claims } : {};
  } catch {
    return {};
  }
}

/**
 * When a token expires: its `exp` claim when it is a JWT, else `expiresInSeconds` from now (1 hour when unknown).
 * The earlier of the two: `expires_in` is a whole number of seconds counted when the answer left the server, while
 * `exp` is what the service checks.
 */
export function tokenExpiry(token: string, expiresInSeconds: number | undefined): number {
  const fromAnswer = Date.now() + (expiresInSeconds ?? 3600) * 1000;
  const exp = jwtClaims(token).exp;
  return typeof exp === 'number' && Number.isFinite(exp) ? Math.min(exp * 1000, fromAnswer) : fromAnswer;
}
