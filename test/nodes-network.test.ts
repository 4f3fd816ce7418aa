import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import appsyncNodes = require('../src/nodes');
import type { Emulator } from '../src/emulator';
import { generateTls, type GeneratedTls } from '../src/emulator/certificates';
import { startConnectProxy, type ConnectProxy } from './support/connect-proxy';
import { withEnv } from './support/env';
import { API_KEY, startEmulator } from './support/fixtures';
import { collect, connectAttempts, helper, nodeRedPath, nodeRedVersion, statusTexts, type FlowNode } from './support/node-red';
import { waitFor } from './support/wait';

// Node-RED's own tls-config and http proxy config nodes, as a user has them in the palette.
const core = (file: string) => require(require.resolve(`@node-red/nodes/core/network/${file}`, { paths: [dirname(nodeRedPath)] })) as unknown;
const CORE_NETWORK_NODES = [core('05-tls.js'), core('06-httpproxy.js')];
const PROXY_PASSWORD = 'proxy-password-77';

describe(`Node-RED ${nodeRedVersion}: endpoints behind a proxy and a private CA`, function () {
  let tls: GeneratedTls;
  let dir: string;
  let emulator: Emulator;
  let proxy: ConnectProxy;

  before(async () => {
    tls = generateTls();
    dir = mkdtempSync(join(tmpdir(), 'appsync-ca-'));
    writeFileSync(join(dir, 'ca.pem'), tls.ca);
    await helper.startServer();
  });
  after(async () => {
    await helper.stopServer();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    emulator = await startEmulator({ tls: { cert: tls.cert, key: tls.key } });
    proxy = await startConnectProxy({ username: 'gw', password: PROXY_PASSWORD });
  });
  afterEach(async () => {
    await helper.unload();
    await proxy.close();
    await emulator.stop();
  });

  function flow(endpoint: Record<string, unknown>): FlowNode[] {
    return [
      { id: 'tab', type: 'tab', label: 'network' },
      { id: 'auth', type: 'events-authorizer', authType: 'apiKey' },
      { id: 'ca', type: 'tls-config', ca: join(dir, 'ca.pem'), cert: '', key: '', servername: '', verifyservercert: true },
      { id: 'px', type: 'http proxy', url: proxy.url, noproxy: [] },
      { id: 'ep', type: 'events-endpoint', url: emulator.httpUrl, authorizer: 'auth', reconnectBaseDelay: 0.02, reconnectMaxDelay: 0.1, requestTimeout: 2, ...endpoint },
      { id: 'sub', type: 'events-subscribe', z: 'tab', endpoint: 'ep', channel: 'default/field', wires: [['got']] },
      { id: 'got', type: 'helper', z: 'tab' },
      { id: 'pub', type: 'events-publish', z: 'tab', endpoint: 'ep', channel: 'default/field', transport: 'http', wires: [['published']] },
      { id: 'published', type: 'helper', z: 'tab' },
      { id: 'catch', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab' },
    ];
  }
  const credentials = (password = PROXY_PASSWORD) => ({ auth: { apiKey: API_KEY }, px: { username: 'gw', password } });

  it('subscribes over wss and publishes over https through the proxy node, trusting the CA of the tls-config node', async () => {
    await helper.load([appsyncNodes, ...CORE_NETWORK_NODES], flow({ tls: 'ca', proxy: 'px' }), credentials());
    const got = collect(helper.getNode('got'));
    await waitFor(() => emulator.stats().subscriptions === 1, 'the subscription');
    helper.getNode('pub').receive({ payload: { through: 'proxy' } });
    await waitFor(() => got.length === 1, 'the event');
    assert.deepEqual(got[0]!.payload, { through: 'proxy' });
    assert.ok(proxy.tunnels.length >= 2, `tunnels: ${proxy.tunnels.join(', ')}`);
    const exported = JSON.stringify(helper._redNodes.getFlows());
    const logged = JSON.stringify(helper.log().args);
    assert.ok(!exported.includes(PROXY_PASSWORD) && !logged.includes(PROXY_PASSWORD), 'the proxy password is in no export and no log line');
    assert.match(logged, /connections go through the proxy http:\/\/127\.0\.0\.1/);
  });

  it('says the certificate is not trusted, once, while retrying, when no tls-config node has the CA', async () => {
    await helper.load([appsyncNodes, ...CORE_NETWORK_NODES], flow({}), credentials());
    const caught = collect(helper.getNode('caught'));
    await waitFor(() => statusTexts(helper.getNode('sub')).includes('TLS: untrusted certificate'), 'the TLS status');
    // The fence: three more attempts, each of which could have reported again.
    const attempts = connectAttempts('ep');
    await waitFor(() => attempts() >= 3, 'three more attempts');
    const fromSub = caught.filter((m) => (m.error as { code?: string; source?: { id: string } }).code === 'CertificateNotTrusted' && (m.error as { source?: { id: string } }).source?.id === 'sub');
    assert.equal(fromSub.length, 1, 'one Catch message per node for the change of state, not one per retry');
    const tlsErrors = fromSub;
    assert.match(String((tlsErrors[0]!.error as { message: string }).message), /tls-config node with its CA certificate/);
    assert.ok(emulator.stats().totalConnections === 0);
  });

  it('says the proxy wants authentication when the password is wrong, without showing it', async () => {
    await helper.load([appsyncNodes, ...CORE_NETWORK_NODES], flow({ tls: 'ca', proxy: 'px' }), credentials('not-the-password-5'));
    const caught = collect(helper.getNode('caught'));
    await waitFor(() => statusTexts(helper.getNode('sub')).includes('proxy auth required'), 'the proxy status');
    await waitFor(() => caught.some((m) => (m.error as { code?: string }).code === 'ProxyAuthenticationRequired'), 'the Catch message');
    const everything = JSON.stringify(caught) + JSON.stringify(helper.log().args) + JSON.stringify(statusTexts(helper.getNode('sub')));
    assert.ok(!everything.includes('not-the-password-5'));
  });

  it('uses HTTPS_PROXY when the endpoint has no proxy node, and NO_PROXY to go direct', async () => {
    const authenticated = proxy.url.replace('http://', `http://gw:${PROXY_PASSWORD}@`);
    await withEnv({ HTTPS_PROXY: authenticated, https_proxy: undefined, NO_PROXY: undefined, no_proxy: undefined }, async () => {
      await helper.load([appsyncNodes, ...CORE_NETWORK_NODES], flow({ tls: 'ca' }), credentials());
      await waitFor(() => emulator.stats().subscriptions === 1, 'the subscription through the environment proxy');
      assert.ok(proxy.tunnels.length >= 1);
      assert.ok(!JSON.stringify(helper.log().args).includes(PROXY_PASSWORD));
      await helper.unload();
    });
    const before = proxy.tunnels.length;
    await withEnv({ HTTPS_PROXY: authenticated, NO_PROXY: '127.0.0.1' }, async () => {
      await helper.load([appsyncNodes, ...CORE_NETWORK_NODES], flow({ tls: 'ca' }), credentials());
      await waitFor(() => emulator.stats().subscriptions === 1, 'the direct subscription');
      assert.equal(proxy.tunnels.length, before, 'NO_PROXY sends the host direct');
    });
  });
});
