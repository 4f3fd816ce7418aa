import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_CLIENT_REQUEST_BYTES } from '../protocol/limits';
import type { ServiceErrorEntry } from '../protocol/messages';
import { authorize, channelOf, headerRecord, type AuthConfig, type AuthOutcome } from './auth';
import type { Namespaces } from './namespaces';
import { isConsolePath } from './web-console';
import { sendJson } from './json-answer';
import { jsonObject } from './json-body';
import { checkPublish, HTTP_ERRORS, type PublishCheck } from './publish-check';

export interface HttpPublishContext {
  auth: AuthConfig;
  namespaces: Namespaces;
  throttled(): boolean;
  /** Counts a request received, answered or refused. */
  received(): void;
  /** Fans an accepted publish out to subscribers. */
  deliver(check: Extract<PublishCheck, { ok: true }>): void;
  /** The identity stand-ins (identity-routes.ts): answers whether they took the request. */
  identity(req: IncomingMessage, res: ServerResponse): boolean;
  /** The web console (web-console.ts): answers whether it took the request. */
  console(req: IncomingMessage, res: ServerResponse): boolean;
}

/** AppSync's answers, which browsers may read from any origin (Amplify in a web app publishes over HTTP). */
function sendPublicJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendJson(res, status, body, { 'access-control-allow-origin': '*', ...headers });
}

/**
 * An error answer: `{"errors": [...]}` (protocol.md §2.4), with the type also in `x-amzn-ErrorType`, the header AppSync's
 * GraphQL endpoints send and AWS clients read the error's name from (that the Events endpoint sends it is UNCERTAIN).
 */
function sendErrors(res: ServerResponse, status: number, error: ServiceErrorEntry): void {
  sendPublicJson(res, status, { errors: [error] }, { 'x-amzn-errortype': error.errorType ?? 'UnknownError', 'access-control-expose-headers': 'x-amzn-errortype' });
}

// How the service answers an oversized body is not documented (protocol.md §2.4, UNCERTAIN): 413 as API Gateway does.
const TOO_LARGE: ServiceErrorEntry = { errorType: 'PayloadTooLargeException', message: `Request body is larger than ${MAX_CLIENT_REQUEST_BYTES} bytes` };

/** How long the rest of a refused body is read and dropped before the connection is closed on the client. */
const LINGER_MS = 2_000;

/**
 * Reads a body up to the limit; a larger one is refused as soon as it is known (by Content-Length, or by the
 * bytes received), never buffered whole.
 */
export function readBody(req: IncomingMessage, res: ServerResponse, then: (body: Buffer) => void): void {
  const declared = Number(req.headers['content-length'] ?? 0);
  const refuse = () => {
    sendErrors(res, 413, TOO_LARGE);
    // Not destroyed at once: the client is still sending, and a socket closed with bytes unread answers them with a
    // reset, which can reach the client before the 413 does (seen in CI as ECONNRESET instead of the answer). What
    // still arrives is read and dropped, never kept, for at most LINGER_MS.
    req.removeAllListeners('data');
    req.resume();
    const linger = setTimeout(() => req.destroy(), LINGER_MS);
    req.once('close', () => clearTimeout(linger));
  };
  if (declared > MAX_CLIENT_REQUEST_BYTES) return refuse();
  const parts: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_CLIENT_REQUEST_BYTES) {
      req.removeAllListeners('data');
      refuse();
    } else parts.push(chunk);
  });
  req.on('end', () => {
    if (size <= MAX_CLIENT_REQUEST_BYTES) then(Buffer.concat(parts));
  });
  req.on('error', () => {});
}

function parsePublishBody(body: Buffer): { channel: string; events: string[] } | undefined {
  const parsed = jsonObject(body);
  if (!parsed || typeof parsed.channel !== 'string' || !Array.isArray(parsed.events)) return undefined;
  const events = parsed.events.filter((e): e is string => typeof e === 'string');
  return events.length === parsed.events.length ? { channel: parsed.channel, events } : undefined;
}

/** `POST /event` (D-PUBHTTP), CORS preflight for browsers, and the service's errors for anything else. */
export function createHttpHandler(ctx: HttpPublishContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    // The console is for its own page only: no CORS for it (web-console.ts).
    if (req.method === 'OPTIONS' && !isConsolePath(url.pathname)) {
      res.writeHead(204, {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '*',
      });
      res.end();
      return;
    }
    if (ctx.identity(req, res) || ctx.console(req, res)) return;
    if (url.pathname !== '/event') return sendErrors(res, 404, { errorType: 'NotFoundException', message: `No route for ${url.pathname}; publish with POST /event` });
    if (req.method !== 'POST') return sendErrors(res, 405, { errorType: 'UnsupportedOperation', message: 'Publishing with POST is the only supported action over the endpoint' });
    ctx.received();
    readBody(req, res, (body) => {
      const request = parsePublishBody(body);
      const answer = (outcome: AuthOutcome) => {
        if (!outcome.ok) return sendErrors(res, outcome.status, { errorType: outcome.error.errorType, message: outcome.error.message });
        if (!request) return sendErrors(res, 400, { errorType: 'BadRequestException', message: 'The body must be {"channel": string, "events": [string]}' });
        const check = checkPublish(request.channel, request.events, ctx.namespaces, outcome, HTTP_ERRORS, ctx.throttled);
        if (!check.ok) return sendErrors(res, check.status, check.error);
        sendPublicJson(res, 200, { failed: check.failed, successful: check.successful });
        ctx.deliver(check);
      };
      const outcome = authorize(headerRecord(req.headers), body, ctx.auth, { operation: 'EVENT_PUBLISH', channel: request ? channelOf(request.channel) : undefined });
      if (outcome instanceof Promise) void outcome.then(answer);
      else answer(outcome);
    });
  };
}
