// npm run bench [-- --quick]: every figure measured on this machine, in this run, against the local emulator.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { DriverMessage, EmulatorInfo, WorkerMessage } from './protocol';
import { median } from './stats';

const QUICK = process.argv.includes('--quick');
/** `--only sub`: run just the subscribe-delivery figures and print them (no results file). */
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
/** The endpoint's default number of publish connections, which the pool's publish figure is measured with. */
const POOL_PUBLISH_CONNECTIONS = 4;
const RUNS = QUICK ? 1 : 5;
const TMP = join(__dirname, '.tmp');
const TSX = ['--require', 'tsx/cjs'];

type Values = Record<string, number>;

interface EmulatorProcess {
  info: EmulatorInfo;
  child: ChildProcess;
  call(command: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

function certificate(): { cert: string; key: string } {
  mkdirSync(TMP, { recursive: true });
  const cert = join(TMP, 'cert.pem');
  const key = join(TMP, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  return { cert, key };
}

async function startEmulator(tls: { cert: string; key: string }, publishLimit?: number, maxSubscriptions?: number): Promise<EmulatorProcess> {
  const child = fork(join(__dirname, 'emulator-process.ts'), [tls.cert, tls.key, String(publishLimit ?? 0), ...(maxSubscriptions ? [String(maxSubscriptions)] : [])], { execArgv: TSX });
  const waiting = new Map<number, (reply: unknown) => void>();
  let next = 0;
  const info = await new Promise<EmulatorInfo>((resolve) => {
    child.on('message', (m: { ready?: boolean; httpUrl: string; apiKey: string; id?: number; reply?: unknown }) => {
      if (m.ready) resolve({ httpUrl: m.httpUrl, apiKey: m.apiKey });
      else if (m.id !== undefined) {
        waiting.get(m.id)?.(m.reply);
        waiting.delete(m.id);
      }
    });
  });
  return {
    info,
    child,
    call: (command) =>
      new Promise((resolve) => {
        const id = ++next;
        waiting.set(id, resolve);
        child.send({ id, command });
      }),
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

/** One run of a scenario in a fresh process; emulator commands from the worker are relayed. */
function runOnce(emulator: EmulatorProcess, scenario: string, params: Values | Record<string, number | boolean>, certPath: string): Promise<Values> {
  return new Promise((resolve, reject) => {
    const worker = fork(join(__dirname, 'worker.ts'), [], { execArgv: [...TSX, '--expose-gc'], env: { ...process.env, NODE_EXTRA_CA_CERTS: certPath } });
    const timer = setTimeout(() => {
      worker.kill('SIGKILL');
      reject(new Error(`${scenario} timed out`));
    }, 180_000);
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'emulator') {
        void emulator.call(m.command).then((reply) => worker.send({ type: 'emulator-reply', id: m.id, reply } satisfies DriverMessage));
      } else if (m.type === 'result') {
        clearTimeout(timer);
        resolve(m.values);
      } else {
        clearTimeout(timer);
        reject(new Error(`${scenario}: ${m.message}`));
      }
    });
    worker.on('exit', (code) => {
      if (code) {
        clearTimeout(timer);
        reject(new Error(`${scenario} exited with ${code}`));
      }
    });
    worker.send({ type: 'job', job: { scenario, params, emulator: emulator.info } } satisfies DriverMessage);
  });
}

interface Job {
  scenario: string;
  params: Record<string, number | boolean>;
  publishLimit?: number;
  /** Subscriptions per connection the emulator allows (default: more than any scenario needs). */
  maxSubscriptions?: number;
}

/**
 * The median of each value over RUNS rounds. The jobs of a group run in turn within each round, each against a
 * fresh emulator, so that drift in the machine's speed (seen here at about 15 % over minutes) touches every
 * figure of a comparison alike.
 */
async function measureTogether(tls: { cert: string; key: string }, jobs: readonly Job[]): Promise<Values[]> {
  const runs: Values[][] = jobs.map(() => []);
  for (let round = 0; round < RUNS; round++) {
    for (const [i, job] of jobs.entries()) {
      const emulator = await startEmulator(tls, job.publishLimit, job.maxSubscriptions);
      try {
        runs[i]!.push(await runOnce(emulator, job.scenario, job.params, tls.cert));
      } finally {
        await emulator.stop();
      }
    }
  }
  return jobs.map((job, i) => {
    const keys = Object.keys(runs[i]![0]!);
    const result = Object.fromEntries(keys.map((k) => [k, median(runs[i]!.map((r) => r[k]!))]));
    // Each run's rate too: on this machine one run in five can differ from the others by half.
    const each = runs[i]!.length > 1 && runs[i]![0]!.rate !== undefined ? ` (runs: ${runs[i]!.map((r) => Math.round(r.rate!)).join(', ')})` : '';
    process.stderr.write(`  ${job.scenario} ${JSON.stringify(job.params)} → ${JSON.stringify(Object.fromEntries(Object.entries(result).map(([k, v]) => [k, Math.round(v * 10) / 10])))}${each}\n`);
    return result;
  });
}

async function measure(tls: { cert: string; key: string }, scenario: string, params: Record<string, number | boolean>, publishLimit?: number, maxSubscriptions?: number): Promise<Values> {
  return (await measureTogether(tls, [{ scenario, params, publishLimit, maxSubscriptions }]))[0]!;
}

/**
 * What `require(module)` costs a fresh plain Node.js process (no tsx): milliseconds, and RSS above the same process
 * requiring nothing. Median of `runs` processes; `ws` alone is the reference, and the pack loads `ws` itself.
 */
function loadCost(module: string | undefined, runs: number): { ms: number; rssMB: number } {
  const script = `const t = process.hrtime.bigint(); ${module ? `require(${JSON.stringify(module)});` : ''} process.stdout.write(JSON.stringify({ ms: Number(process.hrtime.bigint() - t) / 1e6, rss: process.memoryUsage().rss }));`;
  const samples = Array.from({ length: runs }, () => JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: join(__dirname, '..') }).toString()) as { ms: number; rss: number });
  return { ms: median(samples.map((x) => x.ms)), rssMB: median(samples.map((x) => x.rss)) / 2 ** 20 };
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ratio = (a: number, b: number) => `${fmt(a / b, 2)}×`;

