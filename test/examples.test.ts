import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import appsyncNodes = require('../src/nodes');
import { createEmulator, type Emulator } from '../src/emulator';
import { API_KEY, IAM_KEY, startEmulator } from './support/fixtures';
import { withEnv } from './support/env';
import { collect, helper, nodeRedPath, type FlowNode } from './support/node-red';
import { waitFor } from './support/wait';

const EXAMPLES = join(__dirname, '..', 'examples');
const nodeRedCore = join(dirname(require.resolve('@node-red/nodes/package.json', { paths: [dirname(nodeRedPath)] })), 'core');
const inject = require(join(nodeRedCore, 'common/20-inject.js')) as unknown;
const change = require(join(nodeRedCore, 'function/15-change.js')) as unknown;
const functionNode = require(join(nodeRedCore, 'function/10-function.js')) as unknown;

function load(name: string): FlowNode[] {
  return JSON.parse(readFileSync(join(EXAMPLES, `${name}.json`), 'utf8')) as FlowNode[];
}

/** Debug nodes become helper nodes (same id), comments go; endpoints point at the emulator. */
function runnable(flow: FlowNode[], emulator: Emulator): FlowNode[] {
  return flow.filter((n) => n.type !== 'comment').map((n) => {
    if (n.type === 'debug') return { id: n.id, type: 'helper', z: n.z, x: n.x, y: n.y };
    if (n.type === 'events-endpoint') return { ...n, url: emulator.httpUrl, region: 'us-east-1' };
    return n;
  });
}

describe('examples', () => {
  let emulator: Emulator;
  before(() => helper.startServer());
  after(() => helper.stopServer());
  beforeEach(async () => {
    emulator = await startEmulator();
    process.env.APPSYNC_API_KEY = API_KEY;
  });
  afterEach(async () => {
    delete process.env.APPSYNC_API_KEY;
    await helper.unload();
    await emulator.stop();
  });

  it('are flat flow arrays that together use every node type, each with a comment', () => {
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'));
    assert.ok(files.length >= 3);
    const types = new Set<string>();
    for (const f of files) {
      const flow = JSON.parse(readFileSync(join(EXAMPLES, f), 'utf8')) as FlowNode[];
      assert.ok(Array.isArray(flow), f);
      assert.ok(flow.some((n) => n.type === 'comment'), `${f} has a comment node`);
      flow.forEach((n) => types.add(n.type));
    }
    for (const t of ['events-authorizer', 'events-endpoint', 'events-publish', 'events-subscribe']) assert.ok(types.has(t), t);
  });

  it('"Channel stamp from a local handler" receives events stamped with their room, from the handler it ships with', async () => {
    // What the example's comment says to run: --namespace default --namespace rooms:examples/handlers/rooms.mjs.
    const withHandler = await createEmulator({ apiKeys: [API_KEY], namespaces: ['default', { name: 'rooms', codeHandlers: join(EXAMPLES, 'handlers', 'rooms.mjs') }] });
    try {
      await helper.load([appsyncNodes, inject], runnable(load('Channel stamp from a local handler'), withHandler));
      const events = collect(helper.getNode('e4f0000000000006'));
      await waitFor(() => events.length >= 1, 'an event', 8_000);
      assert.deepEqual(events[0]!.payload, { text: 'hello', channel: '/rooms/lobby' });
    } finally {
      await helper.unload();
      await withHandler.stop();
    }
  });

  it('"Publish and subscribe with an API key" delivers events', async () => {
    await helper.load([appsyncNodes, inject], runnable(load('Publish and subscribe with an API key'), emulator));
    const events = collect(helper.getNode('e1f0000000000007'));
    await waitFor(() => events.length >= 1, 'an event', 8_000);
    assert.deepEqual(events[0]!.payload, { temperature: 21.5, unit: 'C' });
    assert.equal(events[0]!.topic, '/default/sensors/*');
  });

  it('"IAM from the default credential chain" signs with the environment credentials', async () => {
    await withEnv({ AWS_ACCESS_KEY_ID: IAM_KEY.accessKeyId, AWS_SECRET_ACCESS_KEY: IAM_KEY.secretAccessKey }, async () => {
      await helper.load([appsyncNodes, inject], runnable(load('IAM from the default credential chain'), emulator));
      await waitFor(() => emulator.stats().subscriptions === 1, 'the subscription');
      const orders = collect(helper.getNode('e2f0000000000007'));
      const results = collect(helper.getNode('e2f0000000000005'));
      helper.getNode('e2f0000000000003').receive({});
      await waitFor(() => orders.length === 3 && results.length === 1, 'three orders');
      assert.deepEqual(orders.map((m) => m.payload), [{ order: 1 }, { order: 2 }, { order: 3 }]);
    });
  });

  it('"Dynamic subscriptions" subscribes, lists and unsubscribes', async () => {
    await helper.load([appsyncNodes, inject, change], runnable(load('Dynamic subscriptions'), emulator));
    await waitFor(() => emulator.stats().subscriptions === 2, 'two subscriptions', 8_000);
    const out = collect(helper.getNode('e3f0000000000007'));
    helper.getNode('e3f0000000000008').receive({});
    await waitFor(() => out.length === 2, 'an event per room');
    assert.deepEqual(out.map((m) => m.topic).sort(), ['/default/rooms/room-1', '/default/rooms/room-2']);
    helper.getNode('e3f0000000000004').receive({});
    await waitFor(() => emulator.stats().subscriptions === 1, 'one subscription left');
    helper.getNode('e3f0000000000005').receive({});
    await waitFor(() => out.some((m) => m.topic === 'subscriptions'), 'the list');
    assert.deepEqual((out.find((m) => m.topic === 'subscriptions')!.payload as Array<{ channel: string }>).map((s) => s.channel), ['/default/rooms/room-1']);
  });

  it('"Gateway presence" shows the gateway online from its birth message, and readings with their real channel and seq', async () => {
    await helper.load([appsyncNodes, inject, functionNode], runnable(load('Gateway presence'), emulator));
    const presence = collect(helper.getNode('e5f000000000000a'));
    const readings = collect(helper.getNode('e5f0000000000006'));
    // The debug node also shows the subscription's state messages (topic "state").
    const reading = () => readings.find((m) => m.topic !== 'state');
    await waitFor(() => presence.length >= 1 && reading() !== undefined, 'online, and a reading', 8_000);
    assert.deepEqual([presence[0]!.topic, presence[0]!.payload], ['gateway-1', 'online']);
    const first = reading()!;
    assert.deepEqual([first.topic, first.payload], ['/default/sensors/pump-1', { rpm: 1200 }]);
    assert.deepEqual([(first.appsync as { src: string }).src, (first.appsync as { seq: number }).seq], ['gateway-1', 1]);
  });
});
