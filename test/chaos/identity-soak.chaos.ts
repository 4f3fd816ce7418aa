import assert from 'node:assert/strict';
import appsyncNodes = require('../../src/nodes');
import { AUTHORIZERS, CREDENTIALS, SECRETS, TAB, endpointFlow, identityEmulatorForFlows } from '../support/identity-flows';
import { catchAll, collect, helper, nodeRedVersion, statusTexts } from '../support/node-red';
import { sleep, waitFor } from '../support/wait';
import { record } from './support/report';

// A soak of the authorizers that renew their own credentials: Node-RED flows with a Cognito login, OAuth2 client
// credentials and a Cognito identity pool (guest and logged in) publish and receive through two and a half token
// lifetimes (10 s each, support/identity-flows.ts), and see no error, no gap and no status worse than reconnecting.
describe(`chaos: Node-RED ${nodeRedVersion} through token lifetimes`, function () {
  this.timeout(90_000);
  const { emulator: current, withTokenUrl } = identityEmulatorForFlows();

  it('publishes (WebSocket and HTTP) and receives for 25 s, two and a half token lifetimes, with no error and no gap', async () => {
    const emulator = current();
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
    const leaked = Object.entries(SECRETS).filter(([, value]) => everything.includes(value)).map(([name]) => name);
    record({
      scenario: 'identity soak',
      case: '4 authorizers, 25 s, 2.5 token lifetimes',
      target: 'node-red',
      passed: leaked.length === 0,
      figures: `${sent} events per authorizer, each delivered once in order, 0 Catch; ${emulator.stats().totalConnections} connections, identity calls ${JSON.stringify(calls)}`,
    });
    assert.deepEqual(leaked, [], 'secrets in the log or the exported flow');
  });
});
