import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

function freePort(): Promise<number> {
  return new Promise((ok) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

describe('the npm package', function () {
  this.timeout(300_000);
  let tarball: string;
  let userDir: string;

  before(() => {
    const out = mkdtempSync(join(tmpdir(), 'appsync-pack-'));
    execFileSync('npm', ['pack', '--pack-destination', out, '--loglevel=error'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    tarball = join(out, readdirSync(out).find((f) => f.endsWith('.tgz'))!);
  });

  it('holds the built nodes, editor, locales, icons and examples, and no tests or sources', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n').map((f) => f.replace(/^package\//, ''));
    for (const f of ['package.json', 'README.md', 'LICENSE', 'nodes/appsync-events.js', 'nodes/appsync-events.html', 'nodes/icons/appsync-events.svg', 'nodes/locales/en-US/appsync-events.html', 'nodes/locales/en-US/appsync-events.json', 'examples/Dynamic subscriptions.json', 'dist/emulator-cli.js', 'dist/client.js']) {
      assert.ok(files.includes(f), `${f} is in the package`);
    }
    for (const f of files) assert.doesNotMatch(f, /^(src|test|bench|demo|docs)\/|\.ts$|tsconfig|build\.mjs|\.ci/, `${f} should not be shipped`);
  });

  /** Starts Node-RED on `dir`, runs `check` while it is up, and returns its warning and error lines. */
  async function withNodeRed(dir: string, check: (port: number) => Promise<void>, extraSettings = ''): Promise<string[]> {
    const port = await freePort();
    writeFileSync(join(dir, 'settings.js'), `module.exports = { uiHost: '127.0.0.1', uiPort: ${port}, flowFile: 'flows.json', telemetry: { enabled: false, updateNotification: false }, editorTheme: { tours: false }${extraSettings} };\n`);
    const nodeRed = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', dir, '--settings', join(dir, 'settings.js')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    nodeRed.stdout.on('data', (d: Buffer) => (log += d.toString()));
    nodeRed.stderr.on('data', (d: Buffer) => (log += d.toString()));
    try {
      const start = Date.now();
      while (!/Started flows/.test(log)) {
        if (Date.now() - start > 60_000 || nodeRed.exitCode !== null) throw new Error(`Node-RED did not start:\n${log}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await check(port);
    } finally {
      nodeRed.kill('SIGINT');
      await once(nodeRed, 'exit');
    }
    return log
      .split('\n')
      .filter((l) => /\[(warn|error)\]/.test(l))
      .map((l) => l.replace(/^.*?\[(warn|error)\]/, '[$1]').replace(/\/tmp\/\S+/g, '<dir>'));
  }

  function userDirectory(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true, dependencies: {} }));
    return dir;
  }

  it('installs into a plain Node-RED user directory, registers its four types, and adds no warning to the log', async () => {
    // A fresh user directory makes Node-RED warn about its own first run; the pack must add nothing to that.
    const baseline = await withNodeRed(userDirectory('appsync-baseline-'), async () => {});
    userDir = userDirectory('appsync-userdir-');
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: userDir, stdio: ['ignore', 'ignore', 'inherit'] });
    const warnings = await withNodeRed(userDir, async (port) => {
      const nodes = (await (await fetch(`http://127.0.0.1:${port}/nodes`, { headers: { accept: 'application/json' } })).json()) as Array<{ module: string; types: string[]; enabled: boolean; err?: string }>;
      const ours = nodes.find((n) => n.module === 'node-red-contrib-appsync-events');
      assert.ok(ours, 'the module is registered');
      assert.deepEqual([...ours.types].sort(), ['events-authorizer', 'events-endpoint', 'events-publish', 'events-subscribe']);
      assert.equal(ours.err, undefined);
      assert.equal(ours.enabled, true);
      const example = await fetch(`http://127.0.0.1:${port}/library/examples/flows/node-red-contrib-appsync-events/Dynamic%20subscriptions`);
      assert.equal(example.status, 200, 'the examples are served under Import > Examples');
      const icon = await fetch(`http://127.0.0.1:${port}/icons/node-red-contrib-appsync-events/appsync-events.svg`);
      assert.equal(icon.status, 200, 'the icon is served');
      // The editor's script is built into the node's HTML, the runtime's channel rule with it.
      const editor = await (await fetch(`http://127.0.0.1:${port}/nodes`, { headers: { accept: 'text/html' } })).text();
      for (const type of ['events-authorizer', 'events-endpoint', 'events-publish', 'events-subscribe']) assert.ok(editor.includes(`data-template-name="${type}"`), `the ${type} dialog`);
      assert.match(editor, /a wildcard channel can be subscribed to, not published to/);
    });
    assert.deepEqual(warnings, baseline);
  });

  it("refuses the Test connection route to users without the right to change endpoints, when adminAuth is set", async () => {
    // Node-RED's own password hashing (bcryptjs, a dependency of its admin API).
    const bcrypt = require(require.resolve('bcryptjs', { paths: [dirname(require.resolve('node-red/package.json'))] })) as { hashSync(p: string, rounds: number): string };
    const users = [
      { username: 'admin', password: bcrypt.hashSync('admin-pass-1', 8), permissions: '*' },
      { username: 'viewer', password: bcrypt.hashSync('viewer-pass-1', 8), permissions: 'read' },
    ];
    await withNodeRed(
      userDir,
      async (port) => {
        const base = `http://127.0.0.1:${port}`;
        // A token may ask only for the user's own permissions as its scope.
        const token = async (username: string, password: string, scope: string) => {
          const res = await fetch(`${base}/auth/token`, { method: 'POST', body: new URLSearchParams({ client_id: 'node-red-admin', grant_type: 'password', scope, username, password }) });
          const answer = (await res.json()) as { access_token?: string };
          assert.ok(answer.access_token, `a token for ${username}: ${JSON.stringify(answer)}`);
          return answer.access_token;
        };
        const post = (bearer?: string) =>
          fetch(`${base}/appsync-events/test-connection`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
            body: JSON.stringify({ url: 'http://127.0.0.1:1/event', authorizer: 'none', authorizerDef: { authType: 'apiKey' }, credentials: { apiKey: 'da2-routekeyroutekeyroutekey' } }),
          });
        assert.equal((await post()).status, 401, 'no token: refused');
        // A valid token of a read-only user: it reads the flows, and is refused the route (Node-RED answers a missing
        // permission with 401, @node-red/editor-api auth needsPermission).
        const viewer = await token('viewer', 'viewer-pass-1', 'read');
        assert.equal((await fetch(`${base}/flows`, { headers: { authorization: `Bearer ${viewer}` } })).status, 200, 'the viewer may read');
        assert.equal((await post(viewer)).status, 401, 'read-only user: refused');
        const allowed = await post(await token('admin', 'admin-pass-1', '*'));
        assert.equal(allowed.status, 200);
        const answer = (await allowed.json()) as { ok: boolean; code: string; message: string };
        assert.equal(answer.ok, false);
        assert.equal(answer.code, 'NetworkError');
        assert.ok(!JSON.stringify(answer).includes('da2-routekeyroutekeyroutekey'));
      },
      `, adminAuth: { type: 'credentials', users: ${JSON.stringify(users)} }`,
    );
  });

  it('installs the emulator command', () => {
    const help = execFileSync(join(userDir, 'node_modules', '.bin', 'appsync-events-local'), ['--help'], { encoding: 'utf8' });
    assert.match(help, /Usage: appsync-events-local/);
  });
});
