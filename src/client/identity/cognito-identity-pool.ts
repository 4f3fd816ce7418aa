import type { CognitoIdentityClient } from '@aws-sdk/client-cognito-identity';
import { EventsError } from '../../protocol/errors';
import type { AwsCredentialProvider, AwsCredentials } from '../authorizers/credentials';
import type { NetworkSettings } from '../network';
import type { CognitoUserPoolSession } from './cognito-user-pool';
import { regionOfPool } from '../../protocol/aws-ids';
import { IDENTITY_HINTS, identityError } from './identity-errors';
import { renewableCredential } from '../renewable-credential';
import { RenewingCredential } from '../renewing-credential';
import { sdkEndpoint, sdkRequestHandler } from '../sdk-network';

export interface CognitoIdentityPoolOptions {
  /** `<region>:<uuid>`: the region comes from it. */
  identityPoolId: string;
  /** An authenticated identity: the user pool login whose ID token is the login. Without it, a guest identity. */
  login?: CognitoUserPoolSession;
  network?: NetworkSettings;
}

/**
 * Temporary IAM credentials from a Cognito identity pool (GetId, then GetCredentialsForIdentity: the "basic"
 * enhanced flow of the Cognito Identity API), for guests or for a user pool login, renewed before they expire.
 * The identity id is kept for the life of the provider, as the Amplify clients keep it.
 */
export function cognitoIdentityPoolCredentials(options: CognitoIdentityPoolOptions): AwsCredentialProvider {
  const poolId = options.identityPoolId.trim();
  const region = regionOfPool(poolId, 'identityPool');
  if (!region) throw new EventsError({ errorType: 'InvalidConfiguration', message: `"${options.identityPoolId}" is not an identity pool id (<region>:<uuid>)` });
  let client: CognitoIdentityClient | undefined;
  let identityId: string | undefined;
  const logins = async (): Promise<Record<string, string> | undefined> => {
    const login = options.login;
    if (!login) return undefined;
    // The provider name of a user pool login (Cognito "Integrating user pools with identity pools").
    return { [`cognito-idp.${login.region}.amazonaws.com/${login.userPoolId}`]: (await login.tokens()).idToken };
  };
  const obtain = async (): Promise<{ value: AwsCredentials; expiresAt?: number }> => {
    const Logins = await logins();
    try {
      const sdk = await import('@aws-sdk/client-cognito-identity');
      client ??= new sdk.CognitoIdentityClient({
        region,
        requestHandler: sdkRequestHandler(sdkEndpoint('COGNITO_IDENTITY', `https://cognito-identity.${region}.amazonaws.com`), options.network),
      });
      identityId ??= (await client.send(new sdk.GetIdCommand({ IdentityPoolId: poolId, Logins }))).IdentityId;
      if (!identityId) throw new EventsError({ errorType: 'CredentialsError', message: 'Cognito identity pool: GetId answered without an identity id' });
      const out = await client.send(new sdk.GetCredentialsForIdentityCommand({ IdentityId: identityId, Logins }));
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretKey) throw new EventsError({ errorType: 'CredentialsError', message: 'Cognito identity pool: answered without credentials' });
      return { value: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretKey, sessionToken: c.SessionToken, expiration: c.Expiration }, expiresAt: c.Expiration?.getTime() };
    } catch (err) {
      // An identity deleted from the pool is looked up again next time.
      if (err instanceof Error && err.name === 'ResourceNotFoundException') identityId = undefined;
      throw identityError(`Cognito identity pool ${poolId}`, guestRefusal(err, Logins), IDENTITY_HINTS.identityPool);
    }
  };
  const renewing = new RenewingCredential(obtain, (c) => c.accessKeyId);
  const { login } = options;
  if (!login) return renewing.provider();
  // A refused signature may come from a refused login: renewing it first gives the pool a fresh ID token.
  const renew = async (stale: string) => {
    await login.renew((await login.tokens()).idToken);
    await renewing.renew(stale);
  };
  return renewableCredential(() => renewing.get(), renew, (identity) => renewing.expiryOf(identity));
}

/** The pool's "Unauthenticated access is not supported" refusal, said as what to change. */
function guestRefusal(err: unknown, logins: Record<string, string> | undefined): unknown {
  if (logins || !(err instanceof Error) || err.name !== 'NotAuthorizedException') return err;
  return new EventsError({ errorType: 'CredentialsError', code: 'NotAuthorizedException', message: `guest access is disabled for this identity pool: allow unauthenticated identities, or set a login (${err.message})`, hint: IDENTITY_HINTS.identityPool, cause: err });
}
