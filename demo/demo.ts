import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync, lstatSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { createEmulator, type Emulator } from '../src/emulator';

export interface DemoOptions {
  /** Node-RED user directory (default `.node-red-demo` in the repository, git-ignored). */
  userDir?: string;
  /** Preferred editor port; a free one is used when it is taken. */
  port?: number;
  emulatorPort?: number;
  /** Where Node-RED's log lines go. */
  log?: (line: string) => void;
  /** Deploy this flow instead of the demo flow (written even when a flow file exists). */
  flow?: unknown[];
}

export interface Demo {
  editorUrl: string;
  emulator: Emulator;
  apiKey: string;
  nodeRed: ChildProcess;
  stop(): Promise<void>;
}

const ROOT = resolve(__dirname, '..');
const PACKAGE = 'node-red-contrib-appsync-events';
export const DEMO_API_KEY = 'da2-localdemolocaldemolocaldemo';

export function portIsFree(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const server = createServer();
    server.once('error', () => ok(false));
    server.listen(port, '127.0.0.1', () => server.close(() => ok(true)));
  });
}

export async function freePort(preferred: number): Promise<number> {
  if (preferred > 0 && (await portIsFree(preferred))) return preferred;
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

/** The demo flow: publish on a button and a timer, subscribe, show events in the Debug sidebar. */
export function demoFlow(): unknown[] {
  const example = JSON.parse(readFileSync(join(ROOT, 'examples', 'Publish and subscribe with an API key.json'), 'utf8')) as Array<Record<string, unknown>>;
  const flow = example.map((n) => {
    if (n.type === 'tab') return { ...n, label: 'AppSync Events demo' };
    if (n.type === 'comment') return { ...n, name: 'AppSync Events demo: local emulator, API key', info: 'Started by npm start. The endpoint URL and API key come from the environment (APPSYNC_EVENTS_URL, APPSYNC_API_KEY). Press the button of "publish now", or wait for the timer, and watch the Debug sidebar.' };
    if (n.type === 'events-endpoint') return { ...n, url: '${APPSYNC_EVENTS_URL}' };
    if (n.type === 'events-subscribe' || (n.type === 'debug' && n.name === 'events')) return { ...n, y: (n.y as number) + 40 };
    return n;
  });
  const tab = flow.find((n) => n.type === 'tab')!.id;
  const publish = flow.find((n) => n.type === 'events-publish')!.id;
  flow.push({
    id: 'd0e0000000000001',
    type: 'inject',
    z: tab,
    name: 'publish now',
    props: [{ p: 'payload' }],
    repeat: '',
    crontab: '',
    once: false,
    onceDelay: 0.1,
    topic: '',
    payload: '{"greeting":"hello from the button"}',
    payloadType: 'json',
    x: 160,
    y: 140,
    wires: [[publish]],
  });
  return flow;
}

const SETTINGS = `module.exports = {
  uiHost: '127.0.0.1',
  uiPort: Number(process.env.PORT),
  flowFile: 'flows.json',
  telemetry: { enabled: false, updateNotification: false },
  editorTheme: { tours: false },
  logging: { console: { level: 'info', metrics: false, audit: false } },
};
`;

/** Starts the emulator and Node-RED with this pack and the demo flow. */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const userDir = options.userDir ?? join(ROOT, '.node-red-demo');
  prepareUserDir(userDir, options.flow);

  const emulator = await startEmulatorOn(options.emulatorPort ?? 4010);
  const log = options.log ?? (() => {});
  let launched: Launched | undefined;
  try {
    // Another program can take the free port we found before Node-RED binds it: then try another.
    for (let tries = 0; !launched; tries++) {
      const port = await freePort(tries === 0 ? (options.port ?? 1880) : 0);
      const attempt = await launchNodeRed(userDir, port, { ...process.env, PORT: String(port), APPSYNC_EVENTS_URL: emulator.httpUrl, APPSYNC_API_KEY: DEMO_API_KEY }, log);
      if (attempt.started) launched = attempt;
      else if (!attempt.portInUse || tries >= 2) throw new Error('Node-RED exited before its flows started');
    }
  } catch (err) {
    await emulator.stop();
    throw err;
  }
  const { nodeRed, exit, port } = launched;
  const editorUrl = `http://127.0.0.1:${port}/`;

  return {
    editorUrl,
    emulator,
    apiKey: DEMO_API_KEY,
    nodeRed,
    async stop() {
      if (nodeRed.exitCode === null && nodeRed.signalCode === null) {
        nodeRed.kill('SIGINT');
        const timer = setTimeout(() => nodeRed.kill('SIGKILL'), 10_000);
        await exit;
        clearTimeout(timer);
      }
      await emulator.stop();
    },
  };
}

/**
 * A Node-RED user directory with this pack installed (linked, as an install from the palette would place it), the
 * settings, and `flow` (or, when there is no flow file yet, the demo flow).
 */
export function prepareUserDir(userDir: string, flow?: unknown[]): void {
  if (!existsSync(join(ROOT, 'nodes', 'appsync-events.js'))) throw new Error('the pack is not built: run npm run build');
  mkdirSync(join(userDir, 'node_modules'), { recursive: true });
  const link = join(userDir, 'node_modules', PACKAGE);
  if (existsSync(link) || isBrokenLink(link)) rmSync(link, { recursive: true, force: true });
  symlinkSync(ROOT, link, 'dir');
  writeFileSync(join(userDir, 'settings.js'), SETTINGS);
  if (flow) writeFileSync(join(userDir, 'flows.json'), JSON.stringify(flow));
  else if (!existsSync(join(userDir, 'flows.json'))) writeFileSync(join(userDir, 'flows.json'), JSON.stringify(demoFlow(), null, 2));
}

/** The emulator on `preferred`, or on a free port when that one is taken (port 0 binds without a race). */
async function startEmulatorOn(preferred: number): Promise<Emulator> {
  try {
    return await createEmulator({ port: preferred, apiKeys: [DEMO_API_KEY] });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    return createEmulator({ port: 0, apiKeys: [DEMO_API_KEY] });
  }
}

export interface Launched {
  nodeRed: ChildProcess;
  exit: Promise<void>;
  port: number;
  started: boolean;
  portInUse: boolean;
}

/** Starts Node-RED and resolves once its flows started, or once it exited (saying whether its port was taken). */
export async function launchNodeRed(userDir: string, port: number, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<Launched> {
  // NODE_RED_PATH points at another installation (the browser test on Node-RED 5, test/run-node-red-5.mjs).
  const redJs = require.resolve('node-red/red.js', process.env.NODE_RED_PATH ? { paths: [process.env.NODE_RED_PATH] } : undefined);
  const nodeRed = spawn(process.execPath, [redJs, '--userDir', userDir, '--settings', join(userDir, 'settings.js')], {
    cwd: userDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exit = new Promise<void>((ok) => nodeRed.once('exit', () => ok()));
  let portInUse = false;
  const started = await new Promise<boolean>((settle) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        log(line);
        if (line.includes('port in use')) portInUse = true;
        if (line.includes('Started flows')) settle(true);
      }
    };
    nodeRed.stdout!.on('data', onData);
    nodeRed.stderr!.on('data', onData);
    void exit.then(() => settle(false));
  });
  return { nodeRed, exit, port, started, portInUse };
}

function isBrokenLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
