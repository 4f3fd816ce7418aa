import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { Authorizer, SecretSource } from '../client/authorizer';
import { apiKeyAuthorizer } from '../client/authorizers/api-key';
import { authTokenAuthorizer } from '../client/authorizers/auth-token';
import { assumeRoleCredentials, defaultCredentialChain, staticCredentials, type AwsCredentialProvider } from '../client/authorizers/credentials';
import { iamAuthorizer } from '../client/authorizers/iam';
import { EventsError } from '../protocol/errors';
import type { NetworkSettings } from '../client/network';
import { evaluateProperty, readContext } from './evaluate';

export type AuthType = 'apiKey' | 'userPool' | 'oidc' | 'lambda' | 'iam';
export type TokenSource = 'credential' | 'env' | 'flow' | 'global';

export interface AuthorizerDef extends NodeDef {
  authType: AuthType;
  /** Where the API key or token comes from; read at each use. */
  tokenSource?: TokenSource;
  /** Environment variable or context key when `tokenSource` is not `credential`. */
  tokenName?: string;
  iamSource?: 'static' | 'default';
  roleArn?: string;
  externalId?: string;
  sessionName?: string;
}

export interface AuthorizerCredentials {
  apiKey?: string;
  token?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
}

export interface AuthorizerNode extends Node<AuthorizerCredentials> {
  /** The authorizer for an API in `region` (only IAM needs the region), whose AWS calls use `network`. */
  authorizerFor(region: string | undefined, network?: NetworkSettings): Authorizer;
}

export const AUTH_TYPES: readonly AuthType[] = ['apiKey', 'userPool', 'oidc', 'lambda', 'iam'];

/** The credentials of an authorizer as Node-RED keeps them: stored apart from the flow, never exported with it. */
const CREDENTIAL_FIELDS = {
  apiKey: { type: 'password' },
  token: { type: 'password' },
  accessKeyId: { type: 'text' },
  secretAccessKey: { type: 'password' },
  sessionToken: { type: 'password' },
} as const;

export const CREDENTIAL_KEYS = Object.keys(CREDENTIAL_FIELDS).filter((k): k is keyof AuthorizerCredentials => k in CREDENTIAL_FIELDS);

/** Reads a token or key from the environment or a context store, for `tokenSource` env, flow or global. */
export type SecretReader = (source: Exclude<TokenSource, 'credential'>, name: string) => Promise<unknown>;

/**
 * The authorizers of one authorizer definition: what the events-authorizer node builds once, and what the Test
 * connection route builds from a dialog's unsaved values.
 */
export function authorizerFactory(def: AuthorizerDef, credentials: AuthorizerCredentials, read: SecretReader): (region: string | undefined, network?: NetworkSettings) => Authorizer {
  const authType: AuthType = AUTH_TYPES.includes(def.authType) ? def.authType : 'apiKey';
  const secret = (credential: keyof AuthorizerCredentials, what: string): SecretSource => {
    const source = def.tokenSource ?? 'credential';
    const name = def.tokenName?.trim() ?? '';
    if (source === 'credential') return () => credentials[credential];
    if (!name) throw new EventsError({ errorType: 'InvalidConfiguration', message: `the ${what} comes from ${source} but no name is set` });
    return async () => {
      const value = await read(source, name);
      if (value !== undefined && value !== null && typeof value !== 'string') {
        throw new EventsError({ errorType: 'CredentialsError', message: `the ${what} in ${source} "${name}" is not a string` });
      }
      return value ?? undefined;
    };
  };

  // Called once per region and network (the byNetwork cache below).
  const iamCredentials = (region: string, network: NetworkSettings | undefined): AwsCredentialProvider => {
    const base =
      def.iamSource === 'default'
        ? defaultCredentialChain({ network })
        : staticCredentials({ accessKeyId: credentials.accessKeyId ?? '', secretAccessKey: credentials.secretAccessKey ?? '', sessionToken: credentials.sessionToken });
    return def.roleArn?.trim()
      ? assumeRoleCredentials(base, { roleArn: def.roleArn.trim(), externalId: def.externalId?.trim(), sessionName: def.sessionName?.trim(), region, network })
      : base;
  };

  // Built once per region and network (endpoints may reach AWS through different proxies) and asked for on
  // every operation; a configuration error is not kept, so it fails each one.
  const byNetwork = new WeakMap<NetworkSettings, Map<string, Authorizer>>();
  const direct: NetworkSettings = {};
  let secretAuthorizer: Authorizer | undefined;
  return (region, network) => {
    if (authType !== 'iam') {
      secretAuthorizer ??= authType === 'apiKey' ? apiKeyAuthorizer(secret('apiKey', 'API key')) : authTokenAuthorizer(secret('token', 'token'));
      return secretAuthorizer;
    }
    const key = region ?? '';
    const settings = network ?? direct;
    let byRegion = byNetwork.get(settings);
    if (!byRegion) byNetwork.set(settings, (byRegion = new Map()));
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
    node.authorizerFor = authorizerFactory(def, node.credentials ?? {}, (source, name) =>
      source === 'env' ? evaluateProperty(RED, name, 'env', node, {}) : readContext(node, source, name),
    );
  }

  RED.nodes.registerType<AuthorizerNode, AuthorizerDef, Record<string, never>, AuthorizerCredentials>('events-authorizer', EventsAuthorizerNode, {
    credentials: CREDENTIAL_FIELDS,
  });
}
