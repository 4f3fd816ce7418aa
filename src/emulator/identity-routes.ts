import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendAwsJson, awsJsonError, type AwsJsonAnswer } from './aws-json';
import { jsonObject } from './json-body';
import { CognitoIdentityStandIn } from './cognito-identity-stand-in';
import { initiateAuth } from './cognito-user-pool-stand-in';
import { readBody } from './http-handler';
import { sendJson } from './json-answer';
import type { IdentityConfig } from './identity-config';
import type { IdentityIssuer } from './identity-issuer';
import { clientCredentialsToken } from './oauth-token-stand-in';

/**
 * The identity services the emulator stands in for, on the emulator's port beside AppSync's routes: the AWS SDK reaches them through its standard
 * endpoint settings (AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, AWS_ENDPOINT_URL_COGNITO_IDENTITY set to the
 * emulator's base URL), which post to `/` with the operation in `X-Amz-Target`; OAuth2 clients post to `/oauth2/token`.
 * Answers whether it took the request; `calls` counts
 * them by operation (and InitiateAuth by flow), for tests and the console.
 */
export function createIdentityRoutes(config: IdentityConfig, issuer: IdentityIssuer, calls: Map<string, number>): (req: IncomingMessage, res: ServerResponse) => boolean {
  const count = (name: string) => calls.set(name, (calls.get(name) ?? 0) + 1);
  const identityPools = new CognitoIdentityStandIn(config, issuer);
  const operations: Record<string, (request: Record<string, unknown>) => AwsJsonAnswer> = {
    'AWSCognitoIdentityProviderService.InitiateAuth': (request) => initiateAuth(request, config, issuer),
    'AWSCognitoIdentityService.GetId': (request) => identityPools.getId(request),
    'AWSCognitoIdentityService.GetCredentialsForIdentity': (request) => identityPools.getCredentialsForIdentity(request),
  };
  return (req, res) => {
    if (req.method !== 'POST') return false;
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string' && /^AWSCognitoIdentity(Provider)?Service\./.test(target)) {
      const operation = operations[target];
      readBody(req, res, (body) => {
        const request = jsonObject(body);
        if (!operation) return sendAwsJson(res, awsJsonError('UnknownOperationException', `${target} is not supported by this emulator`));
        const flow = target.endsWith('.InitiateAuth') && typeof request?.AuthFlow === 'string' ? ` ${request.AuthFlow}` : '';
        count(`${target.slice(target.indexOf('.') + 1)}${flow}`);
        sendAwsJson(res, request ? operation(request) : awsJsonError('SerializationException', 'The request body is not a JSON object'));
      });
      return true;
    }
    if (new URL(req.url ?? '/', 'http://emulator').pathname === '/oauth2/token') {
      readBody(req, res, (body) => {
        count('oauth2/token');
        const answer = clientCredentialsToken(req.headers, body, config, issuer);
        sendJson(res, answer.status, answer.body, { 'cache-control': 'no-store' });
      });
      return true;
    }
    return false;
  };
}
