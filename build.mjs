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
const indent = (text, by = '    ') => text.trimEnd().replace(/^(?=.)/gm, by);
const formRows = await formRowWriter();
const section = async (type, file, attribute) => `<script type="text/html" ${attribute}="${type}">\n${indent(formRows(type, await readFile(`src/editor/${type}/${file}`, 'utf8')))}\n</script>\n`;
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

/**
 * A dialog's form row, written in its template as `<row for="property" icon="font-awesome name">`, becomes the label and
 * the input the property's rule in src/editor/node-settings.ts calls for: a select of the rule's choices, a narrow field
 * for a number, a checkbox with its tip, a password field for a secret, the hidden type field of a typed input, and the
 * placeholder when the locale has one.
 * Optional attributes: `class` (the row's own classes), `label` and `placeholder` (other message keys), `width`.
 */
async function formRowWriter() {
  const bundled = await build({ ...common, platform: 'neutral', format: 'esm', entryPoints: ['src/editor/node-settings.ts'], write: false });
  const settings = await import(`data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].text).toString('base64')}`);
  const messages = JSON.parse(await readFile('src/editor/locales/en-US.json', 'utf8')).appsync;
  const rules = { 'events-authorizer': settings.AUTHORIZER_SETTINGS, 'events-endpoint': settings.ENDPOINT_SETTINGS, 'events-publish': settings.PUBLISH_SETTINGS, 'events-subscribe': settings.SUBSCRIBE_SETTINGS };
  const configTypes = new Set(['events-authorizer', 'events-endpoint']);

  function input(id, rule, secret, a, typedProperty) {
    const property = a.for;
    const key = a.placeholder ?? property;
    const placeholder = messages.placeholder[key] === undefined ? '' : ` data-i18n="[placeholder]appsync.placeholder.${key}"`;
    if (secret) return `<input type="${secret.type}" id="${id}" autocomplete="off"${placeholder}>`;
    if (rule.choices) return [`<select id="${id}" style="width: 70%">`, ...rule.choices.map((c) => `    <option value="${c}" data-i18n="appsync.${property}.${c}"></option>`), '</select>'].join('\n');
    if (typeof rule.value === 'boolean') return `<input type="checkbox" id="${id}" style="display: inline-block; width: auto; vertical-align: top;">\n<span data-i18n="appsync.tip.${property}"></span>`;
    const width = a.width ?? (typeof rule.value === 'number' ? '80px' : undefined);
    const field = `<input type="text" id="${id}"${width ? ` style="width: ${width}"` : ''}${placeholder}>`;
    // A property with a `<property>Type` setting is a typed input: the dialog script makes it one, over both fields.
    return typedProperty ? `${field}\n<input type="hidden" id="${id}Type">` : field;
  }

  return (type, template) =>
    template.replace(/^( *)<row ([^>]*)>$/gm, (_line, lead, text) => {
      const a = Object.fromEntries([...text.matchAll(/([\w-]+)="([^"]*)"/g)].map(([, k, v]) => [k, v]));
      const rule = rules[type][a.for];
      const secret = type === 'events-authorizer' ? settings.CREDENTIAL_FIELDS[a.for] : undefined;
      if (!rule && !secret) throw new Error(`src/editor/${type}/template.html: <row for="${a.for}"> names no setting of ${type}`);
      const id = `node-${configTypes.has(type) ? 'config-' : ''}input-${a.for}`;
      const label = `<label for="${id}"><i class="fa fa-${a.icon}"></i> <span data-i18n="appsync.label.${a.label ?? a.for}"></span></label>`;
      return `${lead}<div class="form-row${a.class ? ` ${a.class}` : ''}">\n${indent(`${label}\n${input(id, rule ?? {}, secret, a, rules[type][`${a.for}Type`] !== undefined)}`, `${lead}    `)}\n${lead}</div>`;
    });
}
