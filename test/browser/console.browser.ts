import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Events, apiKeyAuthorizer } from '../../src/client';
import { createEmulator, type Emulator } from '../../src/emulator';
import { Collector } from '../support/wait';

// The emulator's web console in a real browser (Debian's Chromium): it lists a live subscription, publishes from its
// form through the namespace's handler, and the event shows in its log and at the subscriber.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DOCS = join(__dirname, '..', '..', 'docs');
const KEY = 'da2-consoleconsoleconsoleconsole';

describe("the emulator's web console in a real browser", function () {
  this.timeout(60_000);
  let dir: string;
  let emulator: Emulator;
  let browser: Browser;
  let page: Page;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'appsync-console-'));
    writeFileSync(join(dir, 'rooms.mjs'), `export function onPublish(ctx) { return ctx.events.filter((e) => !e.payload.secret).map((e) => ({ id: e.id, payload: { ...e.payload, channel: ctx.info.channel.path } })); }\n`);
    emulator = await createEmulator({ apiKeys: [KEY], namespaces: ['default', { name: 'rooms', codeHandlers: join(dir, 'rooms.mjs') }] });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  });
  after(async () => {
    await browser?.close();
    await emulator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists a live subscription, publishes from its form through the handler, and logs the event', async () => {
    const client = new Events(emulator.httpUrl).createWebSocketClient(apiKeyAuthorizer(KEY));
    try {
      const got = new Collector<unknown>();
      await client.subscribe('rooms/lobby', { onEvent: got.push }).ready;
      await page.goto(new URL('/', emulator.httpUrl).href);
      await page.waitForFunction(() => document.querySelector('#channels tbody')?.textContent?.includes('/rooms/lobby'));
      // Each connection with its number of subscriptions (AppSync allows a quoted 200 per connection).
      assert.deepEqual(await page.$$eval('#connections tbody tr', (rows) => rows.map((r) => [...r.querySelectorAll('td')].slice(1).map((td) => td.textContent))), [['1', '/rooms/lobby']]);
      await page.fill('#channel', '/rooms/lobby');
      await page.fill('#events', '[{"text": "hello"}, {"text": "hidden", "secret": true}]');
      await page.click('#publish button');
      await page.waitForFunction(() => document.querySelector('#log .event')?.textContent?.includes('hello'));
      assert.match((await page.textContent('#result')) ?? '', /2 published, 0 failed/);
      assert.deepEqual(await got.waitFor(1), [{ text: 'hello', channel: '/rooms/lobby' }], 'the subscriber got what the handler broadcast');
      assert.ok(!((await page.textContent('#log')) ?? '').includes('hidden'), 'the event the handler dropped is not in the log');
      await page.waitForFunction(() => document.querySelector('#counters')?.textContent?.includes('dropped by handlers: 1'));
      await page.screenshot({ path: join(DOCS, 'emulator-console.png') });
    } finally {
      await client.disconnect(false);
    }
  });
});
