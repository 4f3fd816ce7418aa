import assert from 'node:assert/strict';
import appsyncNodes = require('../src/nodes');
import type { Emulator } from '../src/emulator';
import { API_KEY } from './support/fixtures';
import { emulatorForFlows } from './support/runtime';
import { helper, nodeRedVersion, type FlowNode } from './support/node-red';
import { waitFor } from './support/wait';

interface Answer {
  ok: boolean;
  connectMs?: number;
  subscribeMs?: number;
  code?: string;
  message?: string;
}

describe(`Node-RED ${nodeRedVersion}: the endpoint dialog's Test connection route`, function () {
  let emulator: Emulator;
  const current = emulatorForFlows();
  beforeEach(() => {
    emulator = current();
  });

  const flow = (): FlowNode[] => [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'auth', type: 'events-authorizer', authType: 'apiKey' },
    { id: 'ep', type: 'events-endpoint', url: emulator.httpUrl, authorizer: 'auth' },
  ];
  async function post(body: unknown): Promise<{ status: number; answer: Answer }> {
    const res = await helper.request().post('/appsync-events/test-connection').send(body);
    return { status: res.status, answer: res.body as Answer };
  }

  it('connects and subscribes with the deployed credentials, and reports the times', async () => {
    await helper.load(appsyncNodes, flow(), { auth: { apiKey: API_KEY } });
    const { status, answer } = await post({ url: emulator.httpUrl, authorizer: 'auth', authorizerDef: { authType: 'apiKey', tokenSource: 'credential' }, credentials: { apiKey: '__PWRD__' }, channel: 'default/test' });
    assert.equal(status, 200);
    assert.ok(answer.ok && typeof answer.connectMs === 'number' && typeof answer.subscribeMs === 'number' && answer.subscribeMs >= answer.connectMs, JSON.stringify(answer));
    await waitFor(() => emulator.stats().openConnections === 0, 'the test to close its socket');
  });

  it("uses the dialog's unsaved key and the same error text as the runtime, without the key", async () => {
    await helper.load(appsyncNodes, flow(), { auth: { apiKey: API_KEY } });
    const wrong = 'da2-unsavedwrongkeyunsavedwrong';
    const { answer } = await post({ url: emulator.httpUrl, authorizer: 'auth', authorizerDef: { authType: 'apiKey', tokenSource: 'credential' }, credentials: { apiKey: wrong } });
    assert.equal(answer.ok, false);
    assert.equal(answer.code, 'UnauthorizedException');
    assert.match(answer.message ?? '', /You are not authorized to make this call\. Check the API key or token/);
    assert.ok(!JSON.stringify(answer).includes(wrong) && !JSON.stringify(helper.log().args).includes(wrong));
  });

  it('answers a refused subscription and an unreachable endpoint clearly', async () => {
    await helper.load(appsyncNodes, flow(), { auth: { apiKey: API_KEY } });
    const refused = await post({ url: emulator.httpUrl, authorizer: 'auth', authorizerDef: { authType: 'apiKey', tokenSource: 'credential' }, credentials: {}, channel: 'nope/x' });
    assert.equal(refused.answer.code, 'UnauthorizedException');
    const nowhere = await post({ url: 'http://127.0.0.1:1/event', authorizer: 'auth', authorizerDef: { authType: 'apiKey' }, credentials: {} });
    assert.equal(nowhere.answer.code, 'NetworkError');
    const bad = await post({ authorizer: 'auth' });
    assert.equal(bad.status, 400);
  });

  it("refuses a token the node obtains itself for an auth type that does not take it, by the dialog's own rule", async () => {
    await helper.load(appsyncNodes, flow(), { auth: { apiKey: API_KEY } });
    const lambda = await post({ url: emulator.httpUrl, authorizer: 'auth', authorizerDef: { authType: 'lambda', tokenSource: 'clientCredentials', tokenUrl: 'https://idp.example/oauth2/token', clientId: 'c' }, credentials: { clientSecret: 's' } });
    assert.equal(lambda.answer.code, 'InvalidConfiguration');
    assert.equal(lambda.answer.message, 'InvalidConfiguration: a token from clientCredentials is for userPool or oidc authorization, not lambda');
    const oidc = await post({ url: emulator.httpUrl, authorizer: 'auth', authorizerDef: { authType: 'oidc', tokenSource: 'cognito' }, credentials: {} });
    assert.equal(oidc.answer.message, 'InvalidConfiguration: a token from cognito is for userPool authorization, not oidc');
  });
});