interface Row {
  /** The figure of the first release (bench/RESULTS.md of 2026-11-28) where one exists. */
  before?: string;
  section: string;
  what: string;
  value: string;
  versus?: string;
  ratio?: string;
  target?: string;
  met?: boolean;
}

async function main(): Promise<void> {
  const tls = certificate();
  const size = (full: number, quick: number) => (QUICK ? quick : full);
  const started = Date.now();
  process.stderr.write(`bench: ${QUICK ? 'quick' : 'full'} mode, ${RUNS} run(s) per figure\n`);

  const loadRuns = RUNS * 3;
  const [loadNothing, loadWs, loadPack] = [undefined, 'ws', './nodes/appsync-events.js'].map((m) => loadCost(m, loadRuns)) as [{ ms: number; rssMB: number }, { ms: number; rssMB: number }, { ms: number; rssMB: number }];
  const wsGrowth = loadWs.rssMB - loadNothing.rssMB;
  const packGrowth = loadPack.rssMB - loadNothing.rssMB;

  const subEvents = size(100_000, 10_000);
  const [subBare, subLib, subNode, nodeCeiling, nodeSocketCeiling] = ONLY === 'pub' || ONLY === 'http' || ONLY === 'outbox' || ONLY === 'pool' || ONLY === 'coalesce' ? [{}, {}, {}, {}, {}] : await measureTogether(tls, [
    { scenario: 'sub-bare', params: { events: subEvents } },
    { scenario: 'sub-lib', params: { events: subEvents } },
    { scenario: 'sub-node', params: { events: subEvents } },
    { scenario: 'node-ceiling', params: { events: subEvents } },
    { scenario: 'node-socket-ceiling', params: { events: subEvents } },
  ]) as [Values, Values, Values, Values, Values];
  if (ONLY === 'sub') {
    process.stdout.write(`node ${ratio(subNode.rate!, 1 / (1 / subLib.rate! + 1 / nodeCeiling.rate!))} of its bound, ${ratio(subNode.rate!, nodeSocketCeiling.rate!)} of Node-RED fed by a bare socket\n`);
    process.stdout.write(`library ${ratio(subLib.rate!, subBare.rate!)} bare, node ${ratio(subNode.rate!, subBare.rate!)} bare\n`);
    return;
  }
  const pubEvents = size(20_000, 2_000);
  if (ONLY === 'pub') {
    const [bare, lib, bareAll, libAll] = await measureTogether(tls, [
      { scenario: 'pub-bare', params: { events: pubEvents, lanes: 100 } },
      { scenario: 'pub-lib', params: { events: pubEvents, batch: 1, lanes: 100 } },
      { scenario: 'pub-bare', params: { events: pubEvents, lanes: pubEvents } },
      { scenario: 'pub-lib', params: { events: pubEvents, batch: 1, lanes: pubEvents } },
    ]) as [Values, Values, Values, Values];
    process.stdout.write(`100 in flight: library ${ratio(lib.rate!, bare.rate!)} bare; all in flight: library ${ratio(libAll.rate!, bareAll.rate!)} bare\n`);
    return;
  }
  const outboxFigures = async (): Promise<{ file: Values; memory: Values; flush: Values }> => {
    const [file, memory] = await measureTogether(tls, [
      { scenario: 'backlog-file', params: { events: size(100_000, 10_000), batch: 1 } },
      { scenario: 'backlog-memory', params: { events: size(100_000, 10_000), batch: 1 } },
    ]) as [Values, Values];
    return { file, memory, flush: await measure(tls, 'outbox-flush', { requests: size(200, 50) }) };
  };
  if (ONLY === 'outbox') {
    const { file, memory, flush } = await outboxFigures();
    process.stdout.write(`file: queued ${fmt(file.queuedRate!)}/s, drained ${fmt(file.drainRate!)}/s, heap while queued +${fmt(file.heapQueuedMB!, 1)} MB\n`);
    process.stdout.write(`memory: queued ${fmt(memory.queuedRate!)}/s, drained ${fmt(memory.drainRate!)}/s, heap while queued +${fmt(memory.heapQueuedMB!, 1)} MB\n`);
    process.stdout.write(`flush: ${fmt(flush.oneAtATimeUs!)} µs one at a time, ${fmt(flush.groupedUs!, 1)} µs grouped\n`);
    return;
  }
  // 2,000 requests took a third of a second and the ratio swung between 2.8x and 4.5x from run to run.
  const httpEvents = size(10_000, 300);
  if (ONLY === 'http') {
    const [lib, amp] = await measureTogether(tls, [
      { scenario: 'http-lib', params: { events: httpEvents, lanes: 8 } },
      { scenario: 'http-amplify', params: { events: httpEvents, lanes: 8 } },
    ]) as [Values, Values];
    process.stdout.write(`HTTP: library ${ratio(lib.rate!, amp.rate!)} Amplify\n`);
    return;
  }
  const poolFigures = async (): Promise<{ subscribe: Values; publish: Values }> => ({
    subscribe: await measure(tls, 'pool-subscribe', { channels: size(1_000, 1_000) }, 0, 200),
    publish: await measure(tls, 'pool-publish', { messages: size(10_000, 1_000), publishConnections: POOL_PUBLISH_CONNECTIONS }, 25),
  });
  if (ONLY === 'coalesce') {
    const burst = { messages: 5_000, rate: 0, coalesceMs: 10 };
    const [off, on] = [await measure(tls, 'coalesce', { ...burst, coalesce: false }), await measure(tls, 'coalesce', { ...burst, coalesce: true })];
    process.stdout.write(`no rate limit, burst of single-event messages: ${fmt(off.acceptedPerSecond!)} / ${fmt(on.acceptedPerSecond!)} events/s, coalescing off / on\n`);
    return;
  }
  if (ONLY === 'pool') {
    const { subscribe, publish } = await poolFigures();
    process.stdout.write(`1,000 channels: subscribed in ${fmt(subscribe.subscribeMs!)} ms on ${fmt(subscribe.connections!)} connections, again after a drop in ${fmt(subscribe.resubscribeMs!)} ms, ${fmt(subscribe.heapPerSubscription! / 1024, 2)} KB each\n`);
    process.stdout.write(`publish with Coalesce against 25 requests/s per connection: ${fmt(publish.steadyPerSecond!)} events/s steady, ${fmt(publish.acceptedPerSecond!)} over the burst, ${fmt(publish.refused!)} refused\n`);
    return;
  }
  const subAmplify = await measure(tls, 'sub-amplify', { events: subEvents });

  const seqEvents = size(2_000, 300);
  const [pubBareAll, pubLibAll, pubBare, pubLib1, pubLib5, pubAmplify, pubLibSeq, pubAmplifySeq] = await measureTogether(tls, [
    { scenario: 'pub-bare', params: { events: pubEvents, lanes: pubEvents } },
    { scenario: 'pub-lib', params: { events: pubEvents, batch: 1, lanes: pubEvents } },
    { scenario: 'pub-bare', params: { events: pubEvents, lanes: 100 } },
    { scenario: 'pub-lib', params: { events: pubEvents, batch: 1, lanes: 100 } },
    { scenario: 'pub-lib', params: { events: pubEvents, batch: 5, lanes: 100 } },
    { scenario: 'pub-amplify', params: { events: pubEvents, lanes: 100 } },
    { scenario: 'pub-lib', params: { events: seqEvents, batch: 1, lanes: 1 } },
    { scenario: 'pub-amplify', params: { events: seqEvents, lanes: 1 } },
  ]) as [Values, Values, Values, Values, Values, Values, Values, Values];

  const [httpLib, httpAmplify] = await measureTogether(tls, [
    { scenario: 'http-lib', params: { events: httpEvents, lanes: 8 } },
    { scenario: 'http-amplify', params: { events: httpEvents, lanes: 8 } },
  ]) as [Values, Values];

  const latencyParams = { rate: 500, seconds: size(5, 1) };
  const [latLib, latNode] = await measureTogether(tls, [
    { scenario: 'latency-lib', params: latencyParams },
    { scenario: 'latency-node', params: latencyParams },
  ]) as [Values, Values];

  const idleSeconds = size(3, 1);
  const scaleLib: Array<[number, Values]> = [];
  for (const k of [1, 100, 1000]) scaleLib.push([k, await measure(tls, 'scale-lib', { subscriptions: k, idleSeconds, resubscribe: k === 1000 })]);
  const scaleNode: Array<[number, Values]> = [];
  for (const k of [1, 10, 50]) scaleNode.push([k, await measure(tls, 'scale-node', { nodes: k, idleSeconds })]);

  const fanout: Array<[number, Values]> = [];
  for (const k of [1, 10, 100]) fanout.push([k, await measure(tls, 'emu-fanout', { subscribers: k, events: Math.round(size(100_000, 10_000) / k) })]);

  const limited = { messages: size(300, 100), rate: 100, coalesceMs: 50 };
  const coalesceOff = await measure(tls, 'coalesce', { ...limited, coalesce: false }, 25);
  const coalesceOn = await measure(tls, 'coalesce', { ...limited, coalesce: true }, 25);
  const burst = { messages: size(5_000, 1_000), rate: 0, coalesceMs: 10 };
  const burstOff = await measure(tls, 'coalesce', { ...burst, coalesce: false });
  const burstOn = await measure(tls, 'coalesce', { ...burst, coalesce: true });

  const outbox = await outboxFigures();
  const pool = await poolFigures();
  const poolTarget = 0.9 * POOL_PUBLISH_CONNECTIONS * 125;
  const backlogEvents = size(100_000, 10_000);

  const nodeBound = 1 / (1 / subLib.rate! + 1 / nodeCeiling.rate!);
  const rows: Row[] = [
    { section: '0. Loading the node set (fresh process, no IAM)', what: '`require(\'ws\')` alone: ms, RSS above an empty process (MB)', value: `${fmt(loadWs.ms, 1)} ms, ${fmt(wsGrowth, 1)} MB` },
    { section: '', what: 'the pack (`nodes/appsync-events.js`)', value: `${fmt(loadPack.ms, 1)} ms, ${fmt(packGrowth, 1)} MB`, versus: '`ws` alone: time, RSS', ratio: `${ratio(loadPack.ms, loadWs.ms)}, ${ratio(packGrowth, wsGrowth)}`, target: '≤ 1.5× `ws` (both)', met: loadPack.ms <= 1.5 * loadWs.ms && packGrowth <= 1.5 * wsGrowth, before: '84 ms, 53.7 MB RSS in all (ws: 24 ms, 46.9 MB)' },
    { section: '1. Subscribe delivery (events/s to user code)', what: 'bare `ws` client, parsing each frame and event (the limit)', value: fmt(subBare.rate!) },
    { section: '', what: 'this library, `subscribe()`', value: fmt(subLib.rate!), versus: 'bare ws', ratio: ratio(subLib.rate!, subBare.rate!), target: '≥ 0.80× bare', met: subLib.rate! >= 0.8 * subBare.rate!, before: '0.89×' },
    { section: '', what: 'Node-RED alone: a source node sending the same messages to the same sink (its ceiling)', value: fmt(nodeCeiling.rate!), versus: 'bound for the node: 1 / (1/library + 1/Node-RED)', ratio: fmt(nodeBound) },
    { section: '', what: '`events-subscribe` node in Node-RED', value: fmt(subNode.rate!), versus: 'its bound', ratio: ratio(subNode.rate!, nodeBound), target: '≥ 0.90× its bound', met: subNode.rate! >= 0.9 * nodeBound, before: '0.83×' },
    { section: '', what: 'Node-RED fed by a bare `ws` subscriber in its process, no pack, reading a backlog without pauses', value: fmt(nodeSocketCeiling.rate!), versus: 'the node / this', ratio: ratio(subNode.rate!, nodeSocketCeiling.rate!) },
    { section: '', what: 'Amplify JS `channel.subscribe`', value: fmt(subAmplify.rate!), versus: 'this library', ratio: ratio(subLib.rate!, subAmplify.rate!) },
    { section: '2. WebSocket publish (events/s acknowledged)', what: 'bare `ws` loop sending the library\'s frames, all in flight (the limit)', value: fmt(pubBareAll.rate!) },
    { section: '', what: 'this library, single events, all in flight', value: fmt(pubLibAll.rate!), versus: 'bare ws, all in flight', ratio: ratio(pubLibAll.rate!, pubBareAll.rate!), target: '≥ 0.70× bare', met: pubLibAll.rate! >= 0.7 * pubBareAll.rate!, before: '0.51× (measured here before this work)' },
    { section: '', what: 'bare `ws` loop, 100 in flight', value: fmt(pubBare.rate!) },
    { section: '', what: 'this library, single events, 100 in flight', value: fmt(pubLib1.rate!), versus: 'bare ws, 100 in flight', ratio: ratio(pubLib1.rate!, pubBare.rate!), before: '0.76× (smaller bare frames)' },
    { section: '', what: 'this library, batches of 5', value: fmt(pubLib5.rate!), versus: 'bare ws (single)', ratio: ratio(pubLib5.rate!, pubBare.rate!) },
    { section: '', what: 'Amplify JS `channel.publish`, single events', value: fmt(pubAmplify.rate!), versus: 'this library, single', ratio: ratio(pubLib1.rate!, pubAmplify.rate!), target: 'library ≥ 3× Amplify', met: pubLib1.rate! >= 3 * pubAmplify.rate! },
    { section: '', what: 'one at a time: this library / Amplify JS', value: `${fmt(pubLibSeq.rate!)} / ${fmt(pubAmplifySeq.rate!)}`, ratio: ratio(pubLibSeq.rate!, pubAmplifySeq.rate!) },
    { section: '3. HTTP publish (events/s, 8 requests in flight)', what: 'this library, REST client', value: fmt(httpLib.rate!) },
    { section: '', what: 'Amplify JS `events.post`', value: fmt(httpAmplify.rate!), versus: 'this library', ratio: ratio(httpLib.rate!, httpAmplify.rate!), target: 'library ≥ 3× Amplify', met: httpLib.rate! >= 3 * httpAmplify.rate!, before: '2.19×' },
    { section: '4. Latency, publish to delivery at 500 events/s (ms)', what: 'this library: p50 / p99', value: `${fmt(latLib.p50!, 2)} / ${fmt(latLib.p99!, 2)}` },
    { section: '', what: '`events-subscribe` node: p50 / p99', value: `${fmt(latNode.p50!, 2)} / ${fmt(latNode.p99!, 2)}` },
    ...scaleLib.map(([k, v], i): Row => ({
      section: i === 0 ? '5. Scale: subscriptions on one connection (library)' : '',
      what: `${k} subscription${k > 1 ? 's' : ''}: heap / RSS (MB), idle CPU`,
      value: `${fmt(v.heapMB!, 1)} / ${fmt(v.rssMB!, 1)}, ${fmt(v.idleCpuPercent!, 2)} %`,
      ...(k === 1000 ? { versus: 'heap per subscription', ratio: `${fmt(v.heapPerSubscription! / 1024, 2)} KB`, target: '< 2 KB', met: v.heapPerSubscription! < 2048 } : {}),
    })),
    { section: '', what: 'time to resubscribe 1,000 subscriptions after a drop', value: `${fmt(scaleLib[2]![1].resubscribeMs!)} ms` },
    ...scaleNode.map(([k, v], i): Row => ({
      section: i === 0 ? '5. Scale: `events-subscribe` nodes on one endpoint' : '',
      what: `${k} node${k > 1 ? 's' : ''}: heap / RSS (MB), idle CPU`,
      value: `${fmt(v.heapMB!, 1)} / ${fmt(v.rssMB!, 1)}, ${fmt(v.idleCpuPercent!, 2)} %`,
    })),
    ...fanout.map(([k, v], i): Row => ({
      section: i === 0 ? '6. Emulator fan-out (frames/s)' : '',
      what: `${k} subscriber${k > 1 ? 's' : ''}: received by clients / queued by the emulator`,
      value: `${fmt(v.received!)} / ${fmt(v.enqueued!)}`,
    })),
    { section: '7. Publish coalescing in the node (`Coalesce` option)', what: 'under 25 requests/s per connection, 100 msg/s offered: accepted events/s, refused (off)', value: `${fmt(coalesceOff.acceptedPerSecond!, 1)}, ${fmt(coalesceOff.refused!)} refused` },
    { section: '', what: 'same, coalescing on (coalesce within 50 ms)', value: `${fmt(coalesceOn.acceptedPerSecond!, 1)}, ${fmt(coalesceOn.refused!)} refused`, versus: 'off', ratio: ratio(coalesceOn.acceptedPerSecond!, coalesceOff.acceptedPerSecond!) },
    { section: '', what: 'no rate limit, burst of single-event messages: events/s off / on (coalesce within 10 ms)', value: `${fmt(burstOff.acceptedPerSecond!)} / ${fmt(burstOn.acceptedPerSecond!)}`, ratio: ratio(burstOn.acceptedPerSecond!, burstOff.acceptedPerSecond!) },
    { section: `8. Publish queue stores: a backlog of ${fmt(backlogEvents)} single-event publishes`, what: 'memory store: queued / drained (events/s), heap while queued (MB)', value: `${fmt(outbox.memory.queuedRate!)} / ${fmt(outbox.memory.drainRate!)}, +${fmt(outbox.memory.heapQueuedMB!, 1)} MB` },
    { section: '', what: 'file store (on disk, fsync): queued / drained (events/s), heap while queued (MB)', value: `${fmt(outbox.file.queuedRate!)} / ${fmt(outbox.file.drainRate!)}, +${fmt(outbox.file.heapQueuedMB!, 1)} MB`, versus: 'memory store: heap', ratio: ratio(outbox.file.heapQueuedMB!, outbox.memory.heapQueuedMB!), target: 'heap does not grow with the backlog (≤ 0.25× memory)', met: outbox.file.heapQueuedMB! <= 0.25 * outbox.memory.heapQueuedMB! },
    { section: '', what: 'file store, heap after draining (MB above the start)', value: `+${fmt(outbox.file.heapAfterMB!, 1)} MB` },
    { section: '', what: 'storing one publish: awaited alone (a write and an fsync each) / 100 at once (group commit), µs per request', value: `${fmt(outbox.flush.oneAtATimeUs!)} / ${fmt(outbox.flush.groupedUs!, 1)}` },
    { section: '9. Beyond one connection (the endpoint\'s pool; 200 subscriptions and 25 publish requests/s per connection)', what: 'subscribing 1,000 channels, the quota learnt from the refusals: ms (connections)', value: `${fmt(pool.subscribe.subscribeMs!)} ms (${fmt(pool.subscribe.connections!)})`, target: '≤ 5,000 ms', met: pool.subscribe.subscribeMs! <= 5_000 },
    { section: '', what: 'making all 1,000 again after every connection drops: ms', value: fmt(pool.subscribe.resubscribeMs!), target: '≤ 5,000 ms', met: pool.subscribe.resubscribeMs! <= 5_000 },
    { section: '', what: 'heap per subscription in the pool', value: `${fmt(pool.subscribe.heapPerSubscription! / 1024, 2)} KB`, target: '≤ 2 KB', met: pool.subscribe.heapPerSubscription! <= 2048 },
    { section: '', what: `publish node with Coalesce, burst over 10 channels, publishRate 25, ${POOL_PUBLISH_CONNECTIONS} publish connections: accepted events/s in the steady state (20–80 % of the burst), refused`, value: `${fmt(pool.publish.steadyPerSecond!)}, ${fmt(pool.publish.refused!)} refused`, versus: `${POOL_PUBLISH_CONNECTIONS} × 125 events/s`, ratio: ratio(pool.publish.steadyPerSecond!, POOL_PUBLISH_CONNECTIONS * 125), target: `≥ ${fmt(poolTarget)} (0.9 × ${POOL_PUBLISH_CONNECTIONS} × 125)`, met: pool.publish.steadyPerSecond! >= poolTarget },
    { section: '', what: 'same, over the whole burst (the first second opens the other connections; the last channels finish on fewer)', value: fmt(pool.publish.acceptedPerSecond!) },
  ];

  const emulatorBound = fanout[0]![1].enqueued! < 1.2 * subBare.rate!;
  const table = [
    '| measure | | value | compared with | ratio | target | | first release |',
    '|---|---|---:|---|---:|---|---|---|',
    ...rows.map((r) => `| ${r.section} | ${r.what} | ${r.value} | ${r.versus ?? ''} | ${r.ratio ?? ''} | ${r.target ?? ''} | ${r.met === undefined ? '' : r.met ? 'met' : '**missed**'} | ${r.before ?? ''} |`),
  ].join('\n');

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const header = `Machine: ${cpu}, ${cpus().length} cores, ${fmt(totalmem() / 2 ** 30, 0)} GiB; Node.js ${process.version}; ${new Date().toISOString().slice(0, 10)}; ${QUICK ? 'quick mode (1 run, small sizes: a smoke check, not a measurement)' : `median of ${RUNS} runs per figure`}; ${fmt((Date.now() - started) / 1000, 0)} s in all.`;
  const bottleneck = emulatorBound
    ? 'The emulator queued frames for one subscriber at less than 1.2× the bare client\'s delivery rate: subscribe figures may be bounded by the emulator, not by the clients.'
    : `The emulator queued frames for one subscriber at ${ratio(fanout[0]![1].enqueued!, subBare.rate!)} the bare client's delivery rate, so it was not the bottleneck of the subscribe figures.`;
  process.stdout.write(`\n${header}\n\n${table}\n\n${bottleneck}\n`);

  const missed = rows.filter((r) => r.met === false);
  const out = join(__dirname, QUICK ? '.tmp/RESULTS-quick.md' : 'RESULTS.md');
  writeFileSync(
    out,
    `# Benchmark results\n\nWritten by \`npm run bench${QUICK ? ' -- --quick' : ''}\`. ${header}\n\n` +
      'Everything runs on 127.0.0.1 over TLS (`wss`/`https`, a self-signed certificate), because Amplify JS always uses `wss`. ' +
      'The emulator runs in its own process; each figure comes from fresh client processes. See `bench/README.md` for what each scenario does.\n\n' +
      `${table}\n\n${bottleneck}\n\n` +
      (missed.length ? `Targets missed in this run: ${missed.map((r) => r.what).join('; ')}. See "What the figures say" in \`bench/README.md\`.\n` : 'Every target was met in this run.\n'),
  );
  process.stderr.write(`bench: wrote ${out}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
