import WebSocket, { type ClientOptions } from 'ws';
import { encodeAuthSubprotocol } from '../protocol/encoding';
import { EventsError, fromServiceErrors } from '../protocol/errors';
import { AUTH_SUBPROTOCOL_PREFIX, DEFAULT_CONNECTION_TIMEOUT_MS, EVENTS_SUBPROTOCOL, MAX_SERVER_FRAME_BYTES } from '../protocol/limits';
import type { ClientMessage, InvalidFrame, ServerMessage } from '../protocol/messages';
import { parseServerMessage } from '../protocol/server-message';
import { FrameWriter } from './frame-writer';
import { TurnBudget } from './turn-budget';
import type { Route } from './network';
import { networkError, proxyRefused } from './network-errors';
import type { Logger } from './logger';
import type { SecretScrubber } from './redact';

/**
 * Frames read per turn of the event loop before the socket pauses until the next turn. A backlog (a reconnect, a
 * burst on a busy channel) otherwise arrives as tens of thousands of frames in one turn: every handler's work for
 * all of them stays alive at once, and nothing else in the process (a Node-RED flow's other nodes, timers) runs
 * meanwhile. Of 250, 1,000 and 4,000 frames a turn, 1,000 delivered the most to an events-subscribe node, the most
 * steadily; the library alone, with nothing behind its handler, pays a little for the pauses (the series are in
 * bench/README.md).
 */
const FRAMES_READ_PER_TURN = 1_000;

/** One socket's life, in order; `ended` is final. */
export type SessionPhase = 'authorizing' | 'opening' | 'awaiting-ack' | 'ready' | 'ended';

/**
 * What moves a session from phase to phase; `#step` is the only place that changes it. Frames go to `#onFrame`
 * without an event object (they arrive by the hundred thousand per second): a frame changes the phase only
 * through `connection_ack` (`#onAck`) or by ending the session.
 */
type SessionEvent = { kind: 'authorized'; headers: Record<string, string> } | { kind: 'open' } | { kind: 'end'; reason: EventsError; graceful: boolean };

export interface SessionOptions {
  realtimeUrl: string;
  /** The HTTP host, the `host` of the connect authorization object (D-WS). */
  httpHost: string;
  /** From opening the socket to `connection_ack`. */
  connectTimeoutMs: number;
  /** Overrides the `connectionTimeoutMs` of `connection_ack`. */
  keepAliveTimeoutMs?: number;
  webSocketOptions?: ClientOptions;
  /** The agent (direct or through a proxy) and TLS settings of the realtime URL. */
  route: Route;
}

export interface SessionHandlers {
  ready(): void;
  /** The event of a `data` frame after `connection_ack`: the hot path, with no message object to dispatch on. */
  data(subscriptionId: string, event: string): void;
  /** Other frames after `connection_ack`, except `ka` and a repeated ack. */
  message(message: ServerMessage | InvalidFrame): void;
  ended(reason: EventsError, wasReady: boolean): void;
}

/**
 * One WebSocket from the connect authorization to its end: handshake timeout, keep-alive watchdog, and the
 * classification of why it ended. Frames before `connection_ack` are never delivered. It reports `ended`
 * exactly once, whatever reported the end first (close, error, a timeout, `connection_error`, or `end()`).
 */
export class SocketSession {
  #phase: SessionPhase = 'authorizing';
  #ws: WebSocket | undefined;
  #writer: FrameWriter | undefined;
  #handshakeTimer: NodeJS.Timeout | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  /** Frames received; the watchdog compares it between checks instead of reading the clock per frame. */
  #frames = 0;
  /** Invalid-frame reasons already logged: a flood of bad frames is one log line per kind, not one per frame. */
  readonly #logged = new Set<string>();
  readonly #readBudget = new TurnBudget(FRAMES_READ_PER_TURN);
  #resume: NodeJS.Immediate | undefined;

  constructor(
    authorization: Promise<Record<string, string>>,
    private readonly options: SessionOptions,
    private readonly handlers: SessionHandlers,
    private readonly log: Logger,
    private readonly scrubber: SecretScrubber,
  ) {
    authorization.then(
      (headers) => this.#step({ kind: 'authorized', headers }),
      (err: unknown) => this.end(this.scrubber.error(err, 'CredentialsError')),
    );
  }

