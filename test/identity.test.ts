import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  Events,
  EventsError,
  authTokenAuthorizer,
  clientCredentialsTokens,
  CognitoUserPoolSession,
  cognitoIdentityPoolCredentials,
  cognitoUserPoolTokens,
  iamAuthorizer,
  type ConnectionState,
} from '../src/client';
import { MAX_CONNECTION_DURATION_MS, rotationTime } from '../src/client/connection-rotation';
import { renewalTime } from '../src/client/renewing-credential';
import type { Emulator } from '../src/emulator';
import { FAST, startEmulator } from './support/fixtures';
import { sleep, waitFor } from './support/wait';

// The story of identity that renews itself: a Cognito user pool login, OAuth2 client credentials and a Cognito
// identity pool, each against the emulator's stand-ins (reached through the AWS SDK's standard endpoint settings),
// with tokens that live seconds so that renewals happen while the test watches.

const POOL = 'us-east-1_LocalPool1';
const IDENTITY_POOL = 'us-east-1:11111111-2222-3333-4444-555555555555';
const USERS = [
  { username: 'alice', password: 'Correct-Horse-1' },
  { username: 'new-user', password: 'Temp-Pass-1', status: 'FORCE_CHANGE_PASSWORD' as const },
  { username: 'mfa-user', password: 'Mfa-Pass-1', status: 'MFA' as const },
  { username: 'unconfirmed', password: 'Unconfirmed-1', status: 'UNCONFIRMED' as const },
  { username: 'reset', password: 'Reset-Pass-1', status: 'RESET_REQUIRED' as const },
];
const CLIENTS = [{ clientId: 'public-client' }, { clientId: 'secret-client', clientSecret: 'the-client-secret-value' }];

