import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { parseChannel } from '../protocol/channel';
import { DEFAULT_CONNECTION_TIMEOUT_MS, DEFAULT_KEEP_ALIVE_INTERVAL_MS } from '../protocol/limits';
import type { AuthConfig } from './auth';
import { createHttpHandler } from './http-handler';
import { RealtimeServer, type RealtimeEvents } from './realtime-handler';
import type { SigV4Key } from './sigv4-verifier';

export interface EmulatorOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  region?: string;
  /** Accepted API keys; with none given (and no tokens or IAM keys) one is generated. */
  apiKeys?: string[];
  /** Accepted Cognito / OIDC / Lambda tokens (with or without `Bearer `). */
  tokens?: string[];
  iam?: SigV4Key[];
  /** Channel namespaces; the first channel segment must be one (default `default`). */
  namespaces?: string[];
  /** Serve https/wss. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  keepAliveIntervalMs?: number;
  connectionTimeoutMs?: number;
  maxSubscriptionsPerConnection?: number;
  /** The service closes connections after 24 h (D-WS). */
  maxConnectionDurationMs?: number;
  /**
   * A WebSocket that sends neither `connection_init` nor any operation within this time is closed (default
   * 10 s). `connection_init` is optional for clients (D-WS), so any operation counts; what the service does
   * with a silent socket is not documented (UNCERTAIN).
   */
  connectionInitTimeoutMs?: number;
  /** Rebuild IAM-signed WebSocket publish bodies HTML-safe, as the service appears to (realtime-handler.ts). On by default. */
  htmlSafeSigningBody?: boolean;
  /**
   * WebSocket publish requests allowed per second on each connection; more are refused with
   * LimitExceededError. AppSync's quota is quoted as 25 (protocol.md §6, UNCERTAIN); unlimited by default.
   */
  publishRequestsPerSecond?: number;
  now?: () => Date;
}

export interface EmulatorFaults {
  /** Closes every WebSocket abruptly (no close frame), as a network failure would. */
  dropConnections(): void;
  /** Stops (false) or resumes (true) the `ka` frames on every connection. */
  setKeepAlive(enabled: boolean): void;
  /** Refuses the next `count` WebSocket connections by closing their TCP socket. */
  refuseConnections(count: number): void;
  /** Answers the next `count` publishes (HTTP and WebSocket) as throttled; `Infinity` for all, 0 to stop. */
  throttlePublishes(count: number): void;
}

export interface EmulatorStats {
  openConnections: number;
  totalConnections: number;
  subscriptions: number;
  publishedEvents: number;
  /** `POST /event` requests received, answered or refused. */
  httpPublishRequests: number;
}

export type EmulatorEvents = RealtimeEvents;

export interface Emulator {
  /** The HTTP endpoint, ending in `/event`. */
  httpUrl: string;
  realtimeUrl: string;
  host: string;
  port: number;
  region: string;
  apiKeys: string[];
  faults: EmulatorFaults;
  /** Publishes from the server side, as a backend would: fans `events` (JSON texts) out to subscribers. */
  publish(channel: string, events: readonly string[]): void;
  stats(): EmulatorStats;
  events: EventEmitter<EmulatorEvents>;
  stop(): Promise<void>;
}

function authConfig(options: EmulatorOptions): AuthConfig {
  const apiKeys = [...(options.apiKeys ?? [])];
  if (apiKeys.length === 0 && !options.tokens?.length && !options.iam?.length) apiKeys.push(`da2-${randomBytes(13).toString('hex')}`);
  return {
    region: options.region ?? 'us-east-1',
    apiKeys,
    tokens: [...(options.tokens ?? [])],
    iam: new Map((options.iam ?? []).map((k) => [k.accessKeyId, k])),
    now: options.now ?? (() => new Date()),
  };
}

/** Starts a local AppSync Events server (HTTP publish and WebSocket) on one port. */
export async function createEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const auth = authConfig(options);
  const namespaces = new Set(options.namespaces?.length ? options.namespaces : ['default']);
  const events = new EventEmitter<EmulatorEvents>();
  let throttleCount = 0;
  let httpPublishRequests = 0;
  const throttled = () => throttleCount > 0 && throttleCount-- > 0;

  const realtime = new RealtimeServer({
    auth,
    namespaces,
    keepAliveIntervalMs: options.keepAliveIntervalMs ?? DEFAULT_KEEP_ALIVE_INTERVAL_MS,
    connectionTimeoutMs: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
    maxSubscriptionsPerConnection: options.maxSubscriptionsPerConnection ?? 200,
    maxConnectionDurationMs: options.maxConnectionDurationMs ?? 24 * 3600_000,
    connectionInitTimeoutMs: options.connectionInitTimeoutMs ?? 10_000,
    htmlSafeSigningBody: options.htmlSafeSigningBody ?? true,
    publishRequestsPerSecond: options.publishRequestsPerSecond,
    throttled,
    events,
  });
  const onRequest = createHttpHandler({
    auth,
    namespaces,
    throttled,
    received: () => httpPublishRequests++,
    deliver: (check) => realtime.deliver(check),
  });

  // A socket that never finishes its request headers (or its upgrade) is closed after 10 s, checked every second.
  const serverOptions = { headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 1_000 };
  const server = options.tls ? https.createServer({ ...serverOptions, cert: options.tls.cert, key: options.tls.key }, onRequest) : http.createServer(serverOptions, onRequest);
  server.keepAliveTimeout = 30_000;
  server.on('upgrade', (req, socket, head) => realtime.onUpgrade(req, socket, head));
  server.on('clientError', (_err, socket) => socket.destroy());
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address: AddressInfo | string | null = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const scheme = options.tls ? 'https' : 'http';
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    httpUrl: `${scheme}://${urlHost}:${port}/event`,
    realtimeUrl: `${scheme === 'https' ? 'wss' : 'ws'}://${urlHost}:${port}/event/realtime`,
    host,
    port,
    region: auth.region,
    apiKeys: [...auth.apiKeys],
    events,
    publish(channel, published) {
      realtime.fanOut(parseChannel(channel, 'publish'), published);
    },
    faults: {
      dropConnections: () => realtime.dropConnections(),
      setKeepAlive(enabled) {
        realtime.keepAliveEnabled = enabled;
      },
      refuseConnections(count) {
        realtime.refuseCount = count;
      },
      throttlePublishes(count) {
        throttleCount = count;
      },
    },
    stats: () => ({
      openConnections: realtime.openConnections,
      totalConnections: realtime.totalConnections,
      subscriptions: realtime.subscriptionCount,
      publishedEvents: realtime.publishedEvents,
      httpPublishRequests,
    }),
    async stop() {
      realtime.dropConnections();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}
