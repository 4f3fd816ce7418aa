import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { Authorizer, SecretSource } from '../client/authorizer';
import { apiKeyAuthorizer } from '../client/authorizers/api-key';
import { authTokenAuthorizer } from '../client/authorizers/auth-token';
import { assumeRoleCredentials, defaultCredentialChain, staticCredentials, type AwsCredentialProvider } from '../client/authorizers/credentials';
import { iamAuthorizer } from '../client/authorizers/iam';
import { clientCredentialsTokens } from '../client/identity/client-credentials';
import { cognitoIdentityPoolCredentials } from '../client/identity/cognito-identity-pool';
import { CognitoUserPoolSession } from '../client/identity/cognito-user-pool';
import { EventsError } from '../protocol/errors';
import { networkKey, type NetworkSettings } from '../client/network';
import { evaluateProperty, readContext } from './evaluate';
import { AUTHORIZER_SETTINGS, CREDENTIAL_FIELDS, type AuthType, type CredentialKey, RENEWING_SOURCES, type TokenSource } from '../editor/node-settings';
import { chosen, type SettingValues } from '../editor/setting-rule';

type GivenTokenSource = Exclude<TokenSource, 'cognito' | 'clientCredentials'>;

/** An events-authorizer as a flow saves it: its settings (src/editor/node-settings.ts), each optional but the auth type. */
export interface AuthorizerDef extends NodeDef, Omit<SettingValues<typeof AUTHORIZER_SETTINGS>, 'name' | 'authType'> {
  authType: AuthType;
}

export type AuthorizerCredentials = Partial<Record<CredentialKey, string>>;

export interface AuthorizerNode extends Node<AuthorizerCredentials> {
  /** The authorizer for an API in `region` (only IAM needs the region), whose AWS calls use `network`. */
  authorizerFor(region: string | undefined, network?: NetworkSettings): Authorizer;
  /** This authorizer's Cognito user pool login, for an identity pool's `loginAuthorizer`; undefined for other sources. */
  cognitoLoginFor(network?: NetworkSettings): CognitoUserPoolSession | undefined;
}

/** Reads a token or key from the environment or a context store, for `tokenSource` env, flow or global. */
export type SecretReader = (source: Exclude<GivenTokenSource, 'credential'>, name: string) => Promise<unknown>;

/** Finds the Cognito login of another events-authorizer by its id, for an identity pool's `loginAuthorizer`. */
export type LoginFinder = (authorizerId: string, network: NetworkSettings | undefined) => CognitoUserPoolSession | undefined;

/**
 * One value per network configuration, made on first use: endpoints that reach AWS the same way share it (one
 * Cognito login for all of them), and endpoints behind different proxies get their own.
 */
function perNetwork<T>(make: (network: NetworkSettings | undefined) => T): (network: NetworkSettings | undefined) => T {
  const byKey = new Map<string, T>();
  return (network) => {
    const key = networkKey(network);
    let value = byKey.get(key);
    if (value === undefined) byKey.set(key, (value = make(network)));
    return value;
  };
}

/** The Cognito user pool login of a definition whose token source is `cognito`, one per network. */
export function cognitoLoginFactory(def: AuthorizerDef, credentials: AuthorizerCredentials): (network: NetworkSettings | undefined) => CognitoUserPoolSession | undefined {
  if (def.authType !== 'userPool' || def.tokenSource !== 'cognito') return () => undefined;
  return perNetwork(
    (network) =>
      new CognitoUserPoolSession({
        userPoolId: def.userPoolId ?? '',
        clientId: def.clientId ?? '',
        username: credentials.username ?? '',
        password: credentials.password ?? '',
        clientSecret: credentials.clientSecret || undefined,
        network,
      }),
  );
}

/**
 * The authorizers of one authorizer definition: what the events-authorizer node builds once, and what the Test
 * connection route builds from a dialog's unsaved values.
 */
