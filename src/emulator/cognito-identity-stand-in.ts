import { randomUUID } from 'node:crypto';
import { awsJsonError, stringMap, type AwsJsonAnswer } from './aws-json';
import type { IdentityConfig } from './identity-config';
import type { IdentityIssuer } from './identity-issuer';

// A stand-in for Cognito identity pools (AWS JSON 1.1, target AWSCognitoIdentityService.GetId and
// .GetCredentialsForIdentity), in the shapes and words of the Cognito Identity API reference. The temporary keys it
// hands out sign AppSync requests that the emulator accepts until they expire.

export class CognitoIdentityStandIn {
  /** Identity id → its pool. */
  readonly #identities = new Map<string, string>();

  constructor(
    private readonly config: IdentityConfig,
    private readonly issuer: IdentityIssuer,
  ) {}

  getId(request: Record<string, unknown>): AwsJsonAnswer {
    const poolId = typeof request.IdentityPoolId === 'string' ? request.IdentityPoolId : '';
    const pool = this.config.identityPools.get(poolId);
    if (!pool) return awsJsonError('ResourceNotFoundException', `IdentityPool '${poolId}' not found.`);
    const refused = this.#loginRefusal(request.Logins, pool.allowGuests ?? true);
    if (refused) return refused;
    const identityId = `${this.config.region}:${randomUUID()}`;
    this.#identities.set(identityId, poolId);
    return { ok: true, body: { IdentityId: identityId } };
  }

  getCredentialsForIdentity(request: Record<string, unknown>): AwsJsonAnswer {
    const identityId = typeof request.IdentityId === 'string' ? request.IdentityId : '';
    const poolId = this.#identities.get(identityId);
    const pool = poolId === undefined ? undefined : this.config.identityPools.get(poolId);
    if (!pool) return awsJsonError('ResourceNotFoundException', `Identity '${identityId}' not found.`);
    const refused = this.#loginRefusal(request.Logins, pool.allowGuests ?? true);
    if (refused) return refused;
    const { key, expiresAt } = this.issuer.temporaryKey();
    // AWS JSON timestamps are seconds since 1970.
    return { ok: true, body: { IdentityId: identityId, Credentials: { AccessKeyId: key.accessKeyId, SecretKey: key.secretAccessKey, SessionToken: key.sessionToken, Expiration: expiresAt / 1000 } } };
  }

  /** A guest without guest access, or a login that is not a live ID token of this emulator's user pool. */
  #loginRefusal(logins: unknown, allowGuests: boolean): AwsJsonAnswer | undefined {
    const entries = Object.entries(stringMap(logins));
    if (entries.length === 0) return allowGuests ? undefined : awsJsonError('NotAuthorizedException', 'Unauthenticated access is not supported for this identity pool.');
    const provider = `cognito-idp.${this.config.region}.amazonaws.com/${this.config.userPoolId}`;
    for (const [name, token] of entries) {
      if (name !== provider) return awsJsonError('NotAuthorizedException', `Invalid login token. Not a valid provider: ${name.slice(0, 200)}`);
      if (this.issuer.claims(token)?.token_use !== 'id') return awsJsonError('NotAuthorizedException', 'Invalid login token. Token expired or not an ID token of the user pool.');
    }
    return undefined;
  }
}
