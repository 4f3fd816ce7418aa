import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { portIsFree } from '../demo/demo';
import { Events, apiKeyAuthorizer } from '../src/client';
import { Collector } from './support/wait';

/** Runs `npm start` (its command after the build), waits for the banner, checks the demo, then presses Ctrl-C. */
async function runDemoOnce(userDir: string): Promise<number> {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'demo/start.ts'], { env: { ...process.env, DEMO_USER_DIR: userDir }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let editorPort = 0;
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  try {
    const start = Date.now();
    while (!/Press Ctrl-C/.test(out)) {
      if (Date.now() - start > 30_000 || child.exitCode !== null) throw new Error(`the demo did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const editor = /Node-RED editor:\s+(\S+)/.exec(out)![1]!;
    const [, endpoint, key] = /Emulator endpoint:\s+(\S+)\s+\(API key (\S+)\)/.exec(out)!;
    assert.match(editor, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    editorPort = Number(new URL(editor).port);
    const page = await fetch(editor);
    assert.equal(page.status, 200);
    const flows = (await (await fetch(`${editor}flows`)).json()) as Array<{ type: string }>;
    assert.ok(flows.some((n) => n.type === 'events-subscribe') && flows.some((n) => n.type === 'events-publish'));
    // The demo publishes on a timer: an outside subscriber sees its events.
    const client = new Events(endpoint!).createWebSocketClient(apiKeyAuthorizer(key!));
    const got = new Collector<unknown>();
    await client.subscribe('default/sensors/*', { onEvent: got.push }).ready;
    await got.waitFor(1, 10_000);
    assert.deepEqual(got.items[0], { temperature: 21.5, unit: 'C' });
    await client.disconnect();
  } finally {
    child.kill('SIGINT');
  }
  const [code] = (await once(child, 'exit')) as [number];
  assert.equal(code, 0, out);
  assert.match(out, /Stopping Node-RED and the emulator/);
  return editorPort;
}

describe('npm start (the demo)', function () {
  this.timeout(90_000);

  it('starts the emulator and Node-RED with the demo flow, stops on Ctrl-C, and runs again', async () => {
    const userDir = mkdtempSync(join(tmpdir(), 'appsync-demo-'));
    const first = await runDemoOnce(userDir);
    assert.ok(await portIsFree(first), 'Ctrl-C released the editor port');
    await runDemoOnce(userDir);
  });
});
