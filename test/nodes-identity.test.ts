import assert from 'node:assert/strict';
import appsyncNodes = require('../src/nodes');
import type { Emulator } from '../src/emulator';
import type { EndpointConnection } from '../src/nodes/endpoint-connection';
import { startEmulator } from './support/fixtures';
import { collect, helper, nodeRedVersion, statusTexts, type FlowNode } from './support/node-red';
import { sleep, waitFor } from './support/wait';

// The authorizers' ids must not equal any property value: Node-RED takes a config node's property whose value is
// another config node's id for a reference (an id 'cognito' next to tokenSource 'cognito' is a "circular
// dependency"). Real ids are random, so this only concerns hand-written test flows.
//
// Node-RED flows whose authorizers obtain and renew their own credentials: a Cognito login, OAuth2 client
// credentials and a Cognito identity pool (guest and logged in), against the emulator's stand-ins with tokens that
// live 10 seconds. The flows run through several lifetimes and see no error, no gap and no status worse than
// reconnecting.

const TAB = { id: 'tab', type: 'tab', label: 'identity' };
const POOL = 'us-east-1_LocalPool1';
const GUEST_POOL = 'us-east-1:11111111-2222-3333-4444-555555555555';
const LOGIN_POOL = 'us-east-1:99999999-2222-3333-4444-555555555555';
const SECRETS = { password: 'Flow-Password-1', clientSecret: 'flow-client-secret-value' };

const AUTHORIZERS: FlowNode[] = [
  { id: 'auth-cognito', type: 'events-authorizer', authType: 'userPool', tokenSource: 'cognito', userPoolId: POOL, clientId: 'gateway-client', tokenUse: 'id' },
  { id: 'auth-m2m', type: 'events-authorizer', authType: 'oidc', tokenSource: 'clientCredentials', tokenUrl: '', clientId: 'm2m-client', scope: 'events/publish' },
  { id: 'auth-guest', type: 'events-authorizer', authType: 'iam', iamSource: 'cognitoIdentityPool', identityPoolId: GUEST_POOL },
  { id: 'auth-member', type: 'events-authorizer', authType: 'iam', iamSource: 'cognitoIdentityPool', identityPoolId: LOGIN_POOL, loginAuthorizer: 'auth-cognito' },
];
const CREDENTIALS = {
  'auth-cognito': { username: 'gateway', password: SECRETS.password, clientSecret: SECRETS.clientSecret },
  'auth-m2m': { clientSecret: SECRETS.clientSecret },
};

function endpointFlow(emulator: Emulator, auth: string): FlowNode[] {
  return [
    { id: `ep-${auth}`, type: 'events-endpoint', url: emulator.httpUrl, region: 'us-east-1', authorizer: auth, reconnectBaseDelay: 0.02, reconnectMaxDelay: 0.2, authRetryDelay: 60, requestTimeout: 5 },
    { id: `pub-${auth}`, type: 'events-publish', z: 'tab', endpoint: `ep-${auth}`, channel: `default/${auth}`, channelType: 'str', transport: 'websocket', wires: [[]] },
    { id: `http-${auth}`, type: 'events-publish', z: 'tab', endpoint: `ep-${auth}`, channel: `default/${auth}`, channelType: 'str', transport: 'http', wires: [[]] },
    { id: `sub-${auth}`, type: 'events-subscribe', z: 'tab', endpoint: `ep-${auth}`, channel: `default/${auth}`, channelType: 'str', output: 'json', wires: [[`out-${auth}`]] },
    { id: `out-${auth}`, type: 'helper', z: 'tab' },
  ];
}

