import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { sameSecret } from './secret-match';
import { awsJsonError, stringMap, type AwsJsonAnswer } from './aws-json';
import type { IdentityConfig } from './identity-config';
import type { IdentityIssuer } from './identity-issuer';

// A stand-in for Cognito user pools' InitiateAuth (AWS JSON 1.1, target AWSCognitoIdentityProviderService.InitiateAuth)
// with the USER_PASSWORD_AUTH and REFRESH_TOKEN_AUTH flows, answering and refusing in the shapes and words of the
// Cognito API reference ("InitiateAuth", "Computing secret hash values").

const NOT_AUTHORIZED = 'NotAuthorizedException';

function secretHashMatches(given: string | undefined, secret: string, username: string, clientId: string): boolean {
  const expected = createHmac('sha256', secret).update(username + clientId, 'utf8').digest();
  const presented = Buffer.from(given ?? '', 'base64');
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

/** The same `sub` for a user name each time, shaped as Cognito's (a UUID). */
function stableUuid(username: string): string {
  const h = createHash('sha256').update(username).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function tokensFor(username: string, clientId: string, issuer: IdentityIssuer): { IdToken: string; AccessToken: string; ExpiresIn: number; TokenType: string } {
  const sub = stableUuid(username);
  const id = issuer.token({ sub, aud: clientId, token_use: 'id', 'cognito:username': username, auth_time: Math.floor(Date.now() / 1000) });
  const access = issuer.token({ sub, client_id: clientId, token_use: 'access', username, scope: 'aws.cognito.signin.user.admin', origin_jti: randomUUID() });
  return { IdToken: id.token, AccessToken: access.token, ExpiresIn: id.expiresIn, TokenType: 'Bearer' };
}

export function initiateAuth(request: Record<string, unknown>, config: IdentityConfig, issuer: IdentityIssuer): AwsJsonAnswer {
  const clientId = typeof request.ClientId === 'string' ? request.ClientId : '';
  const flow = request.AuthFlow;
  const params = stringMap(request.AuthParameters);
  if (!clientId) return awsJsonError('InvalidParameterException', '1 validation error detected: Value null at \'clientId\' failed to satisfy constraint: Member must not be null');
  const client = config.clients.get(clientId);
  if (config.clients.size > 0 && !client) return awsJsonError('ResourceNotFoundException', `User pool client ${clientId} does not exist.`);
  const secretOk = (username: string) => !client?.clientSecret || secretHashMatches(params.SECRET_HASH, client.clientSecret, username, clientId);

  if (flow === 'USER_PASSWORD_AUTH') {
    const username = params.USERNAME ?? '';
    if (!secretOk(username)) return awsJsonError(NOT_AUTHORIZED, `Unable to verify secret hash for client ${clientId}`);
    const user = config.users.get(username);
    if (!user || !sameSecret(params.PASSWORD ?? '', user.password)) return awsJsonError(NOT_AUTHORIZED, 'Incorrect username or password.');
    switch (user.status ?? 'CONFIRMED') {
      case 'UNCONFIRMED':
        return awsJsonError('UserNotConfirmedException', 'User is not confirmed.');
      case 'RESET_REQUIRED':
        return awsJsonError('PasswordResetRequiredException', 'Password reset required for the user');
      case 'FORCE_CHANGE_PASSWORD':
        return { ok: true, body: { ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: randomUUID(), ChallengeParameters: { USER_ID_FOR_SRP: username, requiredAttributes: '[]', userAttributes: '{}' } } };
      case 'MFA':
        return { ok: true, body: { ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: randomUUID(), ChallengeParameters: {} } };
    }
    return { ok: true, body: { ChallengeParameters: {}, AuthenticationResult: { ...tokensFor(username, clientId, issuer), RefreshToken: issuer.refreshToken(username, clientId) } } };
  }
  if (flow === 'REFRESH_TOKEN_AUTH' || flow === 'REFRESH_TOKEN') {
    const username = issuer.refreshTokenUser(params.REFRESH_TOKEN ?? '', clientId);
    if (!username) return awsJsonError(NOT_AUTHORIZED, 'Invalid Refresh Token');
    if (!secretOk(username)) return awsJsonError(NOT_AUTHORIZED, `Unable to verify secret hash for client ${clientId}`);
    // Without refresh token rotation, Cognito's refresh answer carries no new refresh token.
    return { ok: true, body: { ChallengeParameters: {}, AuthenticationResult: tokensFor(username, clientId, issuer) } };
  }
  return awsJsonError('InvalidParameterException', `Unsupported AuthFlow ${typeof flow === 'string' ? flow : ''}: this emulator supports USER_PASSWORD_AUTH and REFRESH_TOKEN_AUTH`);
}
