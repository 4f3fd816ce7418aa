import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startDemo, type Demo } from '../../demo/demo';

// The editor in a real browser: Debian's Chromium driven by playwright-core.
const DOCS = join(__dirname, '..', '..', 'docs');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

declare const RED: {
  nodes: {
    getType(type: string): { category: string } | undefined;
    filterNodes(f: { type?: string; z?: string }): Array<{ id: string; name?: string; type: string }>;
    eachConfig(cb: (node: { type: string }) => void): void;
  };
  workspaces: { active(): string };
  sidebar: { show(id: string): void; help: { show(type: string): void } };
  actions: { invoke(name: string): void };
};

describe('the editor in a real browser', function () {
  this.timeout(120_000);
  let demo: Demo;
  let browser: Browser;
  let page: Page;

  before(async () => {
    mkdirSync(DOCS, { recursive: true });
    demo = await startDemo({ userDir: mkdtempSync(join(tmpdir(), 'appsync-editor-')), flow: [], port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
    await page.goto(demo.editorUrl);
    await page.waitForSelector('.red-ui-palette-node[data-palette-type="events-publish"]', { timeout: 30_000 });
    // The editor under test is the Node-RED asked for: 5 under NODE_RED_PATH (test:browser:node-red-5), else 4.
    const version = await page.evaluate("RED.settings.version");
    process.stdout.write(`    the editor of Node-RED ${String(version)}\n`);
    assert.match(String(version), process.env.NODE_RED_PATH ? /^5\./ : /^4\./);
  });

  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  /** Screenshots for the README, without the editor's passing notifications. */
  async function shoot(name: string): Promise<void> {
    await page.evaluate(() => document.querySelectorAll('.red-ui-notification').forEach((n) => n.remove()));
    await page.screenshot({ path: join(DOCS, name) });
  }

  async function visible(selector: string): Promise<boolean> {
    return page.locator(selector).first().isVisible();
  }

  it('shows the publish and subscribe nodes in the palette, found by "appsync" and by "events"', async () => {
    for (const type of ['events-publish', 'events-subscribe']) assert.ok(await visible(`.red-ui-palette-node[data-palette-type="${type}"]`), type);
    assert.deepEqual(await page.evaluate(() => ['events-endpoint', 'events-authorizer'].map((t) => RED.nodes.getType(t)?.category)), ['config', 'config']);
    for (const term of ['appsync', 'events']) {
      await page.fill('#red-ui-palette-search input', '');
      await page.locator('#red-ui-palette-search input').pressSequentially(term);
      await page.waitForTimeout(500);
      assert.ok(await visible('.red-ui-palette-node[data-palette-type="events-publish"]'), `publish found by ${term}`);
      assert.ok(await visible('.red-ui-palette-node[data-palette-type="events-subscribe"]'), `subscribe found by ${term}`);
      assert.ok(!(await visible('.red-ui-palette-node[data-palette-type="inject"]')), `inject hidden by ${term}`);
    }
    await page.fill('#red-ui-palette-search input', '');
    await page.locator('#red-ui-palette-search input').press('Backspace');
  });

  it('imports an example from the menu', async () => {
    await page.evaluate(() => RED.actions.invoke('core:show-examples-import-dialog'));
    const examples = page.locator('#red-ui-clipboard-dialog-import-tab-examples');
    await examples.getByText('node-red-contrib-appsync-events', { exact: true }).click();
    await examples.getByText('Publish and subscribe with an API key', { exact: true }).click();
    await page.click('#red-ui-clipboard-dialog-ok');
    await page.waitForFunction(() => RED.nodes.filterNodes({ type: 'events-subscribe' }).length === 1);
    await page.locator('#red-ui-workspace-tabs').getByText('AppSync Events: publish and subscribe').click();
    await page.waitForSelector('#red-ui-workspace-chart g.red-ui-flow-node-group');
    // What was imported is the example: its flow nodes on the new tab, and its endpoint and authorizer.
    const example: Array<{ type: string; z?: string }> = JSON.parse(readFileSync(join(__dirname, '..', '..', 'examples', 'Publish and subscribe with an API key.json'), 'utf8'));
    const imported = await page.evaluate(() => {
      const onTab = RED.nodes.filterNodes({ z: RED.workspaces.active() }).map((n) => n.type);
      const config: string[] = [];
      RED.nodes.eachConfig((n) => config.push(n.type));
      return { onTab, config };
    });
    assert.deepEqual(imported.onTab.sort(), example.filter((n) => n.z).map((n) => n.type).sort());
    for (const type of ['events-endpoint', 'events-authorizer']) assert.ok(imported.config.includes(type), `the example's ${type}`);
  });

  it('opens the publish node and its endpoint and authorizer dialogs, with the right fields per auth type', async () => {
    const publishId = await page.evaluate(() => RED.nodes.filterNodes({ type: 'events-publish' })[0]!.id);
    await page.dblclick(`[id="${publishId}"] rect.red-ui-flow-node`);
    await page.waitForSelector('#node-input-channel', { state: 'attached' });
    assert.ok(await visible('#node-input-transport'));
    assert.ok(await visible('.red-ui-typedInput-container'), 'the channel is a TypedInput');
    // The channel is checked as it is typed, with the runtime's rule and words (resources/channel-rule.js).
    const original = await page.inputValue('#node-input-channel');
    // The TypedInput hides the node's input and shows one of its own.
    const typed = page.locator('.red-ui-typedInput-container').first().locator('input:visible');
    const problem = async () => ((await visible('.appsync-channel-problem')) ? await page.textContent('.appsync-channel-problem') : null);
    await typed.fill('default/a b');
    await page.waitForSelector('.appsync-channel-problem', { state: 'visible' });
    assert.equal(await problem(), 'invalid channel "default/a b": segment "a b" must be 1-50 letters, digits or dashes, not starting or ending with a dash');
    await typed.fill('default/*');
    await page.waitForFunction(() => document.querySelector('.appsync-channel-problem')?.textContent?.includes('not published to'));
    await typed.fill(original);
    await page.waitForSelector('.appsync-channel-problem', { state: 'hidden' });
    await page.click('#node-input-btn-endpoint-edit');
    await page.waitForSelector('#node-config-input-url', { state: 'visible' });
    // The example points at the default emulator port; use the one this test started.
    await page.fill('#node-config-input-url', demo.emulator.httpUrl);
    await shoot('editor-endpoint.png');
    // Settings in tabs: the reconnect settings wait in Advanced; Security has the proxy, and TLS for https/wss only.
    assert.equal(await visible('#node-config-input-reconnectBaseDelay'), false);
    // Node-RED's tabs take a second click within a moment as a double click: wait until each tab is active.
    const openTab = async (tab: string) => {
      for (let tries = 0; tries < 10 && !(await page.isVisible(`#appsync-endpoint-tab-${tab}`)); tries++) {
        await page.click(`#node-config-appsync-endpoint-tabs a[href="#appsync-endpoint-tab-${tab}"]`);
        await page.waitForTimeout(300);
      }
    };
    await openTab('security');
    assert.ok(await visible('#node-config-input-proxy'));
    assert.equal(await visible('#node-config-input-tls'), false, 'no TLS row for an http URL');
    await openTab('connection');
    await page.fill('#node-config-input-url', 'https://example.invalid/event');
    await openTab('security');
    assert.ok(await visible('#node-config-input-tls'), 'a TLS row for an https URL');
    await shoot('editor-endpoint-security.png');
    await openTab('advanced');
    assert.ok(await visible('#node-config-input-reconnectBaseDelay'));
    await openTab('queue');
    assert.equal(await page.inputValue('#node-config-input-queueStore'), 'memory', 'an endpoint saved before the setting keeps the memory store');
    assert.equal(await visible('#node-config-input-queueMaxMB'), false, 'the file size bound only with the file store');
    await page.selectOption('#node-config-input-queueStore', 'file');
    assert.ok(await visible('#node-config-input-queueMaxMB'));
    await shoot('editor-endpoint-queue.png');
    // A bound of 0 or below is flagged as the user types (the runtime would take the default instead).
    for (const [value, flagged] of [['-5', true], ['0', true], ['', false], ['1000', false]] as const) {
      await page.fill('#node-config-input-queueSize', value);
      await page.dispatchEvent('#node-config-input-queueSize', 'change');
      await page.waitForSelector(flagged ? '#node-config-input-queueSize.input-error' : '#node-config-input-queueSize:not(.input-error)');
    }
    await page.selectOption('#node-config-input-queueStore', 'memory');
    await openTab('connection');
    await page.fill('#node-config-input-url', demo.emulator.httpUrl);
    // Test connection with the dialog's values: the example's API key (from the environment) is accepted.
    await page.fill('#appsync-test-channel', 'default/sensors/*');
    await page.click('#appsync-test-connection');
    await page.waitForFunction(() => /subscribe_success in \d+ ms/.test(document.querySelector('#appsync-test-result')?.textContent ?? ''));
    assert.match((await page.textContent('#appsync-test-result')) ?? '', /^connection_ack in \d+ ms, subscribe_success in \d+ ms$/);
    await shoot('editor-endpoint-test.png');
    // An unsaved wrong key in the authorizer dialog is what the next test uses, and is refused in the runtime's words.
    await page.click('#node-config-input-btn-authorizer-edit');
    await page.waitForSelector('#node-config-input-authType', { state: 'visible' });
    await page.selectOption('#node-config-input-tokenSource', 'credential');
    await page.fill('#node-config-input-apiKey', 'da2-browserwrongkeybrowserwrong');
    await page.click('.red-ui-tray:last-of-type #node-config-dialog-ok');
    await page.waitForSelector('#node-config-input-authType', { state: 'detached' });
    await page.click('#appsync-test-connection');
    await page.waitForFunction(() => (document.querySelector('#appsync-test-result')?.textContent ?? '').startsWith('UnauthorizedException'));
    const refused = (await page.textContent('#appsync-test-result')) ?? '';
    assert.match(refused, /You are not authorized to make this call\. Check the API key or token/);
    assert.ok(!refused.includes('da2-browserwrongkeybrowserwrong'));
    // Back to the example's key from the environment, for the deploy below.
    await page.click('#node-config-input-btn-authorizer-edit');
    await page.waitForSelector('#node-config-input-authType', { state: 'visible' });
    await page.selectOption('#node-config-input-tokenSource', 'env');
    await page.click('.red-ui-tray:last-of-type #node-config-dialog-ok');
    await page.waitForSelector('#node-config-input-authType', { state: 'detached' });
    await page.click('#node-config-input-btn-authorizer-edit');
    await page.waitForSelector('#node-config-input-authType', { state: 'visible' });
    const fields = async () => ({
      apiKey: await visible('#node-config-input-apiKey'),
      token: await visible('#node-config-input-token'),
      tokenName: await visible('#node-config-input-tokenName'),
      accessKeyId: await visible('#node-config-input-accessKeyId'),
      roleArn: await visible('#node-config-input-roleArn'),
      userPoolId: await visible('#node-config-input-userPoolId'),
      password: await visible('#node-config-input-password'),
      clientSecret: await visible('#node-config-input-clientSecret'),
      tokenUrl: await visible('#node-config-input-tokenUrl'),
      identityPoolId: await visible('#node-config-input-identityPoolId'),
    });
    const none = { apiKey: false, token: false, tokenName: false, accessKeyId: false, roleArn: false, userPoolId: false, password: false, clientSecret: false, tokenUrl: false, identityPoolId: false };
    const renewing = async () => page.evaluate(() => Array.from(document.querySelectorAll<HTMLOptionElement>('#node-config-input-tokenSource option')).filter((o) => o.style.display !== 'none').map((o) => o.value));
    assert.deepEqual(await fields(), { ...none, tokenName: true }, 'API key from an environment variable');
    assert.deepEqual(await renewing(), ['credential', 'env', 'flow', 'global'], 'an API key is never obtained by a login');
    await page.selectOption('#node-config-input-tokenSource', 'credential');
    assert.deepEqual(await fields(), { ...none, apiKey: true }, 'API key in the dialog');
    await page.selectOption('#node-config-input-authType', 'userPool');
    assert.deepEqual(await fields(), { ...none, token: true }, 'Cognito token');
    await page.selectOption('#node-config-input-tokenSource', 'cognito');
    assert.deepEqual(await fields(), { ...none, userPoolId: true, password: true, clientSecret: true }, 'Cognito login');
    // The dialog flags an id with the client's own pattern (src/protocol/aws-ids.ts), as it is typed.
    const flagged = async (id: string, value: string) => {
      await page.fill(id, value);
      await page.locator(id).dispatchEvent('change');
      return page.locator(id).evaluate((e) => e.classList.contains('input-error'));
    };
    assert.equal(await flagged('#node-config-input-userPoolId', 'eu-west-1-pool'), true, 'a malformed user pool id is flagged');
    assert.equal(await flagged('#node-config-input-userPoolId', 'eu-west-1_AbC123'), false, 'a user pool id is accepted');
    await page.fill('#node-config-input-userPoolId', '');
    await shoot('editor-authorizer-cognito.png');
    await page.selectOption('#node-config-input-tokenSource', 'clientCredentials');
    assert.deepEqual(await fields(), { ...none, clientSecret: true, tokenUrl: true }, 'OAuth2 client credentials');
    await page.selectOption('#node-config-input-authType', 'oidc');
    assert.deepEqual(await renewing(), ['credential', 'env', 'flow', 'global', 'clientCredentials'], 'OIDC: client credentials, no Cognito login');
    await page.selectOption('#node-config-input-authType', 'lambda');
    assert.equal(await page.inputValue('#node-config-input-tokenSource'), 'credential', 'a source the auth type does not offer falls back to this dialog');
    await page.selectOption('#node-config-input-authType', 'iam');
    assert.deepEqual(await fields(), { ...none, accessKeyId: true, roleArn: true }, 'IAM with keys');
    await shoot('editor-authorizer-iam.png');
    await page.selectOption('#node-config-input-iamSource', 'default');
    assert.deepEqual(await fields(), { ...none, roleArn: true }, 'IAM from the default chain');
    await page.selectOption('#node-config-input-iamSource', 'cognitoIdentityPool');
    assert.deepEqual(await fields(), { ...none, roleArn: true, identityPoolId: true }, 'IAM from a Cognito identity pool');
    // Leave the authorizer as it was, keep the endpoint URL, close the publish node.
    await page.click('.red-ui-tray:last-of-type #node-config-dialog-cancel');
    await page.waitForSelector('#node-config-input-authType', { state: 'detached' });
    await page.click('#node-config-dialog-ok');
    await page.waitForSelector('#node-config-input-url', { state: 'detached' });
    await page.click('#node-dialog-ok');
    await page.waitForSelector('#node-input-channel', { state: 'detached' });
  });

  it('shows the help of a node', async () => {
    await page.evaluate(() => RED.sidebar.help.show('events-subscribe'));
    await page.waitForSelector('.red-ui-help h3');
    const text = await page.locator('.red-ui-help').filter({ has: page.locator('h3') }).first().innerText();
    assert.match(text, /Subscribes to an AWS AppSync Events channel/);
    assert.match(text, /Outputs/);
    assert.match(text, /getSubscriptions/);
    await shoot('editor-help.png');
  });

  it('deploys the flow, and events appear in the Debug sidebar', async () => {
    // The example's endpoint predates autoConnect; opening and saving its dialog must keep it connecting on first use.
    assert.equal(await page.evaluate("(() => { let a; RED.nodes.eachConfig((n) => { if (n.type === 'events-endpoint') a = n.autoConnect; }); return a; })()"), true);
    await page.click('#red-ui-header-button-deploy');
    await page.evaluate(() => RED.sidebar.show('debug'));
    await page.waitForSelector('.red-ui-debug-msg', { timeout: 20_000 });
    await page.waitForFunction(() => [...document.querySelectorAll('.red-ui-flow-node-status-label')].some((e) => e.textContent === 'subscribed'));
    const message = page.locator('.red-ui-debug-msg').first();
    assert.match(await message.innerText(), /\/default\/sensors\/\*/);
    assert.match(await message.innerText(), /temperature: 21\.5/);
    await shoot('editor-demo-flow.png');
  });
});
