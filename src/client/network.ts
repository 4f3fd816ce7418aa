import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import type { HttpsProxyAgent } from 'https-proxy-agent';

/** TLS settings for `https`/`wss`, as Node-RED's `tls-config` node gives them (`addTLSOptions`). */
export interface TlsSettings extends Pick<SecureContextOptions, 'ca' | 'cert' | 'key' | 'passphrase'> {
  /** false turns server certificate verification off (a warning is logged once). Default true. */
  rejectUnauthorized?: boolean;
  /** The name to verify the certificate against, when it is not the URL's host. */
  servername?: string;
}

export interface ProxySettings {
  /** `http://host:port`, optionally with `user:password@`; an `https://` proxy is reached over TLS. */
  url: string;
  /** Hosts reached directly (NO_PROXY syntax: names, domain suffixes, `*`, `host:port`). */
  noProxy?: readonly string[];
}

/** Where the client's connections go through: the WebSocket, HTTP publishes and the AWS SDK calls of the authorizers. */
export interface NetworkSettings {
  tls?: TlsSettings;
  proxy?: ProxySettings;
}

/** The connection settings for one URL: the agent, and the TLS options each request must repeat. */
export interface Route {
  agent: http.Agent;
  tls: TlsSettings;
  /** The proxy this route goes through, without credentials (for messages), if any. */
  proxy: string | undefined;
  /** The proxy's answers to CONNECT, by request: a status other than 200 means the proxy refused the tunnel. */
  proxyStatus: WeakMap<http.ClientRequest, number>;
}

/** The proxy URL for `url` from the standard variables, as curl and Node-RED's core nodes read them. */
export function proxyFromEnvironment(url: string, env: Readonly<Record<string, string | undefined>> = process.env, options: EnvironmentOptions = {}): ProxySettings | undefined {
  const secure = /^(https|wss):/i.test(url);
  const read = (name: string) => readVariable(env, name, options);
  const proxy = secure ? read('https_proxy') : read('http_proxy');
  if (!proxy) return undefined;
  return { url: proxy.includes('://') ? proxy : `http://${proxy}`, noProxy: splitList(read('no_proxy') ?? '') };
}

/** Node-RED's `proxyOptions` setting: which spelling of the variables wins (core proxyHelper.js). */
export interface EnvironmentOptions {
  lowerCaseOnly?: boolean;
  favourUpperCase?: boolean;
}

function readVariable(env: Readonly<Record<string, string | undefined>>, lower: string, options: EnvironmentOptions): string | undefined {
  const upper = lower.toUpperCase();
  const value = options.lowerCaseOnly ? env[lower] : options.favourUpperCase ? (env[upper] ?? env[lower]) : (env[lower] ?? env[upper]);
  return value?.trim() || undefined;
}

export function splitList(text: string): string[] {
  return text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
}

/**
 * NO_PROXY matching: `*` matches every host; `example.com` and `.example.com` match the host and every name
 * below it; `host:port` matches that port only; IP addresses match exactly (CIDR ranges are not supported).
 */
export function bypassesProxy(url: string, noProxy: readonly string[]): boolean {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || (/^(https|wss):/.test(target.protocol) ? '443' : '80');
  return noProxy.some((raw) => {
    const entry = raw.toLowerCase();
    if (entry === '*') return true;
    // A bare IPv6 address has colons of its own; with a port it is written [::1]:8080.
    const match = isIP(entry) ? [entry, entry] : (/^\[?(.*?)\]?(?::(\d+))?$/.exec(entry) ?? []);
    const [, name = '', entryPort] = match;
    if (entryPort && entryPort !== port) return false;
    if (isIP(host) || isIP(name)) return host === name;
    const domain = name.replace(/^\*?\./, '');
    return host === domain || host.endsWith(`.${domain}`);
  });
}