describe('identity that renews itself', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  const saved = { idp: process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, identity: process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY };

  beforeEach(async () => {
    emulator = await startEmulator({ users: USERS, clients: CLIENTS, identityPools: [{ identityPoolId: IDENTITY_POOL }, { identityPoolId: 'us-east-1:99999999-2222-3333-4444-555555555555', allowGuests: false }], tokenTtlSeconds: 4 });
    process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER = emulator.baseUrl;
    process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY = emulator.baseUrl;
  });
  afterEach(async () => {
    await emulator.stop();
    for (const [name, value] of [['AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER', saved.idp], ['AWS_ENDPOINT_URL_COGNITO_IDENTITY', saved.identity]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('renews 5 minutes before expiry, or at 80 % of a short lifetime', () => {
    assert.equal(renewalTime(0, 3600_000), 3300_000, 'a 1-hour token at 55 minutes');
    assert.equal(renewalTime(0, 15_000), 12_000, 'a 15-second token at 12 s');
  });

  it('replaces a connection a minute before its credential expires or the 24 h limit, or at 90 % of a short life', () => {
    assert.equal(rotationTime(0, 3600_000, MAX_CONNECTION_DURATION_MS), 3540_000);
    assert.equal(rotationTime(0, 10_000, MAX_CONNECTION_DURATION_MS), 9_000);
    assert.equal(rotationTime(0, undefined, MAX_CONNECTION_DURATION_MS), MAX_CONNECTION_DURATION_MS - 60_000);
    assert.equal(rotationTime(0, 2_000, MAX_CONNECTION_DURATION_MS), 1_500, 'at least half a second to move');
    assert.equal(rotationTime(1_000, 1_300, MAX_CONNECTION_DURATION_MS), 1_000, 'a credential near its end: at once');
  });

  const calls = (name: string) => emulator.stats().identityCalls[name] ?? 0;
  const LOGIN = 'InitiateAuth USER_PASSWORD_AUTH';
  const REFRESH = 'InitiateAuth REFRESH_TOKEN_AUTH';
  const alice = (extra: Partial<Parameters<typeof cognitoUserPoolTokens>[0]> = {}) =>
    cognitoUserPoolTokens({ userPoolId: POOL, clientId: 'public-client', username: 'alice', password: 'Correct-Horse-1', ...extra });

  /** Publishes one event every half second for `seconds` and checks that each arrives once, in order, with no error. */
  async function runsWithoutGap(client: ReturnType<Events['createWebSocketClient']>, seconds: number): Promise<ConnectionState['status'][]> {
    const states: ConnectionState['status'][] = [];
    client.onStateChange((s) => states.push(s.status));
    const got: unknown[] = [];
    const errors: EventsError[] = [];
    await client.subscribe('default/gateway', { onEvent: (e) => got.push(e), onError: (e) => errors.push(e) }).ready;
    const count = seconds * 2;
    for (let n = 0; n < count; n++) {
      await client.publish('default/gateway', [{ n }]);
      // Time is the subject: the publishes are spread over token lifetimes, which the emulator counts on its clock.
      await sleep(500);
    }
    await waitFor(() => got.length === count, `${count} events`);
    assert.deepEqual(got, Array.from({ length: count }, (_, n) => ({ n })), 'no gap and no duplicate');
    assert.deepEqual(errors, []);
    assert.deepEqual(states, ['connecting', 'connected'], 'one connection state from start to end: replaced before expiry, never dropped');
    assert.equal(emulator.stats().closedAtExpiry, 0, 'no connection lived until its credential expired');
    return states;
  }

  describe('Cognito user pool login', () => {
    it('publishes and receives across three token lifetimes: refreshed, the connection replaced before its token expires', async () => {
      const client = new Events(emulator.httpUrl).createWebSocketClient(authTokenAuthorizer(alice()), FAST);
      try {
        await runsWithoutGap(client, 12);
        assert.equal(calls(LOGIN), 1, 'one login');
        assert.ok(calls(REFRESH) >= 2, `refreshed with the refresh token (${calls(REFRESH)} times)`);
        assert.ok(emulator.stats().totalConnections >= 3, `replaced at each lifetime (${emulator.stats().totalConnections} connections)`);
      } finally {
        await client.disconnect(false);
      }
    });

    it('a connection the service closes at expiry (the token source tells no expiry) reconnects with a fresh token: no error, no lost publish', async () => {
      const tokens = alice();
      // A plain function: the client cannot know when the token expires, so the service's close comes first.
      const client = new Events(emulator.httpUrl).createWebSocketClient(authTokenAuthorizer(() => tokens()), FAST);
      const states: string[] = [];
      client.onStateChange((s) => states.push(s.status));
      const received: unknown[] = [];
      try {
        await client.subscribe('default/expiry', { onEvent: (e) => received.push(e) }).ready;
        const results = [];
        for (let n = 0; n < 20; n++) {
          results.push(client.publish('default/expiry', [{ n }]));
          // Time is the subject: the publishes go on across the token's expiry on the emulator's clock.
          await sleep(250);
        }
        await Promise.all(results);
        assert.ok(emulator.stats().closedAtExpiry >= 1, 'the service closed the connection when its token expired');
        assert.ok(states.includes('reconnecting') && !states.includes('failed'), states.join(', '));
        await waitFor(() => new Set(received.map((e) => JSON.stringify(e))).size >= 19, 'the events');
      } finally {
        await client.disconnect(false);
      }
    });

    it('computes the SECRET_HASH for an app client with a secret, for login and refresh', async () => {
      const tokens = alice({ clientId: 'secret-client', clientSecret: 'the-client-secret-value' });
      const client = new Events(emulator.httpUrl).createWebSocketClient(authTokenAuthorizer(tokens), FAST);
      try {
        await runsWithoutGap(client, 5);
        assert.ok(calls(REFRESH) >= 1);
      } finally {
        await client.disconnect(false);
      }
      await assert.rejects(alice({ clientId: 'secret-client', clientSecret: 'a-wrong-secret' })(), (err: EventsError) => err.errorType === 'CredentialsError' && /secret hash/.test(err.message) && !err.message.includes('a-wrong-secret'));
    });

    it('logs in again with the password when the refresh token is refused', async () => {
      const tokens = alice();
      await tokens();
      emulator.faults.revokeRefreshTokens();
      // Time is the subject: the 4 s token must expire on the emulator's clock (the real one), so that the provider
      // needs a new one.
      await sleep(4_200);
      const token = await tokens();
      assert.ok(token, 'a token');
      assert.equal(calls(REFRESH), 1, 'the refresh was tried');
      assert.equal(calls(LOGIN), 2, 'then a new login');
    });

    it('an operation refused as unauthorized renews once (shared by concurrent operations) and is retried before any error', async () => {
      const client = new Events(emulator.httpUrl).createWebSocketClient(authTokenAuthorizer(alice()), FAST);
      const http = new Events(emulator.httpUrl).createRestClient(authTokenAuthorizer(alice()));
      try {
        await client.connect();
        await http.publish('default/x', [1]);
        assert.equal(calls(LOGIN), 2);
        emulator.faults.revokeTokens();
        const results = await Promise.all([...Array.from({ length: 10 }, (_, n) => client.publish('default/x', [{ n }])), client.subscribe('default/x').ready, http.publish('default/x', [2])]);
        assert.equal(results.length, 12, 'every operation succeeded after the renewal');
        assert.equal(calls(LOGIN), 4, 'one new login for each client, not one per operation (the refresh tokens were revoked too)');
      } finally {
        await client.disconnect(false);
      }
    });

    for (const [what, username, password, pattern] of [
      ['a wrong password', 'alice', 'wrong-password-123', /user name or password.*Incorrect username or password/],
      ['an unknown user', 'nobody', 'whatever-123', /Incorrect username or password/],
      ['a user not confirmed', 'unconfirmed', 'Unconfirmed-1', /not confirmed/],
      ['a password reset required', 'reset', 'Reset-Pass-1', /reset the password/],
      ['a new password required', 'new-user', 'Temp-Pass-1', /set a new password.*NEW_PASSWORD_REQUIRED/],
      ['multi-factor authentication', 'mfa-user', 'Mfa-Pass-1', /multi-factor.*client credentials.*SOFTWARE_TOKEN_MFA/],
    ] as const) {
      it(`says what to change for ${what}, without the password`, async () => {
        const client = new Events(emulator.httpUrl).createWebSocketClient(authTokenAuthorizer(alice({ username, password })), FAST);
        try {
          await assert.rejects(client.connect(), (err: EventsError) => {
            assert.equal(err.errorType, 'CredentialsError');
            assert.ok(err.isAuthError);
            assert.match(err.message, pattern);
            assert.ok(!err.message.includes(password));
            return true;
          });
          assert.equal(client.state.status, 'failed');
        } finally {
          await client.disconnect(false);
        }
      });
    }

    it('refuses an unknown app client and a malformed user pool id clearly', async () => {
      await assert.rejects(alice({ clientId: 'no-such-client' })(), /app client, user pool or identity pool does not exist/);
      assert.throws(() => alice({ userPoolId: 'not-a-pool' }), /not a user pool id/);
    });
  });

  describe('OAuth2 client credentials', () => {
    const tokenUrl = () => `${emulator.baseUrl}/oauth2/token`;

    it('publishes and receives across three token lifetimes, the secret sent with basic authentication', async () => {
      const tokens = clientCredentialsTokens({ tokenUrl: tokenUrl(), clientId: 'secret-client', clientSecret: 'the-client-secret-value', scope: 'events/publish events/subscribe' });
      const client = new Events(emulator.httpUrl).createWebSocketClient(authTokenAuthorizer(tokens), FAST);
      try {
        await runsWithoutGap(client, 12);
        assert.ok(calls('oauth2/token') >= 3, `renewed from expires_in (${calls('oauth2/token')} tokens)`);
      } finally {
        await client.disconnect(false);
      }
    });

    it('an HTTP publish refused as unauthorized gets a new token and one retry', async () => {
      const tokens = clientCredentialsTokens({ tokenUrl: tokenUrl(), clientId: 'secret-client', clientSecret: 'the-client-secret-value' });
      const http = new Events(emulator.httpUrl).createRestClient(authTokenAuthorizer(tokens));
      await http.publish('default/x', [1]);
      emulator.faults.revokeTokens();
      await http.publish('default/x', [2]);
      assert.equal(calls('oauth2/token'), 2);
    });

    it('says the client id or secret was refused, without the secret', async () => {
      const tokens = clientCredentialsTokens({ tokenUrl: tokenUrl(), clientId: 'secret-client', clientSecret: 'not-the-secret' });
      await assert.rejects(tokens(), (err: EventsError) => err.errorType === 'CredentialsError' && /client id or client secret was refused \(invalid_client\)/.test(err.message) && !err.message.includes('not-the-secret'));
    });
  });

  it('appsync-events-local --user, --client, --identity-pool and --token-ttl serve the stand-ins', async () => {
    const child = spawn(process.execPath, [join(__dirname, '..', 'dist', 'emulator-cli.js'), '--port', '0', '--user', 'cli-user:Cli-Pass-1', '--client', 'cli-client', '--client', 'cli-m2m:cli-secret', '--identity-pool', IDENTITY_POOL, '--token-ttl', '7']);
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.once('data', (d: Buffer) => resolve(d.toString().split('\n')[0]!));
        child.once('exit', (code) => reject(new Error(`the emulator exited with ${code}`)));
      });
      const base = new URL(url).origin;
      process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER = base;
      process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY = base;
      const login = new CognitoUserPoolSession({ userPoolId: POOL, clientId: 'cli-client', username: 'cli-user', password: 'Cli-Pass-1' });
      const { idToken } = await login.tokens();
      const lifetime = (login.expiresAt(idToken) ?? 0) - Date.now();
      assert.ok(lifetime > 5_000 && lifetime <= 7_000, `a 7-second token (${lifetime} ms)`);
      const m2m = clientCredentialsTokens({ tokenUrl: `${base}/oauth2/token`, clientId: 'cli-m2m', clientSecret: 'cli-secret' });
      const http = new Events(url).createRestClient(authTokenAuthorizer(m2m));
      await http.publish('default/cli', [1]);
      const guest = new Events(url).createRestClient(iamAuthorizer({ region: 'us-east-1', credentials: cognitoIdentityPoolCredentials({ identityPoolId: IDENTITY_POOL }) }));
      await guest.publish('default/cli', [2]);
    } finally {
      child.kill();
    }
  });

  describe('Cognito identity pool', () => {
    it('guest credentials sign IAM requests across three lifetimes', async () => {
      const credentials = cognitoIdentityPoolCredentials({ identityPoolId: IDENTITY_POOL });
      const client = new Events(emulator.httpUrl).createWebSocketClient(iamAuthorizer({ region: 'us-east-1', credentials }), FAST);
      try {
        await runsWithoutGap(client, 12);
        assert.equal(calls('GetId'), 1, 'the identity id is kept');
        assert.ok(calls('GetCredentialsForIdentity') >= 3, `renewed (${calls('GetCredentialsForIdentity')} times)`);
      } finally {
        await client.disconnect(false);
      }
    });

    it('an authenticated identity: the user pool login is the login, and a refused signature renews both', async () => {
      const login = new CognitoUserPoolSession({ userPoolId: POOL, clientId: 'public-client', username: 'alice', password: 'Correct-Horse-1' });
      const credentials = cognitoIdentityPoolCredentials({ identityPoolId: 'us-east-1:99999999-2222-3333-4444-555555555555', login });
      const http = new Events(emulator.httpUrl).createRestClient(iamAuthorizer({ region: 'us-east-1', credentials }));
      await http.publish('default/x', [1]);
      emulator.faults.revokeTokens();
      await http.publish('default/x', [2]);
      assert.equal(calls(LOGIN), 2, 'logged in again');
      assert.equal(calls('GetCredentialsForIdentity'), 2);
    });

    it('says when guest access is disabled, and when the pool does not exist', async () => {
      await assert.rejects(cognitoIdentityPoolCredentials({ identityPoolId: 'us-east-1:99999999-2222-3333-4444-555555555555' })(), /guest access is disabled/);
      await assert.rejects(cognitoIdentityPoolCredentials({ identityPoolId: 'us-east-1:00000000-0000-0000-0000-000000000000' })(), (err: EventsError) => err.errorType === 'CredentialsError' && /does not exist/.test(err.message));
      assert.throws(() => cognitoIdentityPoolCredentials({ identityPoolId: 'us-east-1_notanidentitypool' }), /not an identity pool id/);
    });
  });
});
