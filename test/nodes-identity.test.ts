import assert from 'node:assert/strict';
import appsyncNodes = require('../src/nodes');
import type { Emulator } from '../src/emulator';
import { AUTHORIZERS, CREDENTIALS, LOGIN_POOL, SECRETS, TAB, endpointFlow, identityEmulatorForFlows } from './support/identity-flows';
import { catchAll, collect, connectAttempts, helper, nodeRedVersion, statusTexts } from './support/node-red';
import { waitFor } from './support/wait';

// Node-RED flows whose authorizers obtain and renew their own credentials (support/identity-flows.ts): a refusal
// renews the login, and a configuration that cannot work says so once per node. Their run through several token
// lifetimes with no error and no gap is a soak, in test/chaos/identity-soak.chaos.ts.

describe(`Node-RED ${nodeRedVersion}: authorizers that renew their own credentials`, function () {
  this.timeout(90_000);
  const { emulator: current, withTokenUrl } = identityEmulatorForFlows();
  let emulator: Emulator;
  beforeEach(() => {
    emulator = current();
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
      const attempts = connectAttempts(`ep-${id}`);
      await waitFor(() => attempts() >= 2, 'two more attempts');
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
