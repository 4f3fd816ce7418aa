// An embedded, unmodified Node-RED runtime with this pack loaded as a user would have it.
import http from 'node:http';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

interface NodeRed {
  init(server: http.Server, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

type Msg = Record<string, unknown>;

declare global {
  var __benchSources: Record<string, (msg: Msg) => void> | undefined;
  var __benchSinks: Record<string, (msg: Msg) => void> | undefined;
}

const ROOT = resolve(__dirname, '..');

export interface Runtime {
  /** The send function of a bench-source node, once its flow has started. */
  source(name: string): Promise<(msg: Msg) => void>;
  sink(name: string, fn: (msg: Msg) => void): void;
  stop(): Promise<void>;
}

/** Starts Node-RED with `flow`; the pack comes from the repository, linked into a fresh user directory. */
export async function startNodeRed(flow: unknown[]): Promise<Runtime> {
  const userDir = mkdtempSync(join(tmpdir(), 'appsync-bench-nr-'));
  mkdirSync(join(userDir, 'node_modules'));
  symlinkSync(ROOT, join(userDir, 'node_modules', 'node-red-contrib-appsync-events'), 'dir');
  writeFileSync(join(userDir, 'flows.json'), JSON.stringify(flow));
  const RED = require('node-red') as NodeRed;
  RED.init(http.createServer(), {
    userDir,
    flowFile: 'flows.json',
    nodesDir: [join(__dirname, 'nodered')],
    httpAdminRoot: false,
    httpNodeRoot: false,
    credentialSecret: false,
    logging: { console: { level: 'error' } },
    telemetry: { enabled: false, updateNotification: false },
  });
  globalThis.__benchSinks = {};
  await RED.start();
  return {
    async source(name) {
      // RED.start() resolves before every flow has started.
      for (let waited = 0; !globalThis.__benchSources?.[name]; waited += 10) {
        if (waited > 30_000) throw new Error(`no bench source ${name}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return globalThis.__benchSources[name]!;
    },
    sink: (name, fn) => {
      globalThis.__benchSinks![name] = fn;
    },
    stop: () => RED.stop(),
  };
}

/** The endpoint and API-key authorizer config nodes every bench flow uses (the key comes from the environment). */
export function endpointNodes(httpUrl: string, settings: Record<string, unknown> = {}): unknown[] {
  return [
    { id: 'bench-auth', type: 'events-authorizer', authType: 'apiKey', tokenSource: 'env', tokenName: 'BENCH_API_KEY' },
    { id: 'bench-ep', type: 'events-endpoint', url: httpUrl, authorizer: 'bench-auth', queueSize: 100000, ...settings },
  ];
}

export const TAB = { id: 'bench-tab', type: 'tab', label: 'bench' };

export function place<T extends object>(node: T, i = 0): T & { x: number; y: number; z: string } {
  return { x: 100, y: 100 + i * 40, z: TAB.id, ...node };
}
