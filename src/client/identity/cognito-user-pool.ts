import type { CognitoIdentityProviderClient, InitiateAuthCommandOutput } from '@aws-sdk/client-cognito-identity-provider';
import { createHmac } from 'node:crypto';
import { EventsError } from '../../protocol/errors';
import { regionOfPool } from '../../protocol/aws-ids';
import type { TokenProvider } from '../authorizer';
import type { NetworkSettings } from '../network';
import { challengeError, IDENTITY_HINTS, identityError } from './identity-errors';
import { jwtClaims, tokenExpiry } from './jwt';
import { renewableCredential } from '../renewable-credential';
import { RenewingCredential } from '../renewing-credential';
import { sdkEndpoint, sdkRequestHandler } from '../sdk-network';

export interface CognitoUserPoolOptions {
  /** `<region>_<id>`, e.g. `us-east-1_AbCdEf123`: the region comes from it. */
  userPoolId: string;
  clientId: string;
  username: string;
  password: string;
  /** For app clients that have a secret: the SECRET_HASH of every call is computed from it. */
  clientSecret?: string;
  /** TLS settings and a proxy for the calls to Cognito. */
  network?: NetworkSettings;
}

/** The tokens of one login. */
export interface CognitoTokens {
  idToken: string;
  accessToken: string;
}

/** SECRET_HASH = Base64(HMAC-SHA256(client secret, user name + client id)) (Cognito "Computing secret hash values"). */
export function secretHash(clientSecret: string, username: string, clientId: string): string {
  return createHmac('sha256', clientSecret).update(username + clientId, 'utf8').digest('base64');
}

/**
 * A Cognito user pool login (USER_PASSWORD_AUTH) that keeps itself valid: the refresh token stays in memory and
 * renews the tokens (REFRESH_TOKEN_AUTH) before they expire; when the refresh token is refused (expired, revoked),
 * it logs in again with the password. Calls go through the AWS SDK client, loaded on first use, so its standard
 * settings apply (AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, retries).
 */
export class CognitoUserPoolSession {
  readonly region: string;
  readonly #options: CognitoUserPoolOptions;
  readonly #tokens: RenewingCredential<CognitoTokens>;
  #client: CognitoIdentityProviderClient | undefined;
  #refresh: { token: string; username: string } | undefined;

  constructor(options: CognitoUserPoolOptions) {
    const region = regionOfPool(options.userPoolId, 'userPool');
    if (!region) throw new EventsError({ errorType: 'InvalidConfiguration', message: `"${options.userPoolId}" is not a user pool id (<region>_<id>, e.g. us-east-1_AbCdEf123)` });
    if (!options.clientId.trim()) throw new EventsError({ errorType: 'InvalidConfiguration', message: 'a Cognito login needs the app client id' });
    this.region = region;
    this.#options = options;
    this.#tokens = new RenewingCredential(() => this.#obtain(), (t) => t.idToken + t.accessToken);
  }

  get userPoolId(): string {
    return this.#options.userPoolId.trim();
  }

  tokens(): Promise<CognitoTokens> {
    return this.#tokens.get();
  }

  /** When `token`, if it is the current ID or access token, expires. */
  expiresAt(token: string): number | undefined {
    const current = this.#tokens.peek();
    return current && (token === current.idToken || token === current.accessToken) ? this.#tokens.expiryOf(current.idToken + current.accessToken) : undefined;
  }

  /** After the service refused `stale` (an ID or access token of this session): renews unless already renewed. */
  async renew(stale: string): Promise<void> {
    const current = await this.#tokens.get().catch(() => undefined);
    if (current && current.idToken !== stale && current.accessToken !== stale) return;
    await this.#tokens.renew(current ? current.idToken + current.accessToken : '');
  }

  /** The ID token (what AppSync's docs name) or the access token (what Amplify sends), as a renewing provider. */
  provider(tokenUse: 'id' | 'access'): TokenProvider {
    const get = async () => {
      const t = await this.tokens();
      return tokenUse === 'access' ? t.accessToken : t.idToken;
    };
    return renewableCredential(get, (stale) => this.renew(stale), (token) => this.expiresAt(token));
  }

  async #obtain(): Promise<{ value: CognitoTokens; expiresAt: number }> {
    if (this.#refresh) {
      try {
        return await this.#call('REFRESH_TOKEN_AUTH', { REFRESH_TOKEN: this.#refresh.token }, this.#refresh.username);
      } catch (err) {
        // A refused refresh token (expired, revoked, or the user's sessions signed out) calls for a new login.
        if (!(err instanceof EventsError && err.code === 'NotAuthorizedException')) throw err;
        this.#refresh = undefined;
      }
    }
    const { username, password } = this.#options;
    if (!username.trim() || !password) throw new EventsError({ errorType: 'InvalidConfiguration', message: 'a Cognito login needs a user name and a password' });
    return this.#call('USER_PASSWORD_AUTH', { USERNAME: username.trim(), PASSWORD: password }, username.trim());
  }

  async #call(flow: 'USER_PASSWORD_AUTH' | 'REFRESH_TOKEN_AUTH', parameters: Record<string, string>, username: string): Promise<{ value: CognitoTokens; expiresAt: number }> {
    const what = flow === 'USER_PASSWORD_AUTH' ? 'Cognito login' : 'Cognito token refresh';
    const { clientId, clientSecret } = this.#options;
    let out: InitiateAuthCommandOutput;
    try {
      const { CognitoIdentityProviderClient, InitiateAuthCommand } = await import('@aws-sdk/client-cognito-identity-provider');
      this.#client ??= new CognitoIdentityProviderClient({
        region: this.region,
        requestHandler: sdkRequestHandler(sdkEndpoint('COGNITO_IDENTITY_PROVIDER', `https://cognito-idp.${this.region}.amazonaws.com`), this.#options.network),
      });
      const secret: Record<string, string> = clientSecret ? { SECRET_HASH: secretHash(clientSecret, username, clientId.trim()) } : {};
      out = await this.#client.send(new InitiateAuthCommand({ AuthFlow: flow, ClientId: clientId.trim(), AuthParameters: { ...parameters, ...secret } }));
    } catch (err) {
      throw identityError(what, err, IDENTITY_HINTS.userPool);
    }
    if (out.ChallengeName) throw challengeError(out.ChallengeName);
    const result = out.AuthenticationResult;
    if (!result?.IdToken || !result.AccessToken) throw new EventsError({ errorType: 'CredentialsError', message: `${what}: Cognito answered without tokens`, hint: IDENTITY_HINTS.userPool });
    // The refresh answer carries a new refresh token only when rotation is on. Its SECRET_HASH must use the user
    // name Cognito knows, which differs from the one typed when logging in with an alias such as an e-mail address
    // (the `cognito:username` claim).
    const known = jwtClaims(result.IdToken)['cognito:username'];
    const refreshToken = result.RefreshToken ?? this.#refresh?.token;
    this.#refresh = refreshToken ? { token: refreshToken, username: typeof known === 'string' ? known : username } : undefined;
    const tokens = { idToken: result.IdToken, accessToken: result.AccessToken };
    return { value: tokens, expiresAt: Math.min(tokenExpiry(tokens.idToken, result.ExpiresIn), tokenExpiry(tokens.accessToken, result.ExpiresIn)) };
  }
}

/** The tokens of a Cognito user pool login, renewed before they expire: for `authTokenAuthorizer`. */
export function cognitoUserPoolTokens(options: CognitoUserPoolOptions & { tokenUse?: 'id' | 'access' }): TokenProvider {
  return new CognitoUserPoolSession(options).provider(options.tokenUse ?? 'id');
}