export function authorizerFactory(
  def: AuthorizerDef,
  credentials: AuthorizerCredentials,
  read: SecretReader,
  findLogin: LoginFinder = () => undefined,
  login = cognitoLoginFactory(def, credentials),
): (region: string | undefined, network?: NetworkSettings) => Authorizer {
  const authType = chosen(AUTHORIZER_SETTINGS.authType, def.authType);
  const source = def.tokenSource ?? 'credential';
  const secret = (credential: keyof AuthorizerCredentials, what: string): SecretSource => {
    const name = def.tokenName?.trim() ?? '';
    if (source === 'credential') return () => credentials[credential];
    if (source === 'cognito' || source === 'clientCredentials') throw new EventsError({ errorType: 'InvalidConfiguration', message: `an ${what} cannot come from ${source}` });
    if (!name) throw new EventsError({ errorType: 'InvalidConfiguration', message: `the ${what} comes from ${source} but no name is set` });
    return async () => {
      const value = await read(source, name);
      if (value !== undefined && value !== null && typeof value !== 'string') {
        throw new EventsError({ errorType: 'CredentialsError', message: `the ${what} in ${source} "${name}" is not a string` });
      }
      return value ?? undefined;
    };
  };
  const tokenAuthorizer = (network: NetworkSettings | undefined): Authorizer => {
    // The same rule as the dialog's: a token the node obtains itself is for the auth types that accept it.
    const offeredFor = RENEWING_SOURCES[source];
    if (offeredFor && !offeredFor.includes(authType)) throw new EventsError({ errorType: 'InvalidConfiguration', message: `a token from ${source} is for ${offeredFor.join(' or ')} authorization, not ${authType}` });
    if (source === 'cognito') {
      const session = login(network);
      if (!session) throw new EventsError({ errorType: 'InvalidConfiguration', message: 'a Cognito login is for Cognito user pool authorization' });
      return authTokenAuthorizer(session.provider(def.tokenUse === 'access' ? 'access' : 'id'));
    }
    if (source === 'clientCredentials') {
      return authTokenAuthorizer(clientCredentialsTokens({ tokenUrl: def.tokenUrl ?? '', clientId: def.clientId ?? '', clientSecret: credentials.clientSecret ?? '', scope: def.scope, network }));
    }
    return authType === 'apiKey' ? apiKeyAuthorizer(secret('apiKey', 'API key')) : authTokenAuthorizer(secret('token', 'token'));
  };

  const baseCredentials = (network: NetworkSettings | undefined): AwsCredentialProvider => {
    if (def.iamSource === 'default') return defaultCredentialChain({ network });
    if (def.iamSource === 'cognitoIdentityPool') {
      const loginId = def.loginAuthorizer?.trim();
      const session = loginId ? findLogin(loginId, network) : undefined;
      if (loginId && !session) throw new EventsError({ errorType: 'InvalidConfiguration', message: 'the login authorizer must be an events-authorizer with a Cognito user pool login' });
      return cognitoIdentityPoolCredentials({ identityPoolId: def.identityPoolId ?? '', login: session, network });
    }
    return staticCredentials({ accessKeyId: credentials.accessKeyId ?? '', secretAccessKey: credentials.secretAccessKey ?? '', sessionToken: credentials.sessionToken });
  };
  const iamCredentials = (region: string, network: NetworkSettings | undefined): AwsCredentialProvider => {
    const base = baseCredentials(network);
    return def.roleArn?.trim()
      ? assumeRoleCredentials(base, { roleArn: def.roleArn.trim(), externalId: def.externalId?.trim(), sessionName: def.sessionName?.trim(), region, network })
      : base;
  };

  // Built once per network (endpoints may reach AWS through different proxies), and for IAM per region, then asked
  // for on every operation; a configuration error is not kept, so it fails each one.
  const tokenAuthorizers = perNetwork(tokenAuthorizer);
  const iamAuthorizers = perNetwork(() => new Map<string, Authorizer>());
  return (region, network) => {
    if (authType !== 'iam') return tokenAuthorizers(network);
    const key = region ?? '';
    const byRegion = iamAuthorizers(network);
    let authorizer = byRegion.get(key);
    if (!authorizer) {
      authorizer = iamAuthorizer({ region: key, credentials: iamCredentials(key, network) });
      byRegion.set(key, authorizer);
    }
    return authorizer;
  };
}

export function registerAuthorizerNode(RED: NodeAPI): void {
  function EventsAuthorizerNode(this: AuthorizerNode, def: AuthorizerDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const credentials = node.credentials ?? {};
    // One login per network, shared by this authorizer's own tokens and by identity pools that log in with it.
    node.cognitoLoginFor = cognitoLoginFactory(def, credentials);
    node.authorizerFor = authorizerFactory(
      def,
      credentials,
      (source, name) => (source === 'env' ? evaluateProperty(RED, name, 'env', node, {}) : readContext(node, source, name)),
      (id, network) => findLogin(RED, id, network),
      node.cognitoLoginFor,
    );
  }

  RED.nodes.registerType<AuthorizerNode, AuthorizerDef, Record<string, never>, AuthorizerCredentials>('events-authorizer', EventsAuthorizerNode, {
    credentials: CREDENTIAL_FIELDS,
  });
}

/** The Cognito login of the deployed events-authorizer `id`, if it is one. */
export function findLogin(RED: NodeAPI, id: string, network: NetworkSettings | undefined): CognitoUserPoolSession | undefined {
  const other = RED.nodes.getNode(id) as AuthorizerNode | null;
  return other && typeof other.cognitoLoginFor === 'function' ? other.cognitoLoginFor(network) : undefined;
}
