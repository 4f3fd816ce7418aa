import http from 'node:http';
import https from 'node:https';
import { EventsError } from '../protocol/errors';
import type { Route } from './network';
import { networkError, proxyRefused } from './network-errors';

export interface HttpAnswer {
  status: number;
  body: string;
}

export interface PostOptions {
  headers: Record<string, string>;
  timeoutMs: number;
  /** A longer answer is cut off with this error: the answers expected here are small. */
  maxAnswerBytes: number;
  tooLarge: () => EventsError;
  /** Removes secrets from socket error texts. */
  scrub: (text: string) => string;
}

/**
 * One POST on `route` (direct or through its proxy, with its TLS settings), its answer read whole up to a bound. A
 * tunnel the proxy refuses, a timeout and socket failures become EventsErrors the user can act on.
 */
export function postText(url: URL, route: Route, body: string, options: PostOptions): Promise<HttpAnswer> {
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      url,
      { method: 'POST', agent: route.agent, ...route.tls, timeout: options.timeoutMs, headers: { ...options.headers, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const proxyStatus = route.proxyStatus.get(req);
        if (proxyStatus !== undefined && proxyStatus !== 200) {
          res.resume();
          reject(proxyRefused(proxyStatus, route));
          return;
        }
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= options.maxAnswerBytes) parts.push(c);
          else res.destroy(options.tooLarge());
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new EventsError({ errorType: 'Timeout', message: `no answer from ${url.host} within ${options.timeoutMs} ms` })));
    req.on('error', (err) => reject(err instanceof EventsError ? err : networkError(err, route, options.scrub)));
    req.end(body);
  });
}
