import type { NodeAPI } from 'node-red';
import { describeProxy, proxyFromEnvironment, splitList, type EnvironmentOptions, type NetworkSettings, type TlsSettings } from '../client/network';
import { resolveEndpoints, type Endpoints } from '../protocol/endpoint';
import { EventsError } from '../protocol/errors';
import { isJsonObject } from '../protocol/messages';

/** The core `tls-config` node's method that fills TLS options (node-red/nodes/core/network/05-tls.js). */
interface TlsConfigNode {
  addTLSOptions(options: Record<string, unknown>): Record<string, unknown>;
}

/** The core `http proxy` node (06-httpproxy.js): its URL, no-proxy hosts and credentials. */
interface HttpProxyNode {
  url?: unknown;
  noproxy?: unknown;
  credentials?: { username?: unknown; password?: unknown };
}

function isTlsConfigNode(node: unknown): node is TlsConfigNode {
  return isJsonObject(node) && typeof node.addTLSOptions === 'function';
}

const pem = (v: unknown) => (typeof v === 'string' || Buffer.isBuffer(v) ? v : undefined);

function tlsSettings(node: TlsConfigNode): TlsSettings {
  const o = node.addTLSOptions({});
  const settings: TlsSettings = { rejectUnauthorized: o.rejectUnauthorized !== false };
  const ca = pem(o.ca);
  const cert = pem(o.cert);
  const key = pem(o.key);
  if (ca !== undefined) settings.ca = ca;
  if (cert !== undefined) settings.cert = cert;
  if (key !== undefined) settings.key = key;
  if (typeof o.passphrase === 'string') settings.passphrase = o.passphrase;
  if (typeof o.servername === 'string' && o.servername) settings.servername = o.servername;
  return settings;
}

function proxyUrl(node: HttpProxyNode): string {
  if (typeof node.url !== 'string' || !/^https?:\/\/\S+$/i.test(node.url.trim())) {
    throw new EventsError({ errorType: 'InvalidConfiguration', message: 'the proxy node has no valid URL (http://host:port)' });
  }
  const url = new URL(node.url.trim());
  const { username, password } = node.credentials ?? {};
  if (typeof username === 'string' && username) {
    url.username = encodeURIComponent(username);
    url.password = typeof password === 'string' ? encodeURIComponent(password) : '';
  }
  return url.toString();
}

function noProxyHosts(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string').flatMap(splitList);
  return typeof value === 'string' ? splitList(value) : [];
}

/**
 * The network settings of an endpoint: its `tls` node, and its `proxy` node or else the standard environment
 * variables (HTTPS_PROXY for https/wss, HTTP_PROXY, NO_PROXY), read as Node-RED's `proxyOptions` setting says.
 */
function endpointNetwork(RED: NodeAPI, log: (line: string) => void, def: { tls?: string; proxy?: string }, url: string): NetworkSettings {
  const settings: NetworkSettings = {};
  if (def.tls) {
    const tlsNode: unknown = RED.nodes.getNode(def.tls);
    if (!isTlsConfigNode(tlsNode)) throw new EventsError({ errorType: 'InvalidConfiguration', message: 'the TLS configuration node of the endpoint is missing or not a tls-config node' });
    settings.tls = tlsSettings(tlsNode);
  }
  if (def.proxy) {
    const proxyNode: HttpProxyNode | null = RED.nodes.getNode(def.proxy);
    if (!proxyNode) throw new EventsError({ errorType: 'InvalidConfiguration', message: 'the proxy node of the endpoint is missing' });
    settings.proxy = { url: proxyUrl(proxyNode), noProxy: noProxyHosts(proxyNode.noproxy) };
  } else {
    // Not in @types/node-red's settings type; Node-RED's core proxy helper reads it (core/network/lib/proxyHelper.js).
    const options: unknown = Reflect.get(RED.settings, 'proxyOptions');
    settings.proxy = proxyFromEnvironment(url, process.env, isJsonObject(options) ? environmentOptions(options) : {});
  }
  if (settings.proxy) log(`connections go through the proxy ${describeProxy(settings.proxy.url)}${def.proxy ? '' : ' (from the environment)'}`);
  return settings;
}

function environmentOptions(o: Record<string, unknown>): EnvironmentOptions {
  return { lowerCaseOnly: o.lowerCaseOnly === true, favourUpperCase: o.favourUpperCase === true };
}

/** What an endpoint's settings make of it, for the endpoint node and the Test connection route alike. */
export interface EndpointDefinition {
  url?: string;
  realtimeUrl?: string;
  region?: string;
  tls?: string;
  proxy?: string;
}

/** The endpoint's URLs and network settings, or a clear InvalidEndpoint / InvalidConfiguration error. */
export function endpointSettings(RED: NodeAPI, def: EndpointDefinition, log: (line: string) => void): { endpoints: Endpoints; network: NetworkSettings } {
  if (!def.url?.trim()) throw new EventsError({ errorType: 'InvalidEndpoint', message: 'the endpoint has no URL' });
  const endpoints = resolveEndpoints({ url: def.url.trim(), realtimeUrl: def.realtimeUrl?.trim() || undefined, region: def.region?.trim() || undefined });
  return { endpoints, network: endpointNetwork(RED, log, def, endpoints.httpUrl) };
}
