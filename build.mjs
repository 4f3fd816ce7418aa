// Turns src/ into the CommonJS files that Node-RED and plain Node.js load.
// Runtime dependencies stay external: npm installs them beside the pack.
import { build } from 'esbuild';
import { cp, mkdir, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';

const pkg = JSON.parse(await readFile(new URL('./package.json', import.meta.url), 'utf8'));
const external = ['node-red', ...Object.keys(pkg.dependencies ?? {})];

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external,
  sourcemap: false,
  logLevel: 'warning',
};

const entries = [
  { in: 'src/client/index.ts', out: 'dist/client.js' },
  { in: 'src/emulator/index.ts', out: 'dist/emulator.js' },
  { in: 'src/emulator/cli.ts', out: 'dist/emulator-cli.js', banner: '#!/usr/bin/env node' },
  { in: 'src/nodes/index.ts', out: 'nodes/appsync-events.js' },
].filter((e) => existsSync(e.in));

await Promise.all(
  entries.map((e) =>
    build({ ...common, entryPoints: [e.in], outfile: e.out, banner: e.banner ? { js: e.banner } : undefined }),
  ),
);

// The channel rule for the editor: the runtime's own code, so that the dialogs flag a channel with the same rule and
// wording. Node-RED serves a module's resources/ folder at /resources/<module>/.
await build({ ...common, platform: 'browser', format: 'iife', globalName: 'AppSyncEventsChannel', target: 'es2020', entryPoints: ['src/protocol/channel.ts'], outfile: 'resources/channel-rule.js' });

// Node-RED reads icons only from an icons/ folder next to the node's .js file.
if (existsSync('icons')) {
  await rm('nodes/icons', { recursive: true, force: true });
  await mkdir('nodes/icons', { recursive: true });
  await cp('icons', 'nodes/icons', { recursive: true });
}
