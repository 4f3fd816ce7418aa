// Runs the whole suite again on Node-RED 5 under Node.js 22 (Node-RED 5 needs Node >= 22.9).
// Node 22 comes from the npm package node@22; Node-RED 5 is installed beside the project, outside node_modules.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const prefix = join(root, '.test-nr5');
const run = (cmd, args, env = {}) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });

if (!existsSync(join(prefix, 'node_modules', 'node-red', 'package.json'))) {
  run('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', 'node-red@5']);
}
const nodeRed5 = { NODE_RED_PATH: join(prefix, 'node_modules') };
// `--browser`: the editor test (test:browser) instead of the runtime suite.
const mocha = process.argv.includes('--browser')
  ? ['node_modules/mocha/bin/mocha.js', '--no-config', '--require', 'tsx/cjs', '--timeout', '120000', '--exit', 'test/browser/*.browser.ts']
  : ['node_modules/mocha/bin/mocha.js'];
run('npx', ['-y', 'node@22', ...mocha], nodeRed5);
