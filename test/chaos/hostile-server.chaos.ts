import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import appsyncNodes = require('../../src/nodes');
import { collect, helper, nodeRedVersion, type FlowNode } from '../support/node-red';
import { sleep, waitFor } from '../support/wait';
import { HOSTILE_CASES, type HostileCase } from './support/hostile-cases';
import { HostileServer } from './support/hostile-server';
import { record } from './support/report';

// Each hostile behaviour is acted out against two targets: the built client in a process of its own (which
// dies if anything throws out of the client), and a real Node-RED runtime with an events-subscribe node wired
// to two nodes and an events-publish node. After each: the target is alive, the next event arrives, the next
// publish is acknowledged, no reconnect storm follows, and Node.js printed no timer warning.

/** What a target must do after every case. */
interface Target {
  events(): unknown[];
  publish(n: number): Promise<{ ok: boolean; errorType?: string }>;
  alive(): boolean;
  warnings(): string[];
}

const marker = (n: number) => ({ marker: n });
const isMarker = (n: number) => (e: unknown) => typeof e === 'object' && e !== null && (e as { marker?: unknown }).marker === n;

async function runCase(name: string, target: Target, server: HostileServer, c: HostileCase, n: number): Promise<void> {
  const started = Date.now();
  const connectionsBefore = server.connections;
  const eventsBefore = target.events().length;
  let figures = '';
  try {
    await waitFor(() => server.subscriptions.size > 0, 'a subscription before the case');
    c.act(server);
    if (c.failsNextPublish) {
      const answer = await target.publish(-n);
      assert.equal(answer.ok, false, 'the malformed publish answer must fail the publish');
      figures += `publish failed: ${answer.errorType}; `;
    }
    if (c.replacesConnection) await waitFor(() => server.connections > connectionsBefore, 'a new connection', 10_000);
    await waitFor(() => server.subscriptions.size > 0, 'the subscription back', 10_000);
    const settledConnections = server.connections;
    server.deliver(JSON.stringify(marker(n)));
    await waitFor(() => target.events().some(isMarker(n)), 'the next event', 10_000);
    const published = await target.publish(n);
    assert.equal(published.ok, true, `the next publish must succeed (${published.errorType ?? ''})`);
    await sleep(300);
    assert.ok(server.connections <= settledConnections + 1, `no reconnect storm (${server.connections - settledConnections} connections in 300 ms)`);
    if (c.forbidden) assert.ok(!target.events().slice(eventsBefore).some((e) => JSON.stringify(e) === c.forbidden), `${c.forbidden} must not be delivered`);
    assert.ok(target.alive(), 'the process is alive');
    assert.deepEqual(target.warnings(), [], 'no Node.js warnings');
    figures += `${server.connections - connectionsBefore} reconnects, ${Date.now() - started} ms`;
    record({ scenario: 'hostile server', case: c.name, target: name, passed: true, figures });
  } catch (err) {
    record({ scenario: 'hostile server', case: c.name, target: name, passed: false, figures: `${figures}${err instanceof Error ? err.message : String(err)}` });
    throw err;
  }
}

describe('chaos: a hostile server against the plain client (dist/client.js, own process)', function () {
  let server: HostileServer;
  let worker: ChildProcess;
  const events: unknown[] = [];
  const warnings: string[] = [];
  const published = new Map<number, { ok: boolean; errorType?: string }>();

  before(async () => {
    server = await new HostileServer().start();
    worker = fork(join(__dirname, 'support', 'client-worker.ts'), [], { execArgv: ['--require', 'tsx/cjs'] });
    worker.on('message', (m: { type: string; event?: unknown; name?: string; n?: number; ok?: boolean; errorType?: string }) => {
      if (m.type === 'event') events.push(m.event);
      else if (m.type === 'warning') warnings.push(m.name ?? '');
      else if (m.type === 'published') published.set(m.n ?? 0, { ok: m.ok ?? false, errorType: m.errorType });
    });
    worker.send({ type: 'start', url: server.url });
  });
  after(async () => {
    if (worker.exitCode === null) {
      worker.send({ type: 'stop' });
      await new Promise((resolve) => worker.once('exit', resolve));
    }
    await server.close();
  });

  const target: Target = {
    events: () => events,
    alive: () => worker.exitCode === null && worker.signalCode === null,
    warnings: () => warnings,
    async publish(n) {
      worker.send({ type: 'publish', n });
      await waitFor(() => published.has(n), `the answer to publish ${n}`, 10_000);
      return published.get(n)!;
    },
  };

  HOSTILE_CASES.forEach((c, i) => {
    it(c.name, () => runCase('client', target, server, c, i + 1));
  });
});

