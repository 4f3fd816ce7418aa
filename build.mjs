// Turns src/ into the CommonJS files that Node-RED and plain Node.js load.
// Runtime dependencies stay external: npm installs them beside the pack.
import { build } from 'esbuild';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
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

// The editor: one script built from each node type's src/editor/<type>/editor.ts (with the settings and channel rule
// the runtime uses), then each type's dialog template, in the one HTML file Node-RED loads beside the .js; each type's
// help goes to the locale file Node-RED serves in the help sidebar.
const NODE_TYPES = ['events-authorizer', 'events-endpoint', 'events-publish', 'events-subscribe'];
const editor = await build({ ...common, platform: 'browser', format: 'iife', target: 'es2020', entryPoints: ['src/editor/browser/index.ts'], write: false });
const indent = (text) => text.trimEnd().replace(/^(?=.)/gm, '    ');
const section = async (type, file, attribute) => `<script type="text/html" ${attribute}="${type}">\n${indent(await readFile(`src/editor/${type}/${file}`, 'utf8'))}\n</script>\n`;
const header = '<!-- Built by build.mjs from src/editor/: edit the sources there. -->\n';
const templates = await Promise.all(NODE_TYPES.map((type) => section(type, 'template.html', 'data-template-name')));
await writeFile('nodes/appsync-events.html', `${header}<script type="text/javascript">\n${editor.outputFiles[0].text}</script>\n\n${templates.join('\n')}`);
await mkdir('nodes/locales/en-US', { recursive: true });
const help = await Promise.all(NODE_TYPES.map((type) => section(type, 'help.html', 'data-help-name')));
await writeFile('nodes/locales/en-US/appsync-events.html', header + help.join('\n'));
await cp('src/editor/locales/en-US.json', 'nodes/locales/en-US/appsync-events.json');

// Node-RED reads icons only from an icons/ folder next to the node's .js file.
if (existsSync('icons')) {
  await rm('nodes/icons', { recursive: true, force: true });
  await mkdir('nodes/icons', { recursive: true });
  await cp('icons', 'nodes/icons', { recursive: true });
}