  get phase(): SessionPhase {
    return this.#phase;
  }

  /** Sends a frame on a ready socket; false when it is not (any more). */
  send(message: ClientMessage): boolean {
    return this.#phase === 'ready' && this.#writer !== undefined && this.#writer.send(message);
  }

  /** Ends the session; `graceful` sends a close frame instead of dropping the socket. */
  end(reason: EventsError, graceful = false): void {
    this.#step({ kind: 'end', reason, graceful });
  }

  #step(event: SessionEvent): void {
    if (this.#phase === 'ended') return;
    switch (event.kind) {
      case 'authorized':
        if (this.#phase === 'authorizing') this.#open(event.headers);
        return;
      case 'open':
        if (this.#phase !== 'opening') return;
        this.#phase = 'awaiting-ack';
        this.#writer?.send({ type: 'connection_init' });
        return;
      case 'end':
        this.#finish(event.reason, event.graceful);
        return;
    }
  }

  #open(headers: Record<string, string>): void {
    const auth = { host: this.options.httpHost, ...headers };
    const subprotocol = AUTH_SUBPROTOCOL_PREFIX + encodeAuthSubprotocol(auth);
    this.scrubber.add(subprotocol);
    this.#phase = 'opening';
    const { route } = this.options;
    const ws = new WebSocket(this.options.realtimeUrl, [EVENTS_SUBPROTOCOL, subprotocol], {
      // A direct WebSocket needs no pooled agent: its socket is the connection's own.
      agent: route.proxy ? route.agent : undefined,
      ...route.tls,
      ...this.options.webSocketOptions,
      handshakeTimeout: this.options.connectTimeoutMs,
      maxPayload: MAX_SERVER_FRAME_BYTES,
    });
    this.#ws = ws;
    this.#writer = new FrameWriter(ws, this.log.traceEnabled === true ? (text) => this.log.trace?.(`frame out: ${text}`) : undefined);
    this.#handshakeTimer = setTimeout(() => this.end(new EventsError({ errorType: 'Timeout', message: `no connection_ack within ${this.options.connectTimeoutMs} ms` })), this.options.connectTimeoutMs);
    ws.on('open', () => this.#step({ kind: 'open' }));
    const trace = this.log.traceEnabled === true;
    ws.on('message', (data, isBinary) => {
      this.#frames++;
      if (!this.#readBudget.take()) this.#pauseUntilNextTurn(ws);
      if (this.#phase === 'ended') return;
      if (trace) this.log.trace?.(`frame in: ${isBinary ? '(a binary frame)' : data.toString()}`);
      this.#onFrame(isBinary ? { type: 'invalid', reason: 'binary frame: the protocol uses text frames only' } : parseServerMessage(data.toString()));
    });
    ws.on('unexpected-response', (req, res) => {
      res.resume();
      const proxyStatus = route.proxyStatus.get(req);
      this.end(proxyStatus !== undefined && proxyStatus !== 200 ? proxyRefused(proxyStatus, route) : upgradeRefused(res.statusCode ?? 0));
    });
    ws.on('error', (err: Error & { code?: string }) => this.end(socketError(err, route, this.scrubber)));
    ws.on('close', (code, reason) => {
      const why = reason.length ? `, ${this.scrubber.scrub(reason.toString().slice(0, 200))}` : '';
      this.end(new EventsError({ errorType: 'ConnectionClosed', message: `the connection closed (code ${code}${why})`, code }));
    });
  }

  /** Reads nothing more in this turn of the event loop: frames already read are still delivered. */
  #pauseUntilNextTurn(ws: WebSocket): void {
    if (this.#resume) return;
    ws.pause();
    this.#resume = setImmediate(() => {
      this.#resume = undefined;
      ws.resume();
    });
  }

  #onFrame(message: ServerMessage | InvalidFrame): void {
    if (message.type === 'data' && this.#phase === 'ready') {
      this.handlers.data(message.id, message.event);
      return;
    }
    switch (message.type) {
      case 'ka':
        return;
      case 'connection_error':
        this.end(this.scrubber.error(fromServiceErrors(message.errors, 'the connection was refused')));
        return;
      case 'connection_ack':
        if (this.#phase === 'awaiting-ack') this.#onAck(message.connectionTimeoutMs);
        return;
      case 'invalid':
        this.#logOnce(`ignored a frame: ${message.reason}`);
        if (message.id !== undefined && this.#phase === 'ready') this.handlers.message(message);
        return;
    }
    if (this.#phase === 'ready') this.handlers.message(message);
    else this.#logOnce(`ignored a ${message.type} frame that came before connection_ack`);
  }

  #onAck(connectionTimeoutMs: number | undefined): void {
    clearTimeout(this.#handshakeTimer);
    this.#phase = 'ready';
    this.#armWatchdog(this.options.keepAliveTimeoutMs ?? connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS);
    this.handlers.ready();
  }

  /**
   * Any frame counts as life (AMP-JS counts `ka` and `data`; KT every frame). The watchdog looks four times
   * per timeout period whether frames arrived: no clock read or timer reset per event, and silence is caught
   * between 1 and 1.25 timeout periods after the last frame.
   */
  #armWatchdog(keepAliveMs: number): void {
    const period = Math.max(1, Math.floor(keepAliveMs / 4));
    let seen = this.#frames;
    let lastLife = Date.now();
    const check = () => {
      const now = Date.now();
      if (this.#frames !== seen) {
        seen = this.#frames;
        lastLife = now;
      } else if (now - lastLife >= keepAliveMs) {
        this.end(new EventsError({ errorType: 'Timeout', message: `no frame from the service for ${now - lastLife} ms (keep-alive timeout ${keepAliveMs} ms)` }));
        return;
      }
      this.#watchdog = setTimeout(check, period);
    };
    this.#watchdog = setTimeout(check, period);
  }

  #finish(reason: EventsError, graceful: boolean): void {
    const wasReady = this.#phase === 'ready';
    this.#phase = 'ended';
    clearTimeout(this.#handshakeTimer);
    clearTimeout(this.#watchdog);
    const ws = this.#ws;
    if (ws) {
      ws.removeAllListeners('message');
      ws.on('error', () => {});
      if (graceful && ws.readyState === WebSocket.OPEN) ws.close(1000, 'client disconnect');
      else ws.terminate();
    }
    this.handlers.ended(reason, wasReady);
  }

  #logOnce(line: string): void {
    if (this.#logged.has(line) || this.#logged.size >= 20) return;
    this.#logged.add(line);
    this.log.warn(`${line} (reported once per connection)`);
  }
}

/** The realtime endpoint answered the upgrade with an HTTP status instead of a WebSocket. */
function upgradeRefused(status: number): EventsError {
  if (status === 404) return new EventsError({ errorType: 'EndpointNotFound', message: 'the realtime endpoint answered 404 Not Found', code: 404 });
  if (status === 401 || status === 403) return new EventsError({ errorType: 'UnauthorizedException', message: `the realtime endpoint refused the connection (${status})`, code: status });
  return new EventsError({ errorType: 'HttpError', message: `the realtime endpoint answered HTTP ${status} to the upgrade`, code: status, retryable: status >= 500 || status === 429 });
}

/** `ws` reports a peer that breaks the WebSocket framing with a `WS_ERR_…` code (ws/lib/receiver.js). */
function socketError(err: Error & { code?: string }, route: Route, scrubber: SecretScrubber): EventsError {
  if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
    return new EventsError({ errorType: 'ProtocolError', message: `the service sent a frame over ${MAX_SERVER_FRAME_BYTES} bytes, larger than any legal AppSync frame`, retryable: true });
  }
  if (err.code?.startsWith('WS_ERR_')) return new EventsError({ errorType: 'ProtocolError', message: `the service broke the WebSocket protocol: ${scrubber.scrub(err.message)}`, retryable: true });
  return networkError(err, route, (text) => scrubber.scrub(text));
}