/** The proxy URL without its credentials, for messages. */
export function describeProxy(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}`;
}

let proxyAgents: typeof import('https-proxy-agent') | undefined;

/**
 * An HTTP CONNECT tunnel agent. `https-proxy-agent` (with its `debug` dependency) is loaded on the first proxied
 * route: loading it with the pack cost every flow a third of the pack's load time (bench/README.md), and most use no
 * proxy.
 *
 * It takes the TLS options of the tunnelled connection from each request, not from the agent (its constructor
 * options are for the proxy): requests that repeat `Route.tls` get them, but an AWS SDK client only hands over the
 * agent. This agent adds the settings to every tunnelled connection itself, so that a private CA applies to the SDK's
 * calls through a proxy too.
 */
function tunnelAgent(proxy: string, keepAlive: boolean, tls: TlsSettings): HttpsProxyAgent<string> {
  const { HttpsProxyAgent: Agent }: typeof import('https-proxy-agent') = (proxyAgents ??= require('https-proxy-agent'));
  const agent = new Agent(proxy, { keepAlive, ...tls });
  const connect = agent.connect.bind(agent);
  agent.connect = (req, opts) => connect(req, { ...tls, ...opts });
  return agent;
}

/**
 * The agent and TLS options for connections to `url`. Through a proxy the connection is an HTTP CONNECT tunnel
 * (`https-proxy-agent`, which Node-RED's core WebSocket node uses too), for `ws` and `https` targets alike.
 */
export function routeFor(url: string, settings: NetworkSettings = {}, keepAlive = true): Route {
  const tls = settings.tls ?? {};
  const proxy = settings.proxy && !bypassesProxy(url, settings.proxy.noProxy ?? []) ? settings.proxy.url : undefined;
  const proxyStatus = new WeakMap<http.ClientRequest, number>();
  if (proxy) {
    const agent = tunnelAgent(proxy, keepAlive, tls);
    agent.on('proxyConnect', (connect: { statusCode: number }, req: http.ClientRequest) => proxyStatus.set(req, connect.statusCode));
    return { agent, tls, proxy: describeProxy(proxy), proxyStatus };
  }
  const secure = /^(https|wss):/i.test(url);
  return { agent: secure ? new https.Agent({ keepAlive, ...tls }) : new http.Agent({ keepAlive }), tls, proxy: undefined, proxyStatus };
}

const keys = new WeakMap<NetworkSettings, string>();
const DIRECT_KEY = JSON.stringify({ proxy: null, tls: null });

/**
 * Equal settings give equal keys (computed once per settings object: the authorizers ask on every operation). The
 * key holds the settings' text, passwords included: it is only ever compared, never shown.
 */
export function networkKey(settings: NetworkSettings | undefined): string {
  if (!settings) return DIRECT_KEY;
  let key = keys.get(settings);
  if (key === undefined) keys.set(settings, (key = JSON.stringify({ proxy: settings.proxy ?? null, tls: settings.tls ?? null })));
  return key;
}

/** The secrets of the settings (proxy password, key passphrase), for the client's secret scrubber. */
export function networkSecrets(settings: NetworkSettings | undefined): string[] {
  const out: string[] = [];
  if (settings?.proxy) {
    const u = new URL(settings.proxy.url);
    if (u.password) out.push(u.password, decodeURIComponent(u.password));
  }
  if (typeof settings?.tls?.passphrase === 'string') out.push(settings.tls.passphrase);
  return out;
}

const warnedUnverified = new WeakSet<NetworkSettings>();

/**
 * Warns, once per settings object, that server certificates are not verified: an endpoint's WebSocket and HTTP
 * clients share one, so its log says it once.
 */
export function warnIfUnverified(settings: NetworkSettings | undefined, url: string, warn: (line: string) => void): void {
  if (settings?.tls?.rejectUnauthorized !== false || warnedUnverified.has(settings)) return;
  warnedUnverified.add(settings);
  warn(`server certificate verification is off for ${new URL(url).host}: any server can pretend to be AppSync`);
}