describe(`chaos: a hostile server against Node-RED ${nodeRedVersion}`, function () {
  let server: HostileServer;
  const uncaught: Error[] = [];
  const warnings: string[] = [];
  const onUncaught = (err: Error) => uncaught.push(err);
  const onWarning = (w: Error) => warnings.push(w.name);
  let out1: Array<Record<string, unknown>>;
  let out2: Array<Record<string, unknown>>;
  let caught: Array<Record<string, unknown>>;
  let pubOut: Array<Record<string, unknown>>;

  before(async () => {
    process.on('uncaughtExceptionMonitor', onUncaught);
    process.on('warning', onWarning);
    server = await new HostileServer().start();
    await helper.startServer();
    const flow: FlowNode[] = [
      { id: 'tab', type: 'tab', label: 'chaos' },
      { id: 'auth', type: 'events-authorizer', authType: 'apiKey' },
      { id: 'ep', type: 'events-endpoint', url: server.url, authorizer: 'auth', reconnectBaseDelay: 0.01, reconnectMaxDelay: 0.1, requestTimeout: 2 },
      { id: 'sub', type: 'events-subscribe', z: 'tab', endpoint: 'ep', channel: 'default/chaos', output: 'json', wires: [['out1', 'out2']] },
      { id: 'out1', type: 'helper', z: 'tab' },
      { id: 'out2', type: 'helper', z: 'tab' },
      { id: 'pub', type: 'events-publish', z: 'tab', endpoint: 'ep', channel: 'default/chaos', transport: 'websocket', wires: [['pubout']] },
      { id: 'pubout', type: 'helper', z: 'tab' },
      { id: 'catch', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab' },
    ];
    await helper.load(appsyncNodes, flow, { auth: { apiKey: 'da2-chaoschaoschaoschaoschaos' } });
    out1 = collect(helper.getNode('out1'));
    out2 = collect(helper.getNode('out2'));
    caught = collect(helper.getNode('caught'));
    pubOut = collect(helper.getNode('pubout'));
  });
  after(async () => {
    process.off('uncaughtExceptionMonitor', onUncaught);
    process.off('warning', onWarning);
    await helper.unload();
    await helper.stopServer();
    await server.close();
  });

  const target: Target = {
    // An event counts once it reached both wires.
    events: () => out1.filter((m) => out2.some((o) => JSON.stringify(o.payload) === JSON.stringify(m.payload))).map((m) => m.payload),
    alive: () => uncaught.length === 0,
    warnings: () => warnings,
    async publish(n) {
      helper.getNode('pub').receive({ payload: { n }, seq: n });
      const mine = (m: Record<string, unknown>) => m.seq === n;
      await waitFor(() => pubOut.some(mine) || caught.some(mine), `the outcome of publish ${n}`, 10_000);
      const error = caught.find(mine)?.error as { code?: string } | undefined;
      return pubOut.some(mine) ? { ok: true } : { ok: false, errorType: error?.code };
    },
  };

  HOSTILE_CASES.forEach((c, i) => {
    it(c.name, async () => {
      const caughtBefore = caught.length;
      await runCase('node-red', target, server, c, i + 1);
      if (c.nodeRefusesEvent) assert.ok(caught.slice(caughtBefore).some((m) => /was not delivered/.test(String((m.error as { message?: string }).message))), 'the refused event reached Catch');
    });
  });
});
