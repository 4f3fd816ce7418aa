import assert from 'node:assert/strict';
import appsyncNodes = require('../src/nodes');
import type { Emulator } from '../src/emulator';
import type { ClientMessage } from '../src/protocol/messages';
import { API_KEY, IAM_KEY, startEmulator } from './support/fixtures';
import { collect, connectAttempts, helper, nextMessage, nodeRedVersion, statusTexts, type FlowNode } from './support/node-red';
import { withEnv } from './support/env';
import { waitFor } from './support/wait';

const TAB = { id: 'tab', type: 'tab', label: 'test' };

function endpoint(emulator: Emulator, extra: Record<string, unknown> = {}): FlowNode[] {
  return [
    { id: 'auth', type: 'events-authorizer', authType: 'apiKey', ...(extra.auth as object) },
    { id: 'ep', type: 'events-endpoint', url: emulator.httpUrl, authorizer: 'auth', reconnectBaseDelay: 0.02, reconnectMaxDelay: 0.1, authRetryDelay: 60, requestTimeout: 2, ...(extra.endpoint as object) },
  ];
}

const KEY = { auth: { apiKey: API_KEY } };

function catchAll(): FlowNode[] {
  return [
    { id: 'catch', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

function pub(id: string, extra: Record<string, unknown> = {}): FlowNode[] {
  return [
    { id, type: 'events-publish', z: 'tab', endpoint: 'ep', channel: 'default/test', channelType: 'str', transport: 'websocket', wires: [[`${id}-out`]], ...extra },
    { id: `${id}-out`, type: 'helper', z: 'tab' },
  ];
}

function sub(id: string, extra: Record<string, unknown> = {}): FlowNode[] {
  return [
    { id, type: 'events-subscribe', z: 'tab', endpoint: 'ep', channel: 'default/test', channelType: 'str', output: 'json', wires: [[`${id}-out`]], ...extra },
    { id: `${id}-out`, type: 'helper', z: 'tab' },
  ];
}

async function subscribed(emulator: Emulator, count: number): Promise<void> {
  await waitFor(() => emulator.stats().subscriptions === count, `${count} server subscriptions (have ${emulator.stats().subscriptions})`);
}

describe(`Node-RED ${nodeRedVersion} (Node.js ${process.version}) nodes against the emulator`, function () {
  let emulator: Emulator;
  before(() => helper.startServer());
  after(() => helper.stopServer());
  beforeEach(async () => {
    emulator = await startEmulator();
  });
  afterEach(async () => {
    await helper.unload();
    await emulator.stop();
  });

  it('publishes over WebSocket and subscribers get payload and topic', async () => {
    await helper.load(appsyncNodes, [TAB, ...endpoint(emulator), ...pub('p'), ...sub('s')], KEY);
    await subscribed(emulator, 1);
    const received = nextMessage(helper.getNode('s-out'));
    const passed = nextMessage(helper.getNode('p-out'));
    helper.getNode('p').receive({ payload: { hello: 'world' }, keep: 'me' });
    const out = await passed;
    assert.equal(out.keep, 'me');
    const result = out.publishResult as { status: string; successful: Array<{ index: number }>; channel: string };
    assert.equal(result.status, 'successful');
    assert.equal(result.channel, '/default/test');
    assert.deepEqual(result.successful.map((s) => s.index), [0]);
    const event = await received;
    assert.deepEqual(event.payload, { hello: 'world' });
    assert.equal(event.topic, '/default/test');
  });

  it('requestTimeout 0 is no limit per attempt: the endpoint connects, subscribes and publishes over both transports', async () => {
    const flow = [TAB, ...endpoint(emulator, { endpoint: { requestTimeout: 0 } }), ...pub('p'), ...pub('h', { transport: 'http' }), ...sub('s'), ...catchAll()];
    await helper.load(appsyncNodes, flow, KEY);
    await subscribed(emulator, 1);
    const got = collect(helper.getNode('s-out'));
    const caught = collect(helper.getNode('caught'));
    helper.getNode('p').receive({ payload: 'ws' });
    assert.equal(((await nextMessage(helper.getNode('p-out'))).publishResult as { status: string }).status, 'successful');
    helper.getNode('h').receive({ payload: 'http' });
    assert.equal(((await nextMessage(helper.getNode('h-out'))).publishResult as { status: string }).status, 'successful');
    await waitFor(() => got.length === 2, 'both events');
    assert.deepEqual(got.map((m) => m.payload).sort(), ['http', 'ws']);
    assert.deepEqual(caught, []);
  });

  it('publishes over HTTP, with the channel from msg.topic', async () => {
    await helper.load(appsyncNodes, [TAB, ...endpoint(emulator), ...pub('p', { transport: 'http', channel: '' }), ...sub('s', { channel: 'default/*' })], KEY);
    await subscribed(emulator, 1);
    const received = nextMessage(helper.getNode('s-out'));
    helper.getNode('p').receive({ payload: 'via http', topic: 'default/a/b' });
    assert.equal(((await nextMessage(helper.getNode('p-out'))).publishResult as { status: string }).status, 'successful');
    assert.equal(emulator.stats().httpPublishRequests, 1);
    const event = await received;
    assert.equal(event.payload, 'via http');
    assert.equal(event.topic, '/default/*');
  });

  it('sends batches of 1, 5 and 12 events in order, in requests of at most 5', async () => {
    await helper.load(appsyncNodes, [TAB, ...endpoint(emulator), ...pub('p'), ...sub('s', { output: 'string' })], KEY);
    await subscribed(emulator, 1);
    const sizes: number[] = [];
    emulator.events.on('message', (_c, m: ClientMessage) => m.type === 'publish' && sizes.push(m.events.length));
    const got = collect(helper.getNode('s-out'));
    for (const n of [1, 5, 12]) {
      const batch = Array.from({ length: n }, (_, i) => ({ n, i }));
      const done = nextMessage(helper.getNode('p-out'));
      helper.getNode('p').receive({ payload: batch });
      const result = (await done).publishResult as { successful: Array<{ index: number }> };
      assert.deepEqual(result.successful.map((s) => s.index), batch.map((_, i) => i));
    }
    await waitFor(() => got.length === 18, '18 events');
    assert.deepEqual(sizes, [1, 5, 5, 5, 2]);
    assert.deepEqual(got.map((m) => m.payload), [1, 5, 12].flatMap((n) => Array.from({ length: n }, (_, i) => JSON.stringify({ n, i }))));
  });

  it('wraps an array in an array to publish it as one event', async () => {
    await helper.load(appsyncNodes, [TAB, ...endpoint(emulator), ...pub('p'), ...sub('s')], KEY);
    await subscribed(emulator, 1);
    const received = nextMessage(helper.getNode('s-out'));
    helper.getNode('p').receive({ payload: [[1, 2, 3]] });
    assert.deepEqual((await received).payload, [1, 2, 3]);
  });

  it('shares one socket and one subscription per channel among nodes, and closes it after the last', async () => {
    await helper.load(appsyncNodes, [TAB, ...endpoint(emulator), ...pub('p'), ...sub('s1'), ...sub('s2'), ...sub('s3', { channel: 'default/*' })], KEY);
    await subscribed(emulator, 2);
    assert.equal(emulator.stats().openConnections, 1);
    const a = nextMessage(helper.getNode('s1-out'));
    const b = nextMessage(helper.getNode('s2-out'));
    const c = nextMessage(helper.getNode('s3-out'));
    helper.getNode('p').receive({ payload: 7 });
    assert.deepEqual([(await a).payload, (await b).payload, (await c).payload], [7, 7, 7]);
    await helper.unload();
    await waitFor(() => emulator.stats().openConnections === 0, 'the socket to close');
    assert.equal(emulator.stats().totalConnections, 1);
  });

  describe('redeploy', () => {
    for (const type of ['full', 'flows', 'nodes'] as const) {
      it(`leaves one socket and no stale subscription after a "${type}" deploy`, async () => {
        const flow = [TAB, ...endpoint(emulator), ...pub('p'), ...sub('s1')];
        await helper.load(appsyncNodes, flow, KEY);
        await subscribed(emulator, 1);
        const changed = flow.map((n) => (n.id === 's1' ? { ...n, channel: 'default/changed' } : n));
        await helper.setFlows([...changed, ...sub('s2', { channel: 'default/other' })], type, KEY);
        // The old socket's close is an event of its own: wait for it (a stale socket never closes, and this fails).
        await waitFor(() => emulator.stats().openConnections === 1 && emulator.stats().subscriptions === 2, 'one socket with the two subscriptions');
        const pubChanged = [...changed, ...sub('s2', { channel: 'default/other' })].map((n) => (n.id === 'p' ? { ...n, channel: 'default/changed' } : n));
        await helper.setFlows(pubChanged, type, KEY);
        await subscribed(emulator, 2);
        const out = collect(helper.getNode('s1-out'));
        helper.getNode('p').receive({ payload: 'once' });
        await waitFor(() => out.length >= 1, 'the event');
        // The fence: a second event; a repeat of the first would have come before it.
        helper.getNode('p').receive({ payload: 'fence' });
        await waitFor(() => out.some((m) => m.payload === 'fence'), 'the fence');
        assert.deepEqual(out.map((m) => m.payload), ['once', 'fence'], 'delivered exactly once');
        assert.equal(emulator.stats().openConnections, 1);
      });
    }
  });

  it('gives a node that registers while the old socket closes a working connection', async () => {
    const flow = [TAB, ...endpoint(emulator), ...sub('only')];
    await helper.load(appsyncNodes, flow, KEY);
    await subscribed(emulator, 1);
    // The only user is replaced: the old one closes the socket while the new one subscribes.
    await helper.setFlows(flow.map((n) => (n.id === 'only' ? { ...n, channel: 'default/next' } : n)), 'nodes', KEY);
    await subscribed(emulator, 1);
    await waitFor(() => emulator.stats().openConnections === 1, 'one socket');
    await helper.setFlows(flow.map((n) => (n.id === 'ep' ? { ...n, requestTimeout: 3 } : n.id === 'only' ? { ...n, channel: 'default/next' } : n)), 'nodes', KEY);
    await subscribed(emulator, 1);
    await waitFor(() => emulator.stats().openConnections === 1, 'one socket after the endpoint changed');
    await helper.unload();
    await helper.load(appsyncNodes, [TAB, ...endpoint(emulator), ...pub('p', { channel: 'default/next' })], KEY);
    await helper.getNode('p').receive({ payload: 1 });
    await nextMessage(helper.getNode('p-out'));
    assert.equal(emulator.stats().openConnections, 1);
  });

  it('shows queued publishes while disconnected and sends them on reconnect', async () => {
    await helper.load(appsyncNodes, [TAB, ...endpoint(emulator, { endpoint: { reconnectBaseDelay: 0.3, reconnectMaxDelay: 0.3 } }), ...pub('p'), ...sub('s')], KEY);
    await subscribed(emulator, 1);
    emulator.faults.refuseConnections(1);
    emulator.faults.dropConnections();
    await waitFor(() => statusTexts(helper.getNode('p')).some((t) => t?.startsWith('appsync.status.reconnecting')), 'reconnecting');
    const got = collect(helper.getNode('s-out'));
    helper.getNode('p').receive({ payload: 'queued' });
    await waitFor(() => statusTexts(helper.getNode('p')).includes('appsync.status.queued'), 'the queued status');
    await waitFor(() => got.length === 1, 'the queued event after reconnecting', 8_000);
    assert.equal(got[0]!.payload, 'queued');
  });

  it('subscribes and unsubscribes dynamically with msg.action, and lists its subscriptions', async () => {
    const complete = [
      { id: 'complete', type: 'complete', z: 'tab', scope: ['d'], uncaught: false, wires: [['completed']] },
      { id: 'completed', type: 'helper', z: 'tab' },
    ];
    await helper.load(appsyncNodes, [TAB, ...endpoint(emulator), ...pub('p', { channel: '' }), ...sub('d', { channel: '', inputs: 1 }), ...complete], KEY);
    const node = helper.getNode('d');
    const out = collect(helper.getNode('d-out'));
    const completed = collect(helper.getNode('completed'));
    node.receive({ action: 'subscribe', topic: ['default/a', 'default/b/*'] });
    // done() (seen by a Complete node) comes once both are acknowledged; msg.subscriptions lists the node's channels.
    await waitFor(() => completed.length === 1, 'the subscribe action to complete');
    assert.deepEqual(completed[0]!.subscriptions, ['/default/a', '/default/b/*']);
    node.receive({ action: 'getSubscriptions' });
    await waitFor(() => out.some((m) => m.topic === 'subscriptions'), 'the subscription list');
    const list = out.find((m) => m.topic === 'subscriptions')!.payload as Array<{ channel: string; state: string }>;
    assert.deepEqual(list.map((s) => [s.channel, s.state]).sort(), [['/default/a', 'subscribed'], ['/default/b/*', 'subscribed']]);
    out.length = 0;
    helper.getNode('p').receive({ payload: 1, topic: 'default/b/c' });
    await waitFor(() => out.length === 1, 'an event');
    assert.equal(out[0]!.topic, '/default/b/*');
    node.receive({ action: 'unsubscribe', topic: 'default/b/*' });
    await subscribed(emulator, 1);
    await waitFor(() => completed.length === 3, 'the unsubscribe action to complete');
    assert.deepEqual(completed[2]!.subscriptions, ['/default/a']);
    node.receive({ action: 'unsubscribe', topic: true });
    await subscribed(emulator, 0);
  });

  it('answers bad input with a Catch-able error and keeps working', async () => {
    await helper.load(appsyncNodes, [TAB, ...endpoint(emulator), ...catchAll(), ...pub('p', { channel: '' }), ...sub('d', { channel: '', inputs: 1 })], KEY);
    const caught = collect(helper.getNode('caught'));
    const ok = collect(helper.getNode('p-out'));
    const p = helper.getNode('p');
    p.receive({ payload: 1, topic: 'bad channel!' });
    p.receive({ payload: 1 });
    p.receive({ payload: 1, topic: 'default/*' });
    p.receive({ payload: { big: 10n }, topic: 'default/x' });
    p.receive({ topic: 'default/x' });
    p.receive({ payload: 'x'.repeat(250_000), topic: 'default/x' });
    p.receive({ payload: 'fine', topic: 'default/x' });
    helper.getNode('d').receive({ action: 'subscribe', topic: 'default/a/*/b' });
    helper.getNode('d').receive({ action: 'dance' });
    await waitFor(() => caught.length === 8 && ok.length === 1, `8 errors (have ${caught.length}) and one success`);
    const codes = caught.map((m) => (m.error as { code: string }).code).sort();
    assert.deepEqual(codes, ['EventTooLarge', 'InvalidChannel', 'InvalidChannel', 'InvalidChannel', 'InvalidChannel', 'InvalidConfiguration', 'InvalidEvent', 'InvalidEvent']);
    for (const m of caught) assert.match((m.error as { message: string }).message, /^Error: \w+: .+/);
    assert.equal(ok[0]!.payload, 'fine');
  });

  it('retries a throttled publish instead of reporting it, past the request timeout, until it goes through', async () => {
    await helper.load(appsyncNodes, [TAB, ...endpoint(emulator, { endpoint: { requestTimeout: 1 } }), ...catchAll(), ...pub('p')], KEY);
    const out = nextMessage(helper.getNode('p-out'));
    // Backoff of at most 100 then 200 ms: well inside the request timeout.
    emulator.faults.throttlePublishes(2);
    helper.getNode('p').receive({ payload: { throttled: 'briefly' } });
    assert.equal(((await out).publishResult as { status: string }).status, 'successful', 'throttled twice, then accepted: no error');
    const caught = collect(helper.getNode('caught'));
    const done = nextMessage(helper.getNode('p-out'), 15_000);
    // The first request of 5 goes through; the second is throttled for longer than the request timeout (1 s).
    let attempts = 0;
    emulator.events.on('message', (_c, m) => m.type === 'publish' && attempts++);
    emulator.events.once('published', () => emulator.faults.throttlePublishes(Infinity));
    const started = Date.now();
    helper.getNode('p').receive({ payload: [1, 2, 3, 4, 5, 6], id: 'mine' });
    await waitFor(() => attempts >= 4 && Date.now() - started > 1_000, 'retries past the request timeout', 10_000);
    emulator.faults.throttlePublishes(0);
    const m = await done;
    assert.equal(m.id, 'mine');
    assert.equal((m.publishResult as { status: string }).status, 'successful');
    assert.deepEqual(caught, []);
  });

  it('reports a refused subscription once, and sibling subscriptions keep working', async () => {
    await helper.load(appsyncNodes, [TAB, ...endpoint(emulator), ...catchAll(), ...pub('p'), ...sub('good'), ...sub('bad', { channel: 'nonamespace/x' })], KEY);
    const m = await nextMessage(helper.getNode('caught'));
    assert.equal((m.error as { code: string }).code, 'UnauthorizedException');
    assert.equal(m.topic, '/nonamespace/x');
    await subscribed(emulator, 1);
    const received = nextMessage(helper.getNode('good-out'));
    helper.getNode('p').receive({ payload: 'ok' });
    assert.equal((await received).payload, 'ok');
    const statuses = statusTexts(helper.getNode('bad'));
    assert.ok(statuses.includes('auth error'), statuses.join(','));
    assert.equal(statusTexts(helper.getNode('good')).at(-1), 'appsync.status.subscribed');
  });

  it('reports refused credentials to Catch once per change of state, not on every retry', async () => {
    await helper.load(appsyncNodes, [TAB, ...endpoint(emulator, { endpoint: { authRetryDelay: 0.05 } }), ...catchAll(), ...sub('s')], { auth: { apiKey: 'da2-wrong' } });
    const caught = collect(helper.getNode('caught'));
    await waitFor(() => caught.length >= 1, 'the error');
    // The fence: four more refused attempts (one every 50 ms), each of which could have reported again.
    const attempts = connectAttempts('ep');
    await waitFor(() => attempts() >= 4, 'four more attempts');
    assert.equal(caught.length, 1);
    const error = caught[0]!.error as { code: string; message: string };
    assert.equal(error.code, 'UnauthorizedException');
    assert.ok(!error.message.includes('da2-wrong'));
    const texts = statusTexts(helper.getNode('s'));
    assert.ok(texts.includes('auth error'), texts.join(','));
  });

  it('reconnects and resubscribes after the emulator drops connections', async () => {
    await helper.load(appsyncNodes, [TAB, ...endpoint(emulator), ...pub('p'), ...sub('s')], KEY);
    await subscribed(emulator, 1);
    emulator.faults.dropConnections();
    await waitFor(() => emulator.stats().totalConnections === 2 && emulator.stats().subscriptions === 1, 'resubscription');
    const received = nextMessage(helper.getNode('s-out'));
    helper.getNode('p').receive({ payload: 'back' });
    assert.equal((await received).payload, 'back');
    const texts = statusTexts(helper.getNode('s'));
    assert.ok(texts.some((t) => t?.startsWith('appsync.status.reconnecting')), texts.join(','));
    assert.equal(texts.at(-1), 'appsync.status.subscribed');
  });

  it('merges single-event messages into batches when batching is on, each with its own result', async () => {
    await helper.load(appsyncNodes, [TAB, ...endpoint(emulator), ...pub('p', { coalesce: true, coalesceMs: 20 }), ...sub('s')], KEY);
    await subscribed(emulator, 1);
    const sizes: number[] = [];
    emulator.events.on('message', (_c, m: ClientMessage) => m.type === 'publish' && sizes.push(m.events.length));
    const out = collect(helper.getNode('p-out'));
    const got = collect(helper.getNode('s-out'));
    for (let i = 0; i < 12; i++) helper.getNode('p').receive({ payload: i, n: i });
    await waitFor(() => out.length === 12 && got.length === 12, 'all 12');
    assert.deepEqual(sizes, [5, 5, 2]);
    assert.deepEqual(got.map((m) => m.payload), Array.from({ length: 12 }, (_, i) => i));
    for (const m of out) assert.deepEqual((m.publishResult as { successful: Array<{ index: number }> }).successful.map((s) => s.index), [0]);
  });

  describe('authorization types', () => {
    it('Cognito/OIDC/Lambda token from the credential store', async () => {
      await helper.load(appsyncNodes, [TAB, ...endpoint(emulator, { auth: { authType: 'userPool' } }), ...pub('p'), ...sub('s')], { auth: { token: 'good-token' } });
      await subscribed(emulator, 1);
      const received = nextMessage(helper.getNode('s-out'));
      helper.getNode('p').receive({ payload: 1 });
      assert.equal((await received).payload, 1);
    });

    it('token from an environment variable and from global context, read at each use', async () => {
      await withEnv({ APPSYNC_TEST_TOKEN: 'good-token' }, async () => {
        await helper.load(appsyncNodes, [TAB, ...endpoint(emulator, { auth: { authType: 'lambda', tokenSource: 'env', tokenName: 'APPSYNC_TEST_TOKEN' } }), ...sub('s')]);
        await subscribed(emulator, 1);
      });
      await helper.unload();
      const flow = [TAB, ...endpoint(emulator, { auth: { authType: 'oidc', tokenSource: 'global', tokenName: 'jwt' } }), ...pub('p', { transport: 'http' }), ...catchAll()];
      await helper.load(appsyncNodes, flow);
      const caught = nextMessage(helper.getNode('caught'));
      helper.getNode('p').receive({ payload: 1 });
      assert.equal(((await caught).error as { code: string }).code, 'CredentialsError');
      (helper.getNode('auth') as unknown as { context(): { global: { set(k: string, v: string): void } } }).context().global.set('jwt', 'Bearer good-token');
      helper.getNode('p').receive({ payload: 2 });
      assert.equal(((await nextMessage(helper.getNode('p-out'))).publishResult as { status: string }).status, 'successful');
    });

    it('token from flow context, for an authorizer scoped to the flow; a clear error for one that is not', async () => {
      // A config node on a tab has z but no coordinates.
      const scoped = { id: 'auth', type: 'events-authorizer', z: 'tab', x: undefined, authType: 'lambda', tokenSource: 'flow', tokenName: 'token' };
      const flow = [TAB, scoped, ...endpoint(emulator).filter((n) => n.id !== 'auth'), ...pub('p', { transport: 'http' }), ...catchAll()];
      await helper.load(appsyncNodes, flow);
      (helper.getNode('auth') as unknown as { context(): { flow: { set(k: string, v: string): void } } }).context().flow.set('token', 'good-token');
      helper.getNode('p').receive({ payload: 1 });
      assert.equal(((await nextMessage(helper.getNode('p-out'))).publishResult as { status: string }).status, 'successful');
      await helper.unload();
      await helper.load(appsyncNodes, [TAB, ...endpoint(emulator, { auth: { authType: 'lambda', tokenSource: 'flow', tokenName: 'token' } }), ...pub('p', { transport: 'http' }), ...catchAll()]);
      const caught = nextMessage(helper.getNode('caught'));
      helper.getNode('p').receive({ payload: 1 });
      const error = (await caught).error as { code: string; message: string };
      assert.equal(error.code, 'InvalidConfiguration');
      assert.match(error.message, /no flow context here/);
    });

    it('IAM with static keys, over WebSocket and HTTP', async () => {
      await helper.load(appsyncNodes, [TAB, ...endpoint(emulator, { auth: { authType: 'iam', iamSource: 'static' }, endpoint: { region: 'us-east-1' } }), ...pub('p'), ...pub('h', { transport: 'http' }), ...sub('s')], {
        auth: { accessKeyId: IAM_KEY.accessKeyId, secretAccessKey: IAM_KEY.secretAccessKey },
      });
      await subscribed(emulator, 1);
      const got = collect(helper.getNode('s-out'));
      helper.getNode('p').receive({ payload: { ws: '<b>é</b>' } });
      helper.getNode('h').receive({ payload: { http: '<b>é</b>' } });
      await waitFor(() => got.length === 2, 'both events');
      assert.deepEqual(got.map((m) => m.payload).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))), [{ http: '<b>é</b>' }, { ws: '<b>é</b>' }]);
    });

    it('IAM from the default credential chain', async () => {
      const sent: ClientMessage[] = [];
      emulator.events.on('message', (_c, m) => sent.push(m));
      await withEnv({ AWS_ACCESS_KEY_ID: IAM_KEY.accessKeyId, AWS_SECRET_ACCESS_KEY: IAM_KEY.secretAccessKey }, async () => {
        await helper.load(appsyncNodes, [TAB, ...endpoint(emulator, { auth: { authType: 'iam', iamSource: 'default' }, endpoint: { region: 'us-east-1' } }), ...sub('s')]);
        await subscribed(emulator, 1);
      });
      const subscribe = sent.find((m) => m.type === 'subscribe');
      assert.ok(subscribe?.type === 'subscribe', 'a subscribe frame');
      const signature = Object.entries(subscribe.authorization).find(([name]) => name.toLowerCase() === 'authorization')?.[1] ?? '';
      assert.match(signature, new RegExp(`^AWS4-HMAC-SHA256 Credential=${IAM_KEY.accessKeyId}/\\d{8}/us-east-1/appsync/aws4_request`), "signed with the environment's key");
    });

    it('a per-node authorizer override for publishing', async () => {
      const flow = [TAB, ...endpoint(emulator), { id: 'auth2', type: 'events-authorizer', authType: 'userPool' }, ...pub('p', { authorizer: 'auth2' }), ...sub('s')];
      await helper.load(appsyncNodes, flow, { auth: { apiKey: API_KEY }, auth2: { token: 'good-token' } });
      await subscribed(emulator, 1);
      const sent: ClientMessage[] = [];
      emulator.events.on('message', (_c, m) => sent.push(m));
      helper.getNode('p').receive({ payload: 1 });
      await nextMessage(helper.getNode('p-out'));
      const publish = sent.find((m) => m.type === 'publish');
      assert.ok(publish?.type === 'publish' && publish.authorization.Authorization === 'good-token' && !('x-api-key' in publish.authorization));
    });
  });

  it('reports a missing endpoint or authorizer clearly', async () => {
    await helper.load(appsyncNodes, [TAB, { id: 'ep', type: 'events-endpoint', url: emulator.httpUrl, authorizer: '' }, ...catchAll(), ...pub('p'), { id: 'lost', type: 'events-publish', z: 'tab', endpoint: 'nope', channel: 'default/x', wires: [] }]);
    const caught = collect(helper.getNode('caught'));
    helper.getNode('p').receive({ payload: 1 });
    helper.getNode('lost').receive({ payload: 1 });
    // p reports the connection failure once, and each message it could not publish.
    await waitFor(() => caught.length === 3, 'three errors');
    const messages = caught.map((m) => (m.error as { message: string }).message).join('\n');
    assert.match(messages, /no authorizer/);
    assert.match(messages, /no endpoint is selected/);
  });

  it('puts no secret in any log line, status or caught error', async () => {
    const secrets = { apiKey: 'da2-nodesecretnodesecretnodesecret', token: 'node-secret-lambda-token', secretAccessKey: 'nodeSecretAccessKeyThatMustNotLeak01234', sessionToken: 'nodeSessionTokenMustNotLeak' };
    const flow = [
      TAB,
      ...catchAll(),
      { id: 'a1', type: 'events-authorizer', authType: 'apiKey' },
      { id: 'a2', type: 'events-authorizer', authType: 'lambda' },
      { id: 'a3', type: 'events-authorizer', authType: 'iam', iamSource: 'static' },
      ...['a1', 'a2', 'a3'].map((a, i) => ({ id: `ep${i}`, type: 'events-endpoint', url: emulator.httpUrl, region: 'us-east-1', authorizer: a, authRetryDelay: 0.05 })),
      ...[0, 1, 2].flatMap((i) => [...sub(`s${i}`, { endpoint: `ep${i}` }), ...pub(`p${i}`, { endpoint: `ep${i}` }), ...pub(`h${i}`, { endpoint: `ep${i}`, transport: 'http' })]),
    ];
    await helper.load(appsyncNodes, flow, {
      a1: { apiKey: secrets.apiKey },
      a2: { token: secrets.token },
      a3: { accessKeyId: IAM_KEY.accessKeyId, secretAccessKey: secrets.secretAccessKey, sessionToken: secrets.sessionToken },
    });
    const caught = collect(helper.getNode('caught'));
    for (const i of [0, 1, 2]) {
      helper.getNode(`p${i}`).receive({ payload: 1 });
      helper.getNode(`h${i}`).receive({ payload: 1 });
    }
    await waitFor(() => caught.length >= 9, `errors from every node (have ${caught.length})`);
    // The fence: two more refused attempts on each endpoint, whose log lines are read too.
    const attempts = [0, 1, 2].map((i) => connectAttempts(`ep${i}`));
    await waitFor(() => attempts.every((n) => n() >= 2), 'two more attempts on each endpoint');
    const everything = JSON.stringify({
      log: helper.log().args,
      caught: caught.map((m) => m.error),
      status: ['s0', 's1', 's2', 'p0', 'p1', 'p2', 'h0', 'h1', 'h2'].map((id) => statusTexts(helper.getNode(id))),
    });
    assert.match(everything, /UnauthorizedException|BadRequestException/);
    for (const [name, value] of Object.entries(secrets)) assert.ok(!everything.includes(value), `${name} leaked`);
  });

  it('keeps credentials out of the exported flow', async () => {
    await helper.load(appsyncNodes, [TAB, ...endpoint(emulator, { auth: { authType: 'iam' } })], { auth: { accessKeyId: 'AKIAEXPORTTEST', secretAccessKey: 'export-secret-value', sessionToken: 'export-session-token', apiKey: 'da2-export-api-key' } });
    const exported = JSON.stringify(helper._redNodes.getFlows());
    assert.ok(exported.includes('events-authorizer'));
    for (const secret of ['export-secret-value', 'export-session-token', 'da2-export-api-key', 'AKIAEXPORTTEST']) assert.ok(!exported.includes(secret), `${secret} exported`);
  });
});
