import type { Emulator } from '../../src/emulator';
import { startEmulator } from './fixtures';
import { helper, type FlowNode } from './node-red';

// The authorizers' ids must not equal any property value: Node-RED takes a config node's property whose value is
// another config node's id for a reference (an id 'cognito' next to tokenSource 'cognito' is a "circular
// dependency"). Real ids are random, so this only concerns hand-written test flows.
//
// Node-RED flows whose authorizers obtain and renew their own credentials: a Cognito login, OAuth2 client
// credentials and a Cognito identity pool (guest and logged in), against the emulator's stand-ins with tokens that
// live 10 seconds; for nodes-identity.test.ts and the soak in test/chaos/identity-soak.chaos.ts.

export const TAB = { id: 'tab', type: 'tab', label: 'identity' };
const POOL = 'us-east-1_LocalPool1';
const GUEST_POOL = 'us-east-1:11111111-2222-3333-4444-555555555555';
export const LOGIN_POOL = 'us-east-1:99999999-2222-3333-4444-555555555555';
export const SECRETS = { password: 'Flow-Password-1', clientSecret: 'flow-client-secret-value' };

export const AUTHORIZERS: FlowNode[] = [
  { id: 'auth-cognito', type: 'events-authorizer', authType: 'userPool', tokenSource: 'cognito', userPoolId: POOL, clientId: 'gateway-client', tokenUse: 'id' },
  { id: 'auth-m2m', type: 'events-authorizer', authType: 'oidc', tokenSource: 'clientCredentials', tokenUrl: '', clientId: 'm2m-client', scope: 'events/publish' },
  { id: 'auth-guest', type: 'events-authorizer', authType: 'iam', iamSource: 'cognitoIdentityPool', identityPoolId: GUEST_POOL },
  { id: 'auth-member', type: 'events-authorizer', authType: 'iam', iamSource: 'cognitoIdentityPool', identityPoolId: LOGIN_POOL, loginAuthorizer: 'auth-cognito' },
];
export const CREDENTIALS = {
  'auth-cognito': { username: 'gateway', password: SECRETS.password, clientSecret: SECRETS.clientSecret },
  'auth-m2m': { clientSecret: SECRETS.clientSecret },
};

export function endpointFlow(emulator: Emulator, auth: string): FlowNode[] {
  return [
    { id: `ep-${auth}`, type: 'events-endpoint', url: emulator.httpUrl, region: 'us-east-1', authorizer: auth, reconnectBaseDelay: 0.02, reconnectMaxDelay: 0.2, authRetryDelay: 60, requestTimeout: 5 },
    { id: `pub-${auth}`, type: 'events-publish', z: 'tab', endpoint: `ep-${auth}`, channel: `default/${auth}`, channelType: 'str', transport: 'websocket', wires: [[]] },
    { id: `http-${auth}`, type: 'events-publish', z: 'tab', endpoint: `ep-${auth}`, channel: `default/${auth}`, channelType: 'str', transport: 'http', wires: [[]] },
    { id: `sub-${auth}`, type: 'events-subscribe', z: 'tab', endpoint: `ep-${auth}`, channel: `default/${auth}`, channelType: 'str', output: 'json', wires: [[`out-${auth}`]] },
    { id: `out-${auth}`, type: 'helper', z: 'tab' },
  ];
}

/**
 * The hooks of a suite of flows against an emulator with the identity stand-ins (a user, two app clients, two identity
 * pools; tokens that live 10 s), which the AWS SDK reaches through its standard endpoint settings. Returns the current
 * emulator and the authorizers with the OAuth2 token URL filled in.
 */
export function identityEmulatorForFlows(): { emulator: () => Emulator; withTokenUrl: (nodes: FlowNode[]) => FlowNode[] } {
  let current: Emulator | undefined;
  const saved = { idp: process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, identity: process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY };

  before(() => helper.startServer());
  after(() => helper.stopServer());
  beforeEach(async () => {
    const emulator = await startEmulator({
      users: [{ username: 'gateway', password: SECRETS.password }],
      clients: [{ clientId: 'gateway-client', clientSecret: SECRETS.clientSecret }, { clientId: 'm2m-client', clientSecret: SECRETS.clientSecret }],
      identityPools: [{ identityPoolId: GUEST_POOL }, { identityPoolId: LOGIN_POOL, allowGuests: false }],
      tokenTtlSeconds: 10,
    });
    current = emulator;
    // The AWS SDK's standard endpoint settings lead its Cognito clients to the emulator.
    process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER = emulator.baseUrl;
    process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY = emulator.baseUrl;
  });
  afterEach(async () => {
    await helper.unload();
    await current?.stop();
    current = undefined;
    for (const [name, value] of [['AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER', saved.idp], ['AWS_ENDPOINT_URL_COGNITO_IDENTITY', saved.identity]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  const emulator = () => {
    if (!current) throw new Error('no emulator outside a test');
    return current;
  };
  const withTokenUrl = (nodes: FlowNode[]) => nodes.map((n) => (n.id === 'auth-m2m' ? { ...n, tokenUrl: `${emulator().baseUrl}/oauth2/token` } : n));
  return { emulator, withTokenUrl };

}
