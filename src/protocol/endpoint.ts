import { EventsError } from './errors';

export interface EndpointOptions {
  /** The HTTP endpoint: `https://<prefix>.appsync-api.<region>.amazonaws.com/event`, a custom domain, or an emulator. */
  url: string;
  /** Overrides the derived realtime URL. */
  realtimeUrl?: string;
  /** Overrides the region derived from a standard AWS URL; needed for IAM on custom domains. */
  region?: string;
}

export interface Endpoints {
  httpUrl: string;
  realtimeUrl: string;
  /** Host (with port when not default) of the HTTP endpoint: the `host` in every authorization object (D-WS). */
  httpHost: string;
  region: string | undefined;
}

// Same shape as the official clients' regexes (protocol.md §1: AMP-JS appsyncUrl.ts, KT EventsEndpoints.kt).
const STANDARD_HOST = /^(\w+)\.appsync-api\.([a-z]{2}(?:-[a-z0-9]+)+-\d)\.amazonaws\.com(\.cn)?$/;
const STANDARD_REALTIME_HOST = /^(\w+)\.appsync-realtime-api\.([a-z]{2}(?:-[a-z0-9]+)+-\d)\.amazonaws\.com(\.cn)?$/;

function invalid(message: string): EventsError {
  return new EventsError({ errorType: 'InvalidEndpoint', message });
}

function parseUrl(raw: string, what: string): URL {
  try {
    return new URL(raw.trim());
  } catch {
    throw invalid(`${what} "${raw}" is not a URL; expected something like https://example.appsync-api.us-east-1.amazonaws.com/event`);
  }
}

/**
 * Derives the HTTP and realtime URLs and the region the way the official clients do: the realtime host of a
 * standard endpoint swaps `appsync-api` for `appsync-realtime-api`; any other host (custom domain, emulator)
 * keeps the same host and appends `/realtime` to `/event`. We also accept the realtime URL, a ws(s) scheme
 * or a missing `/event` path, since users paste whatever the console shows.
 */
export function resolveEndpoints(options: EndpointOptions): Endpoints {
  const url = parseUrl(options.url, 'endpoint');
  const realtimeMatch = STANDARD_REALTIME_HOST.exec(url.hostname);
  if (realtimeMatch) url.hostname = url.hostname.replace('.appsync-realtime-api.', '.appsync-api.');
  if (url.protocol === 'wss:') url.protocol = 'https:';
  else if (url.protocol === 'ws:') url.protocol = 'http:';
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalid(`endpoint "${options.url}" must start with https:// (or http:// for a local emulator)`);
  }
  let path = url.pathname.replace(/\/+$/, '');
  if (path.endsWith('/event/realtime')) path = path.slice(0, -'/realtime'.length);
  if (!path.endsWith('/event')) path = `${path}/event`;
  url.pathname = path;
  url.search = '';
  url.hash = '';
  const httpUrl = url.toString();

  const standard = STANDARD_HOST.exec(url.hostname);
  let realtimeUrl: string;
  if (options.realtimeUrl) {
    const rt = parseUrl(options.realtimeUrl, 'realtime endpoint');
    if (rt.protocol === 'https:') rt.protocol = 'wss:';
    else if (rt.protocol === 'http:') rt.protocol = 'ws:';
    if (rt.protocol !== 'wss:' && rt.protocol !== 'ws:') throw invalid(`realtime endpoint "${options.realtimeUrl}" must start with wss://`);
    realtimeUrl = rt.toString();
  } else {
    const rt = new URL(httpUrl);
    rt.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    if (standard) rt.hostname = rt.hostname.replace('.appsync-api.', '.appsync-realtime-api.');
    rt.pathname = `${path}/realtime`;
    realtimeUrl = rt.toString();
  }
  return { httpUrl, realtimeUrl, httpHost: url.host, region: options.region?.trim() || standard?.[2] };
}
