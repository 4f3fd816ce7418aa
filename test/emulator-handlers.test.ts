import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Events, EventsError, apiKeyAuthorizer, authTokenAuthorizer, iamAuthorizer, staticCredentials } from '../src/client';
import { createEmulator, readApiConfig, type Emulator } from '../src/emulator';
import { FAST, IAM_KEY } from './support/fixtures';
import { Collector, waitFor } from './support/wait';

// The emulator as a development server: the API declared in a config file, namespaces that allow only some auth
// modes, and APPSYNC_JS handlers that transform, filter and fail events and refuse subscriptions, run isolated with a
// time limit and reloaded when their file changes.

const KEY = 'da2-configconfigconfigconfig';

/** The README's example handler, as it ships with the example flow. */
const README_HANDLER = readFileSync(join(__dirname, '..', 'examples', 'handlers', 'rooms.mjs'), 'utf8');

const HANDLERS = `import { util } from '@aws-appsync/utils';

export function onSubscribe(ctx) {
  if (ctx.info.channel.segments.at(-1) === 'forbidden') util.unauthorized();
}

async function spinAsync() {
  for (;;) await 0;
}

export function onPublish(ctx) {
  if (ctx.events.some((e) => e.payload.explode)) throw new Error('boom');
  if (ctx.events.some((e) => e.payload.loop)) for (;;) {}
  if (ctx.events.some((e) => e.payload.asyncLoop)) return spinAsync();
  if (ctx.events.some((e) => e.payload.escape)) {
    console.log('escape attempt');
    return ctx.events.map((e) => ({ id: e.id, payload: { process: util.autoId.constructor('return typeof process')(), id: util.autoId() } }));
  }
  return ctx.events
    .filter((e) => !e.payload.drop)
    .map((e) => (e.payload.bad ? { id: e.id, error: 'bad event' } : { id: e.id, payload: { ...e.payload, channel: ctx.info.channel.path, ns: ctx.info.channelNamespace.name } }));
}
`;

