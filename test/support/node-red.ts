import type { EventEmitter } from 'node:events';
import type { EndpointConnection } from '../../src/nodes/endpoint-connection';

/** The parts of node-red-node-test-helper these tests use (it ships no types). */
interface SpyCall {
  thisValue: unknown;
  args: unknown[];
}

export interface TestNode extends EventEmitter {
  id: string;
  receive(msg: Record<string, unknown>): void;
  /** A sinon spy on Node.prototype: its calls are every node's, so filter by `thisValue`. */
  status: { getCalls(): SpyCall[] };
}

export interface FlowNode {
  id: string;
  type: string;
  z?: string;
  wires?: string[][];
  [key: string]: unknown;
}

interface Helper {
  init(nodeRedPath: string, settings?: Record<string, unknown>): void;
  /** A supertest agent on the runtime's admin API (the routes nodes register with RED.httpAdmin). */
  request(): { post(path: string): { send(body: unknown): Promise<{ status: number; body: unknown }> } };
  /** Merges `settings` into the runtime settings of the next load (the helper keeps them until changed). */
  settings(settings: Record<string, unknown>): Record<string, unknown>;
  startServer(): Promise<void>;
  stopServer(): Promise<void>;
  load(nodes: unknown, flow: FlowNode[], credentials?: Record<string, Record<string, string>>): Promise<void>;
  setFlows(flow: FlowNode[], type: 'full' | 'flows' | 'nodes', credentials?: Record<string, Record<string, string>>): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): TestNode;
  /** A sinon spy on Node-RED's log: every line any node logged since load. */
  log(): { args: unknown[][] };
  /** The runtime's node registry: `getFlows()` is what Node-RED saves and exports. */
  _redNodes: { getFlows(): { flows: unknown[] } };
  /** The sinon sandbox whose spies on Node.prototype and the log keep every call (and its node) until reset. */
  _sandbox: { resetHistory(): void };
}

/** Node-RED treats a node without x and y as a config node; tab nodes get coordinates here. */
function placed(flow: FlowNode[]): FlowNode[] {
  return flow.map((n) => (n.z && !('x' in n) ? { x: 100, y: 100, ...n } : n));
}

// Node-RED 5 under Node 22 is tested by pointing NODE_RED_PATH at another installation.
/** The Node-RED under test: the dev dependency, or the one under NODE_RED_PATH. */
export const nodeRedPath = require.resolve('node-red', process.env.NODE_RED_PATH ? { paths: [process.env.NODE_RED_PATH] } : undefined);
const raw = require('node-red-node-test-helper') as Helper;
raw.init(nodeRedPath);

/** The Node-RED version under test, shown in test titles so the log says which runtime ran. */
export const nodeRedVersion = (require(require.resolve('node-red/package.json', { paths: [nodeRedPath] })) as { version: string }).version;

export const helper: Helper = {
  ...raw,
  init: (path, settings) => raw.init(path, settings),
  settings: (settings) => raw.settings(settings),
  request: () => raw.request(),
  startServer: () => raw.startServer(),
  stopServer: () => raw.stopServer(),
  load: (nodes, flow, credentials) => raw.load(nodes, placed(flow), credentials),
  setFlows: (flow, type, credentials) => raw.setFlows(placed(flow), type, credentials),
  unload: () => raw.unload(),
  getNode: (id) => raw.getNode(id),
  log: () => raw.log(),
  get _redNodes() {
    return raw._redNodes;
  },
  get _sandbox() {
    return raw._sandbox;
  },
};

/**
 * Forgets the calls the helper's spies recorded. They hold every node that ever logged or set a status, so a
 * test that measures the heap across hundreds of deploys would otherwise measure the spies.
 */
export function forgetSpiedCalls(): void {
  raw._sandbox.resetHistory();
}

/** The status texts one node set, in order. */
export function statusTexts(node: TestNode): Array<string | undefined> {
  return node.status
    .getCalls()
    .filter((c) => c.thisValue === node)
    .map((c) => (c.args[0] as { text?: string }).text);
}

/** The message a helper node receives next. */
export function nextMessage(node: TestNode, timeoutMs = 5_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message at ${node.id} within ${timeoutMs} ms`)), timeoutMs);
    node.once('input', (msg: Record<string, unknown>) => {
      clearTimeout(timer);
      resolve(msg);
    });
  });
}

/** Collects every message a helper node receives. */
export function collect(node: TestNode): Array<Record<string, unknown>> {
  const items: Array<Record<string, unknown>> = [];
  node.on('input', (msg: Record<string, unknown>) => items.push(msg));
  return items;
}

/**
 * Counts the connection attempts of an endpoint config node's WebSocket from now on: a fence that retries happened,
 * each of which could have done what a test proves absent.
 */
export function connectAttempts(endpointId: string): () => number {
  const connection: EndpointConnection = Reflect.get(helper.getNode(endpointId), 'connection');
  let attempts = 0;
  connection.webSocket().onStateChange((state) => {
    if (state.status === 'connecting') attempts++;
  });
  return () => attempts;
}

/** A Catch node for the whole tab 'tab', wired to the helper node 'caught'. */
export const catchAll: FlowNode[] = [
  { id: 'catch', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
  { id: 'caught', type: 'helper', z: 'tab' },
];
