import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Events, apiKeyAuthorizer, assumeRoleCredentials, clientCredentialsTokens, cognitoIdentityPoolCredentials, cognitoUserPoolTokens, iamAuthorizer, staticCredentials, type ConnectionState, type EventsError, type NetworkSettings } from '../src/client';
import { bypassesProxy, proxyFromEnvironment } from '../src/client/network';
import type { Emulator } from '../src/emulator';
import { generateTls, type GeneratedTls } from '../src/emulator/certificates';
import { startConnectProxy, type ConnectProxy } from './support/connect-proxy';
import { API_KEY, FAST, IAM_KEY, recordStates, startEmulator } from './support/fixtures';
import { startSts } from './support/sts-server';
import { Collector, waitFor } from './support/wait';

describe('network: which connections go through a proxy', () => {
  it('reads HTTPS_PROXY for https and wss, HTTP_PROXY for http and ws, lower case first as curl does', () => {
    const env = { HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:2', HTTP_PROXY: 'plain:3', NO_PROXY: 'a.example, .b.example' };
    assert.equal(proxyFromEnvironment('wss://x/event/realtime', env)?.url, 'http://lower:2');
    assert.equal(proxyFromEnvironment('https://x/event', env, { favourUpperCase: true })?.url, 'http://upper:1');
    assert.equal(proxyFromEnvironment('ws://x/event', env)?.url, 'http://plain:3');
    assert.deepEqual(proxyFromEnvironment('https://x/event', env)?.noProxy, ['a.example', '.b.example']);
    assert.equal(proxyFromEnvironment('https://x/event', { HTTP_PROXY: 'http://p:1' }), undefined);
    assert.equal(proxyFromEnvironment('https://x/event', { HTTPS_PROXY: 'http://p:1' }, { lowerCaseOnly: true }), undefined);
  });

  it('matches NO_PROXY entries: *, names, domain suffixes, ports and addresses', () => {
    const url = 'https://abc.appsync-api.us-east-1.amazonaws.com/event';
    assert.ok(bypassesProxy(url, ['*']));
    assert.ok(bypassesProxy(url, ['amazonaws.com']));
    assert.ok(bypassesProxy(url, ['.amazonaws.com']));
    assert.ok(bypassesProxy(url, ['*.amazonaws.com']));
    assert.ok(bypassesProxy(url, ['abc.appsync-api.us-east-1.amazonaws.com:443']));
    assert.ok(!bypassesProxy(url, ['abc.appsync-api.us-east-1.amazonaws.com:8443']));
    assert.ok(!bypassesProxy(url, ['zonaws.com', 'example.com']));
    assert.ok(bypassesProxy('http://127.0.0.1:4010/event', ['127.0.0.1']));
    assert.ok(bypassesProxy('http://[::1]:4010/event', ['::1']));
    assert.ok(!bypassesProxy('http://127.0.0.2:4010/event', ['127.0.0.1']));
    assert.ok(bypassesProxy('http://[::1]:4010/event', ['[::1]:4010']));
    assert.ok(!bypassesProxy('http://[::1]:4010/event', ['[::1]:4011']));
  });
});

describe('network: the client behind a CONNECT proxy and a private certificate authority', function () {
  let tls: GeneratedTls;
  let emulator: Emulator;
  let proxy: ConnectProxy;
  const clients: Array<{ disconnect(flush?: boolean): Promise<void> }> = [];

  before(() => {
    tls = generateTls();
  });
  beforeEach(async () => {
    emulator = await startEmulator({ tls: { cert: tls.cert, key: tls.key } });
    proxy = await startConnectProxy({ username: 'gateway', password: 'proxy-secret-1' });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.disconnect(false)));
    await proxy.close();
    await emulator.stop();
  });

  const proxied = (password = 'proxy-secret-1'): NetworkSettings => ({ tls: { ca: tls.ca }, proxy: { url: proxy.url.replace('http://', `http://gateway:${password}@`) } });
  function webSocket(network: NetworkSettings, logger?: { warn(m: string): void }) {
    const client = new Events(emulator.httpUrl).createWebSocketClient(apiKeyAuthorizer(API_KEY), { ...FAST, network, logger: logger && { error() {}, info() {}, debug() {}, warn: logger.warn } });
    clients.push(client);
    return client;
  }
  const failure = async (client: ReturnType<typeof webSocket>, states: ConnectionState[]): Promise<EventsError> => {
    await waitFor(() => states.some((s) => (s.status === 'reconnecting' || s.status === 'failed') && s.error !== undefined), 'a failed attempt');
    const s = states.find((x) => (x.status === 'reconnecting' || x.status === 'failed') && x.error !== undefined);
    assert.ok(s && (s.status === 'reconnecting' || s.status === 'failed') && s.error);
    void client;
    return s.error;
  };

  it('subscribes and publishes over wss through the proxy, and publishes over https through it', async () => {
    const ws = webSocket(proxied());
    const got = new Collector<unknown>();
    await ws.subscribe('default/proxy', { onEvent: got.push }).ready;
    await ws.publish('default/proxy', [{ via: 'wss' }]);
    const rest = new Events(emulator.httpUrl).createRestClient(apiKeyAuthorizer(API_KEY), { network: proxied() });
    try {
      await rest.publish('default/proxy', [{ via: 'https' }]);
    } finally {
      rest.close();
    }
    assert.deepEqual(await got.waitFor(2), [{ via: 'wss' }, { via: 'https' }]);
    const target = `127.0.0.1:${emulator.port}`;
    assert.deepEqual([...new Set(proxy.tunnels)], [target]);
    assert.ok(proxy.tunnels.length >= 2, 'one tunnel for the WebSocket, one for HTTPS');
  });

  it('reports wrong proxy credentials as ProxyAuthenticationRequired, without the password', async () => {
    const warnings: string[] = [];
    const client = webSocket(proxied('wrong-password-2'), { warn: (m) => warnings.push(m) });
    const states = recordStates(client);
    client.subscribe('default/x');
    const error = await failure(client, states);
    assert.equal(error.errorType, 'ProxyAuthenticationRequired');
    assert.equal(error.code, 407);
    assert.ok(error.hint?.includes('proxy'));
    assert.ok(proxy.refused >= 1);
    const everything = JSON.stringify(states) + error.message + warnings.join();
    assert.ok(!everything.includes('wrong-password-2') && !everything.includes('proxy-secret-1'));
    const rest = new Events(emulator.httpUrl).createRestClient(apiKeyAuthorizer(API_KEY), { network: proxied('wrong-password-2'), maxRetries: 0 });
    try {
      await assert.rejects(rest.publish('default/x', [1]), (err: EventsError) => err.errorType === 'ProxyAuthenticationRequired' && !err.message.includes('wrong-password-2'));
    } finally {
      rest.close();
    }
  });

  it('reports a tunnel the proxy forbids as ProxyRefused (403)', async () => {
    const strict = await startConnectProxy({ forbidden: [`127.0.0.1:${emulator.port}`] });
    try {
      const client = webSocket({ tls: { ca: tls.ca }, proxy: { url: strict.url } });
      const states = recordStates(client);
      client.subscribe('default/x');
      const error = await failure(client, states);
      assert.equal(error.errorType, 'ProxyRefused');
      assert.equal(error.code, 403);
    } finally {
      await strict.close();
    }
  });

  it('reports a proxy that is not there as ProxyUnreachable, and retries with backoff', async () => {
    const client = webSocket({ tls: { ca: tls.ca }, proxy: { url: 'http://127.0.0.1:1' } });
    const states = recordStates(client);
    client.subscribe('default/x');
    const error = await failure(client, states);
    assert.equal(error.errorType, 'ProxyUnreachable');
    assert.match(error.message, /127\.0\.0\.1:1/);
    assert.equal(states.find((s) => s.status === 'reconnecting')?.status, 'reconnecting');
  });

  it('goes direct to hosts in the no-proxy list', async () => {
    const client = webSocket({ tls: { ca: tls.ca }, proxy: { url: proxy.url, noProxy: ['127.0.0.1'] } });
    await client.subscribe('default/direct').ready;
    assert.equal(proxy.tunnels.length, 0);
  });

  it('treats the proxy going away mid-stream as a drop: reconnects and resubscribes through it', async () => {
    const client = webSocket(proxied());
    const got = new Collector<unknown>();
    await client.subscribe('default/drop', { onEvent: got.push }).ready;
    const before = proxy.tunnels.length;
    proxy.dropTunnels();
    await waitFor(() => proxy.tunnels.length > before && emulator.stats().subscriptions === 1 && client.state.status === 'connected', 'the subscription back through the proxy');
    await client.publish('default/drop', ['after']);
    assert.deepEqual(await got.waitFor(1), ['after']);
  });

  it('without the CA the server certificate is not trusted; with verification off it connects and warns once', async () => {
    const untrusted = webSocket({});
    const states = recordStates(untrusted);
    untrusted.subscribe('default/x');
    const error = await failure(untrusted, states);
    assert.equal(error.errorType, 'CertificateNotTrusted');
    assert.match(error.hint ?? '', /tls-config/);
    const warnings: string[] = [];
    const lax = webSocket({ tls: { rejectUnauthorized: false } }, { warn: (m) => warnings.push(m) });
    await lax.subscribe('default/x').ready;
    assert.equal(warnings.filter((w) => /verification is off/.test(w)).length, 1);
  });

  it('reports TLS to a server that does not speak it as TlsHandshakeFailed', async () => {
    // A plain HTTP server answers a TLS ClientHello with an HTTP error: OpenSSL reads "wrong version number".
    const plain = http.createServer((_req, res) => res.end());
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    try {
      const client = new Events(`https://127.0.0.1:${(plain.address() as AddressInfo).port}/event`).createWebSocketClient(apiKeyAuthorizer(API_KEY), FAST);
      clients.push(client);
      const states = recordStates(client);
      client.subscribe('default/x');
      assert.equal((await failure(client, states)).errorType, 'TlsHandshakeFailed');
    } finally {
      plain.close();
    }
  });

  it('warns once per settings that verification is off, however many clients share them', async () => {
    const warnings: string[] = [];
    const network: NetworkSettings = { tls: { rejectUnauthorized: false } };
    const logger = { error() {}, info() {}, debug() {}, warn: (m: string) => warnings.push(m) };
    const ws = new Events(emulator.httpUrl).createWebSocketClient(apiKeyAuthorizer(API_KEY), { ...FAST, network, logger });
    clients.push(ws);
    const rest = new Events(emulator.httpUrl).createRestClient(apiKeyAuthorizer(API_KEY), { network, logger });
    try {
      await ws.subscribe('default/x').ready;
      await rest.publish('default/x', [1]);
    } finally {
      rest.close();
    }
    assert.equal(warnings.filter((w) => /verification is off/.test(w)).length, 1);
  });

  it('reports a certificate for another host name as CertificateHostMismatch', async () => {
    const other = generateTls(['elsewhere.example']);
    const stranger = await startEmulator({ tls: { cert: other.cert, key: other.key } });
    try {
      const client = new Events(stranger.httpUrl).createWebSocketClient(apiKeyAuthorizer(API_KEY), { ...FAST, network: { tls: { ca: other.ca } } });
      clients.push(client);
      const states = recordStates(client);
      client.subscribe('default/x');
      assert.equal((await failure(client, states)).errorType, 'CertificateHostMismatch');
    } finally {
      await stranger.stop();
    }
  });

  it('sends the Cognito login, the OAuth2 token request and the identity pool calls through the proxy, trusting its CA', async () => {
    const idp = await startEmulator({ tls: { cert: tls.cert, key: tls.key }, users: [{ username: 'u', password: 'Proxy-Pass-1' }], clients: [{ clientId: 'c', clientSecret: 's' }], identityPools: [{ identityPoolId: 'us-east-1:11111111-2222-3333-4444-555555555555' }] });
    const saved = [process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY];
    process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER = idp.baseUrl;
    process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY = idp.baseUrl;
    const host = new URL(idp.baseUrl).host;
    const tunnels = () => proxy.tunnels.filter((t) => t === host).length;
    try {
      const network = proxied();
      await cognitoUserPoolTokens({ userPoolId: 'us-east-1_LocalPool1', clientId: 'c', clientSecret: 's', username: 'u', password: 'Proxy-Pass-1', network })();
      assert.equal(tunnels(), 1, 'the login');
      await clientCredentialsTokens({ tokenUrl: `${idp.baseUrl}/oauth2/token`, clientId: 'c', clientSecret: 's', network })();
      assert.equal(tunnels(), 2, 'the token request');
      await cognitoIdentityPoolCredentials({ identityPoolId: 'us-east-1:11111111-2222-3333-4444-555555555555', network })();
      assert.ok(tunnels() >= 3, `the identity pool calls (${tunnels()} tunnels)`);
    } finally {
      [process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY] = saved;
      if (saved[0] === undefined) delete process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER;
      if (saved[1] === undefined) delete process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY;
      await idp.stop();
    }
  });

  it('sends the STS AssumeRole of an IAM authorizer through the proxy', async () => {
    const issued = { accessKeyId: 'ASIATESTEXAMPLE00002', secretAccessKey: 'issuedSecretKey0123456789issuedSecretKey0', sessionToken: 'issued-session-token' };
    const sts = await startSts(IAM_KEY, issued);
    const iamEmulator = await startEmulator({ iam: [issued], tls: { cert: tls.cert, key: tls.key } });
    try {
      const network = proxied();
      const credentials = assumeRoleCredentials(staticCredentials(IAM_KEY), { roleArn: 'arn:aws:iam::123456789012:role/r', region: 'us-east-1', stsEndpoint: sts.url, network });
      const client = new Events({ url: iamEmulator.httpUrl, region: 'us-east-1' }).createWebSocketClient(iamAuthorizer({ region: 'us-east-1', credentials }), { ...FAST, network });
      clients.push(client);
      await client.subscribe('default/iam').ready;
      assert.equal(sts.calls.length, 1);
      assert.ok(proxy.tunnels.includes(new URL(sts.url).host), `STS through the proxy (${proxy.tunnels.join(', ')})`);
    } finally {
      await iamEmulator.stop();
      await sts.close();
    }
  });
});