describe('the emulator as a development server', function () {
  this.timeout(20_000);
  let dir: string;
  let emulator: Emulator;
  const log: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'appsync-dev-'));
    writeFileSync(join(dir, 'handlers.mjs'), HANDLERS);
    writeFileSync(join(dir, 'rooms.mjs'), README_HANDLER);
    writeFileSync(join(dir, 'stamp.mjs'), `export function onPublish(ctx) { return ctx.events.map((e) => ({ id: e.id, payload: { ...e.payload, by: ctx.identity && ctx.identity.handlerContext } })); }\n`);
    writeFileSync(
      join(dir, 'authorizer.mjs'),
      `export async function handler(event) {
  await new Promise((r) => setTimeout(r, 5));
  if (event.authorizationToken === 'explode') throw new Error('authorizer failed');
  return { isAuthorized: event.authorizationToken.startsWith('allow-'), handlerContext: { user: event.authorizationToken.slice(6), operation: event.requestContext.operation } };
}
`,
    );
    writeFileSync(
      join(dir, 'api.json'),
      JSON.stringify({
        apiKeys: [KEY],
        iam: [IAM_KEY],
        namespaces: [
          { name: 'default' },
          { name: 'secure', publishAuthModes: ['AWS_IAM'], subscribeAuthModes: ['AWS_IAM'] },
          { name: 'handled', codeHandlers: './handlers.mjs' },
          { name: 'rooms', publishAuthModes: ['API_KEY'], subscribeAuthModes: ['API_KEY', 'AWS_IAM'], codeHandlers: './rooms.mjs' },
          { name: 'lambda', publishAuthModes: ['AWS_LAMBDA'], subscribeAuthModes: ['AWS_LAMBDA'], codeHandlers: './stamp.mjs' },
        ],
        lambdaAuthorizer: './authorizer.mjs',
      }),
    );
    emulator = await createEmulator({ ...readApiConfig(join(dir, 'api.json')), log: (l) => log.push(l) });
  });
  after(async () => {
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const apiKey = () => new Events(emulator.httpUrl).createWebSocketClient(apiKeyAuthorizer(KEY), FAST);
  const iam = () => new Events({ url: emulator.httpUrl, region: 'us-east-1' }).createWebSocketClient(iamAuthorizer({ region: 'us-east-1', credentials: staticCredentials(IAM_KEY) }), FAST);

  it('refuses a config it cannot use, naming the field', () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ namespaces: [{ name: 'x', publishAuthModes: ['API_KEYS'] }] }));
    assert.throws(() => readApiConfig(join(dir, 'bad.json')), /bad\.json: namespaces\[0\]\.publishAuthModes: "API_KEYS" is not an auth mode/);
  });

  it('a namespace that allows only IAM refuses an API key, for publish and subscribe, and takes IAM', async () => {
    const key = apiKey();
    const signed = iam();
    try {
      await assert.rejects(key.publish('secure/x', [1]), (err: EventsError) => err.errorType === 'UnauthorizedException');
      await assert.rejects(key.subscribe('secure/x').ready, (err: EventsError) => err.errorType === 'UnauthorizedException');
      await signed.subscribe('secure/x').ready;
      assert.equal((await signed.publish('secure/x', [1])).successful.length, 1);
      assert.equal((await key.publish('default/x', [1])).successful.length, 1, 'other namespaces allow every mode');
    } finally {
      await Promise.all([key.disconnect(false), signed.disconnect(false)]);
    }
  });

  it('onSubscribe refuses a channel with Unauthorized; onPublish transforms, filters and fails single events', async () => {
    const client = apiKey();
    try {
      await assert.rejects(client.subscribe('handled/forbidden').ready, (err: EventsError) => err.errorType === 'Unauthorized');
      const got = new Collector<unknown>();
      await client.subscribe('handled/*', { onEvent: got.push }).ready;
      const result = await client.publish('handled/room', [{ n: 1 }, { n: 2, drop: true }, { n: 3, bad: true }]);
      assert.deepEqual(result.successful.map((s) => s.index), [0, 1], 'a dropped event was accepted, just not broadcast');
      assert.deepEqual(result.failed.map((f) => [f.index, f.message]), [[2, 'bad event']]);
      assert.deepEqual(await got.waitFor(1), [{ n: 1, channel: '/handled/room', ns: 'handled' }]);
    } finally {
      await client.disconnect(false);
    }
  });

  it("the README's handler stamps each event with its channel, refuses rooms/staff and fails empty events", async () => {
    const client = apiKey();
    try {
      await assert.rejects(client.subscribe('rooms/staff').ready, (err: EventsError) => err.errorType === 'Unauthorized');
      const got = new Collector<unknown>();
      await client.subscribe('rooms/*', { onEvent: got.push }).ready;
      const result = await client.publish('rooms/lobby', [{ text: 'hi' }, null]);
      assert.deepEqual(result.failed.map((f) => [f.index, f.message]), [[1, 'empty event']]);
      assert.deepEqual(await got.waitFor(1), [{ text: 'hi', channel: '/rooms/lobby' }]);
    } finally {
      await client.disconnect(false);
    }
  });

  it('a Lambda authorizer stand-in decides for tokens, in order, and its handlerContext reaches the handlers', async () => {
    const token = (t: string) => new Events(emulator.httpUrl).createWebSocketClient(authTokenAuthorizer(t), { ...FAST, authRetryDelayMs: 60_000 });
    const alice = token('allow-alice');
    const denied = token('deny-bob');
    const broken = token('explode');
    const key = apiKey();
    try {
      const got = new Collector<unknown>();
      // Subscribe and publish on one connection, each answer waiting for the authorizer: the subscription is made first.
      const subscribed = alice.subscribe('lambda/room', { onEvent: got.push }).ready;
      const published = alice.publish('lambda/room', [{ text: 'hi' }]);
      await subscribed;
      await published;
      assert.deepEqual(await got.waitFor(1), [{ text: 'hi', by: { user: 'alice', operation: 'EVENT_PUBLISH' } }]);
      await assert.rejects(denied.connect(), (err: EventsError) => err.errorType === 'UnauthorizedException');
      await assert.rejects(broken.connect(), (err: EventsError) => err.errorType === 'UnauthorizedException');
      assert.ok(log.some((l) => l.includes('authorizer failed')), 'the failure is in the log');
      await assert.rejects(key.publish('lambda/room', [1]), (err: EventsError) => err.errorType === 'UnauthorizedException', 'the namespace allows only AWS_LAMBDA');
      const http = new Events(emulator.httpUrl).createRestClient(authTokenAuthorizer('allow-carol'));
      assert.equal((await http.publish('lambda/room', [{ text: 'over http' }])).successful.length, 1);
    } finally {
      await Promise.all([alice, denied, broken, key].map((c) => c.disconnect(false)));
    }
  });

  it('a handler that throws or loops gets an error answer, and the server goes on', async () => {
    const client = apiKey();
    try {
      await assert.rejects(client.publish('handled/x', [{ explode: true }]), (err: EventsError) => /onPublish failed: boom/.test(err.message));
      const started = Date.now();
      await assert.rejects(client.publish('handled/x', [{ loop: true }]), (err: EventsError) => /onPublish failed: Script execution timed out/.test(err.message));
      assert.ok(Date.now() - started < 3_000, 'stopped by the time limit');
      // An async handler that never ends (issue 18): microtasks count against the same limit.
      await assert.rejects(client.publish('handled/x', [{ asyncLoop: true }]), (err: EventsError) => /onPublish failed: Script execution timed out/.test(err.message));
      assert.equal((await client.publish('handled/x', [{ n: 1 }])).successful.length, 1);
    } finally {
      await client.disconnect(false);
    }
  });

  it("util is the context's own: its functions do not hand out the emulator's Function constructor", async () => {
    const client = apiKey();
    try {
      const got = new Collector<{ process: string; id: string }>();
      await client.subscribe('handled/escape', { onEvent: (e) => got.push(e as { process: string; id: string }) }).ready;
      await client.publish('handled/escape', [{ escape: true }]);
      const [event] = await got.waitFor(1);
      assert.equal(event?.process, 'undefined');
      assert.match(event?.id ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.ok(log.some((l) => l.endsWith('handlers.mjs: escape attempt')), 'console.log reaches the log');
    } finally {
      await client.disconnect(false);
    }
  });

  it('loads the Lambda authorizer again when its file changes', async () => {
    const original = readFileSync(join(dir, 'authorizer.mjs'), 'utf8');
    const client = (token: string) => new Events(emulator.httpUrl).createWebSocketClient(authTokenAuthorizer(token), FAST);
    const before = client('allow-before');
    try {
      await before.connect();
      const changes = () => log.filter((l) => l.includes('authorizer.mjs: changed')).length;
      const seen = changes();
      writeFileSync(join(dir, 'authorizer.mjs'), `export async function handler(event) { return { isAuthorized: event.authorizationToken === 'only-this' }; }\n`);
      await waitFor(() => changes() > seen, 'the change noticed');
      await assert.rejects(client('allow-after').connect(), (err: EventsError) => err.errorType === 'UnauthorizedException');
      const only = client('only-this');
      await only.connect();
      await only.disconnect(false);
    } finally {
      writeFileSync(join(dir, 'authorizer.mjs'), original);
      await before.disconnect(false);
    }
  });

  it('reloads the handlers when their file changes', async () => {
    const client = apiKey();
    try {
      const got = new Collector<unknown>();
      await client.subscribe('handled/reload', { onEvent: got.push }).ready;
      const loads = () => log.filter((l) => l.includes('handlers loaded') && l.endsWith('handlers.mjs')).length;
      const before = loads();
      writeFileSync(join(dir, 'handlers.mjs'), `export function onPublish(ctx) { return ctx.events.map((e) => ({ id: e.id, payload: 'v2' })); }\n`);
      // The reload runs 50 ms after the file's last change event: the one file write is whole by then.
      await waitFor(() => loads() > before, 'the reload');
      await client.publish('handled/reload', [{ n: 1 }]);
      assert.deepEqual(await got.waitFor(1), ['v2']);
    } finally {
      writeFileSync(join(dir, 'handlers.mjs'), HANDLERS);
      await client.disconnect(false);
    }
  });
});