const catchAll: FlowNode[] = [
  { id: 'catch', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
  { id: 'caught', type: 'helper', z: 'tab' },
];

describe(`Node-RED ${nodeRedVersion}: authorizers that renew their own credentials`, function () {
  this.timeout(90_000);
  let emulator: Emulator;
  const saved = { idp: process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, identity: process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY };

  before(() => helper.startServer());
  after(() => helper.stopServer());
  beforeEach(async () => {
    emulator = await startEmulator({
      users: [{ username: 'gateway', password: SECRETS.password }],
      clients: [{ clientId: 'gateway-client', clientSecret: SECRETS.clientSecret }, { clientId: 'm2m-client', clientSecret: SECRETS.clientSecret }],
      identityPools: [{ identityPoolId: GUEST_POOL }, { identityPoolId: LOGIN_POOL, allowGuests: false }],
      tokenTtlSeconds: 10,
    });
    // The AWS SDK's standard endpoint settings lead its Cognito clients to the emulator.
    process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER = emulator.baseUrl;
    process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY = emulator.baseUrl;
  });
  afterEach(async () => {
    await helper.unload();
    await emulator.stop();
    for (const [name, value] of [['AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER', saved.idp], ['AWS_ENDPOINT_URL_COGNITO_IDENTITY', saved.identity]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  const withTokenUrl = (nodes: FlowNode[]) => nodes.map((n) => (n.id === 'auth-m2m' ? { ...n, tokenUrl: `${emulator.baseUrl}/oauth2/token` } : n));

  it('publishes (WebSocket and HTTP) and receives for 25 s, two and a half token lifetimes, with no error and no gap', async () => {
    const auths = ['auth-cognito', 'auth-m2m', 'auth-guest', 'auth-member'];
    await helper.load(appsyncNodes, [TAB, ...catchAll, ...withTokenUrl(AUTHORIZERS), ...auths.flatMap((a) => endpointFlow(emulator, a))], CREDENTIALS);
    const caught = collect(helper.getNode('caught'));
    const received = Object.fromEntries(auths.map((a) => [a, collect(helper.getNode(`out-${a}`))]));
    await waitFor(() => emulator.stats().subscriptions === auths.length, 'every subscription', 15_000);
    const sent = 50;
    for (let n = 0; n < sent; n++) {
      for (const a of auths) helper.getNode(n % 2 ? `pub-${a}` : `http-${a}`).receive({ payload: { n } });
      // Time is the subject: the publishes are spread over 2.5 token lifetimes, which the emulator counts on its clock.
      await sleep(500);
    }
    await waitFor(() => auths.every((a) => received[a]!.length === sent), 'every event', 10_000).catch((err: unknown) => {
      // On failure, what each subscriber got, what Catch heard and the statuses tell why.
      const got = auths.map((a) => `${a}: ${received[a]!.map((m) => (m.payload as { n: number }).n).join(',')}`);
      const statuses = auths.map((a) => statusTexts(helper.getNode(`sub-${a}`)).join(' '));
      throw new Error(`${String(err)}\n${got.join('\n')}\ncaught: ${JSON.stringify(caught.map((m) => m.error)).slice(0, 3000)}\nstatuses: ${statuses.join(' | ')}`);
    });
    for (const a of auths) assert.deepEqual(received[a]!.map((m) => (m.payload as { n: number }).n), Array.from({ length: sent }, (_, n) => n), `${a}: no gap, no duplicate`);
    assert.deepEqual(caught.map((m) => m.error), [], 'nothing reached Catch');
    for (const a of auths) {
      for (const id of [`pub-${a}`, `sub-${a}`]) {
        const texts = statusTexts(helper.getNode(id));
        assert.ok(!texts.some((t) => t === 'auth error' || /error|failed/.test(t ?? '')), `${id}: ${texts.join(', ')}`);
      }
    }
    const calls = emulator.stats().identityCalls;
    assert.equal(calls['InitiateAuth USER_PASSWORD_AUTH'], 1, 'one login, shared by the user pool authorizer and the identity pool that logs in with it');
    assert.ok((calls['InitiateAuth REFRESH_TOKEN_AUTH'] ?? 0) >= 2, JSON.stringify(calls));
    assert.ok((calls['oauth2/token'] ?? 0) >= 3, JSON.stringify(calls));
    assert.ok((calls.GetCredentialsForIdentity ?? 0) >= 6, JSON.stringify(calls));
    assert.ok(emulator.stats().totalConnections > auths.length, 'AppSync closed connections whose token expired, and the endpoints reconnected');
    const everything = JSON.stringify({ log: helper.log().args, flows: helper._redNodes.getFlows() });
    for (const [name, value] of Object.entries(SECRETS)) assert.ok(!everything.includes(value), `${name} leaked into the log or the exported flow`);
  });

  it('a publish or subscribe refused as unauthorized (tokens revoked) renews the login and succeeds, with nothing in Catch', async () => {
    const auth = 'auth-cognito';
    await helper.load(appsyncNodes, [TAB, ...catchAll, ...AUTHORIZERS.slice(0, 1), ...endpointFlow(emulator, auth)], CREDENTIALS);
    const caught = collect(helper.getNode('caught'));
    const received = collect(helper.getNode(`out-${auth}`));
    await waitFor(() => emulator.stats().subscriptions === 1, 'the subscription');
    emulator.faults.revokeTokens();
    helper.getNode(`pub-${auth}`).receive({ payload: 1 });
    helper.getNode(`http-${auth}`).receive({ payload: 2 });
    await waitFor(() => received.length === 2, 'both events');
    assert.deepEqual(caught, []);
    assert.equal(emulator.stats().identityCalls['InitiateAuth USER_PASSWORD_AUTH'], 2, 'refresh token revoked too: a new login');
  });

  for (const [what, flow, credentials, pattern] of [
    ['a wrong password', AUTHORIZERS[0]!, { username: 'gateway', password: 'Wrong-Password-9', clientSecret: SECRETS.clientSecret }, /user name or password/],
    ['a wrong client secret', AUTHORIZERS[1]!, { clientSecret: 'wrong-client-secret-9' }, /client id or client secret was refused/],
    ['guest access disabled', { ...AUTHORIZERS[2]!, identityPoolId: LOGIN_POOL }, {}, /guest access is disabled/],
    ['an unknown identity pool', { ...AUTHORIZERS[2]!, identityPoolId: 'us-east-1:00000000-0000-0000-0000-000000000000' }, {}, /does not exist/],
  ] as const) {
    it(`${what}: an auth error status and one clear error per node, without the secret`, async () => {
      const id = flow.id;
      await helper.load(appsyncNodes, [TAB, ...catchAll, ...withTokenUrl([flow]), ...endpointFlow(emulator, id).map((n) => (n.type === 'events-endpoint' ? { ...n, authRetryDelay: 0.3 } : n))], { [id]: credentials });
      const caught = collect(helper.getNode('caught'));
      await waitFor(() => caught.length >= 3, 'the errors');
      // The fence: two more refused attempts (every 0.3 s), each of which could have reported again.
      const connection: EndpointConnection = Reflect.get(helper.getNode(`ep-${id}`), 'connection');
      let attempts = 0;
      connection.webSocket().onStateChange((state) => state.status === 'connecting' && attempts++);
      await waitFor(() => attempts >= 2, 'two more attempts');
      // Each of the endpoint's three nodes reports the failure once, not on every retry.
      assert.deepEqual(caught.map((m) => (m.error as { source: { id: string } }).source.id).sort(), [`http-${id}`, `pub-${id}`, `sub-${id}`]);
      const error = caught[0]!.error as { message: string };
      assert.match(error.message, pattern);
      assert.ok(statusTexts(helper.getNode(`sub-${id}`)).includes('auth error'));
      const everything = JSON.stringify({ log: helper.log().args, caught: caught.map((m) => m.error) });
      for (const value of Object.values(credentials)) if (value !== 'gateway') assert.ok(!everything.includes(value), 'the secret leaked');
    });
  }
});
