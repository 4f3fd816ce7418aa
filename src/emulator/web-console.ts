import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './http-handler';
import { sendJson } from './json-answer';
import { jsonObject } from './json-body';
import { AUTH_MODES, type Namespaces } from './namespaces';
import { checkPublish, HTTP_ERRORS, type PublishCheck } from './publish-check';
import type { RealtimeEvents } from './realtime-handler';

export interface ConsoleContext {
  namespaces: Namespaces;
  events: EventEmitter<RealtimeEvents>;
  /** The emulator's counters and its connections with their channels. */
  state(): { counters: Record<string, number>; connections: Array<{ id: string; channels: string[] }> };
  deliver(check: Extract<PublishCheck, { ok: true }>): void;
  /** The host the emulator listens on (`--host`): besides loopback names, the one name a browser may reach it by. */
  host: string;
}

/** Paths of the console: its page and its routes. */
export function isConsolePath(path: string): boolean {
  return path === '/' || path.startsWith('/console/');
}

const LOOPBACK_NAMES = /^(?:localhost|[^.]+\.localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/**
 * Why a request may not reach the console, if it may not. The console answers its own page only: a page of any web
 * site could otherwise publish through it (a `text/plain` POST needs no preflight), and a DNS-rebound name could read
 * its state and live log. So the Host must be a loopback name or the configured host, an Origin (when a browser sends
 * one) that very host, and a POST JSON, which a cross-site form cannot send without a preflight.
 */
function refusal(req: IncomingMessage, host: string): string | undefined {
  let hostname: string;
  try {
    hostname = new URL(`http://${req.headers.host ?? ''}`).hostname;
  } catch {
    return 'a Host header that is not a host name';
  }
  const configured = host.includes(':') ? `[${host}]` : host;
  if (!LOOPBACK_NAMES.test(hostname) && hostname.toLowerCase() !== configured.toLowerCase()) return `the Host ${hostname.slice(0, 100)}: the console answers only at a loopback name or ${configured}`;
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${req.headers.host}` && origin !== `https://${req.headers.host}`) return 'a request from another web page';
  if (req.method === 'POST' && !/^application\/json\s*(?:;|$)/i.test(req.headers['content-type'] ?? '')) return 'a POST that is not application/json';
  return undefined;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  sendJson(res, status, body, { 'cache-control': 'no-store' });
}

/**
 * The web console at the emulator's root URL, as the AWS console's Pub/Sub editor is for the service: connections and
 * their subscriptions, counters (events dropped by handlers included), a form that publishes to a channel (through the
 * namespace's handlers, with every auth mode), and a live log of the events broadcast. Plain HTML and one small
 * script, no build step. It has no authentication of its own: the emulator listens on 127.0.0.1 by default.
 */
export function createConsoleRoutes(ctx: ConsoleContext): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://emulator').pathname;
    if (!isConsolePath(path)) return false;
    const refused = refusal(req, ctx.host);
    if (refused) {
      json(res, 403, { errors: [{ errorType: 'ForbiddenException', message: `The web console does not answer ${refused}` }] });
      return true;
    }
    if (req.method === 'GET' && path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(PAGE);
      return true;
    }
    if (req.method === 'GET' && path === '/console/state') {
      json(res, 200, ctx.state());
      return true;
    }
    if (req.method === 'GET' && path === '/console/log') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(': connected\n\n');
      const onPublished = (channel: string, events: readonly string[]) => res.write(`data: ${JSON.stringify({ at: new Date().toISOString(), channel, events })}\n\n`);
      ctx.events.on('published', onPublished);
      req.on('close', () => ctx.events.off('published', onPublished));
      return true;
    }
    if (req.method === 'POST' && path === '/console/publish') {
      readBody(req, res, (body) => {
        const request = jsonObject(body);
        if (!request || typeof request.channel !== 'string' || !Array.isArray(request.events)) {
          return json(res, 400, { errors: [{ errorType: 'BadRequestException', message: 'The body must be {"channel": string, "events": [any JSON]}' }] });
        }
        const texts = request.events.map((e) => JSON.stringify(e) ?? 'null');
        const check = checkPublish(request.channel, texts, ctx.namespaces, { modes: AUTH_MODES, identity: null }, HTTP_ERRORS, () => false);
        if (!check.ok) return json(res, check.status, { errors: [check.error] });
        json(res, 200, { successful: check.successful, failed: check.failed });
        ctx.deliver(check);
      });
      return true;
    }
    json(res, 405, { errors: [{ errorType: 'MethodNotAllowedException', message: `The web console has no ${req.method ?? ''} ${path}` }] });
    return true;
  };
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>appsync-events-local</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.3em; } h2 { font-size: 1.05em; margin-top: 1.5em; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
textarea, input { font: 13px ui-monospace, monospace; } textarea { width: 40em; height: 6em; }
#log { font: 12px ui-monospace, monospace; background: #f6f6f6; padding: 8px; max-height: 22em; overflow: auto; white-space: pre-wrap; }
.counters span { margin-right: 1.5em; } #result { margin-left: 1em; }
</style></head>
<body>
<h1>appsync-events-local</h1>
<div class="counters" id="counters"></div>
<h2>Subscriptions by channel</h2>
<table id="channels"><thead><tr><th>channel</th><th>subscriptions</th></tr></thead><tbody></tbody></table>
<h2>Connections</h2>
<table id="connections"><thead><tr><th>connection</th><th>subscriptions</th><th>channels</th></tr></thead><tbody></tbody></table>
<h2>Publish</h2>
<form id="publish">
<p><label>Channel <input id="channel" value="/default/console" size="40"></label></p>
<p><label>Events (a JSON array, or one JSON value)<br><textarea id="events">{"hello": "from the console"}</textarea></label></p>
<p><button type="submit">Publish</button><span id="result"></span></p>
</form>
<h2>Events broadcast</h2>
<div id="log"></div>
<script>
function cell(row, text) { var td = document.createElement('td'); td.textContent = text; row.appendChild(td); }
function fill(id, rows) {
  var body = document.querySelector('#' + id + ' tbody'); body.textContent = '';
  rows.forEach(function (r) { var tr = document.createElement('tr'); r.forEach(function (t) { cell(tr, t); }); body.appendChild(tr); });
}
function refresh() {
  fetch('console/state').then(function (r) { return r.json(); }).then(function (s) {
    var counters = document.getElementById('counters'); counters.textContent = '';
    Object.keys(s.counters).forEach(function (k) { var span = document.createElement('span'); span.textContent = k + ': ' + s.counters[k]; counters.appendChild(span); });
    var byChannel = {};
    s.connections.forEach(function (c) { c.channels.forEach(function (ch) { byChannel[ch] = (byChannel[ch] || 0) + 1; }); });
    fill('channels', Object.keys(byChannel).sort().map(function (ch) { return [ch, String(byChannel[ch])]; }));
    fill('connections', s.connections.map(function (c) { return [c.id, String(c.channels.length), c.channels.join(', ')]; }));
  }).catch(function () {});
}
refresh(); setInterval(refresh, 1000);
var log = document.getElementById('log');
new EventSource('console/log').onmessage = function (m) {
  var e = JSON.parse(m.data);
  var line = document.createElement('div');
  line.className = 'event';
  line.textContent = e.at.slice(11, 23) + '  ' + e.channel + '  ' + e.events.join(' ');
  log.insertBefore(line, log.firstChild);
};
document.getElementById('publish').onsubmit = function (ev) {
  ev.preventDefault();
  var result = document.getElementById('result');
  var events;
  try { events = JSON.parse(document.getElementById('events').value); } catch (err) { result.textContent = 'not JSON: ' + err.message; return; }
  if (!Array.isArray(events)) events = [events];
  fetch('console/publish', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ channel: document.getElementById('channel').value, events: events }) })
    .then(function (r) { return r.json(); })
    .then(function (a) { result.textContent = a.errors ? a.errors[0].errorType + ': ' + (a.errors[0].message || '') : a.successful.length + ' published, ' + a.failed.length + ' failed'; refresh(); });
};
</script>
</body></html>
`;
