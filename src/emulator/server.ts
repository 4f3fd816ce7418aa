import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { parseChannel } from '../protocol/channel';
import { DEFAULT_CONNECTION_TIMEOUT_MS, DEFAULT_KEEP_ALIVE_INTERVAL_MS } from '../protocol/limits';
import type { AuthConfig } from './auth';
import { createHttpHandler } from './http-handler';
import type { EmulatorAppClient, EmulatorIdentityPool, EmulatorUser, IdentityConfig } from './identity-config';
import { IdentityIssuer } from './identity-issuer';
import { createIdentityRoutes } from './identity-routes';
import { Namespaces, type NamespaceConfig } from './namespaces';
import { createConsoleRoutes } from './web-console';
import { LambdaAuthorizer } from './lambda-authorizer';
import { RealtimeServer, type RealtimeEvents } from './realtime-handler';
import type { SigV4Key } from './sigv4-verifier';
import { DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION, DEFAULT_PUBLISH_REQUESTS_PER_SECOND } from './quotas';

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
  /**
   * Channel namespaces; the first channel segment must be one (default `default`). A name, or a namespace with the auth
   * modes allowed to publish and to subscribe (all the API's when absent) and its code handlers (an absolute path).
   */
  namespaces?: Array<string | NamespaceConfig>;
  /** A Lambda authorizer stand-in module (absolute path), asked about tokens nothing else accepts (lambda-authorizer.ts). */
  lambdaAuthorizer?: string;
  /** Where the emulator writes what handlers log and when they reload (default: nowhere). */
  log?: (line: string) => void;
  /** Serve https/wss. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  keepAliveIntervalMs?: number;
  connectionTimeoutMs?: number;
  /** Subscriptions per connection (default 200, quotas.ts); the next is refused with MaxSubscriptionsReachedError. */
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
   * WebSocket publish requests allowed per second on each connection (default 25, quotas.ts); more are refused with
   * LimitExceededError. 0 turns the limit off.
   */
  publishRequestsPerSecond?: number;
  /** Users of the Cognito user pool stand-in (InitiateAuth USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH). */
  users?: EmulatorUser[];
  /** App clients of the user pool stand-in; those with a secret are also OAuth2 clients (client credentials). */
  clients?: EmulatorAppClient[];
  /** Cognito identity pools (GetId, GetCredentialsForIdentity), whose temporary keys sign AppSync requests. */
  identityPools?: EmulatorIdentityPool[];
  /** The user pool the stand-in plays (default `<region>_LocalPool1`), named in identity pool logins. */
  userPoolId?: string;
  /** Lifetime of every token and temporary key the identity stand-ins issue (default 3600 s). */
  tokenTtlSeconds?: number;
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
  /**
   * Accepts and broadcasts the next `count` WebSocket publishes without answering them, as when the answer is lost
   * with the connection: the publisher must send them again, and subscribers get them twice.
   */
  withholdPublishAnswers(count: number): void;
  /** Refuses every token, refresh token and temporary key issued so far, as a sign-out everywhere would. */
  revokeTokens(): void;
  /** Refuses the refresh tokens issued so far; the tokens stay valid until they expire. */
  revokeRefreshTokens(): void;
}

export interface EmulatorStats {
  openConnections: number;
  totalConnections: number;
  subscriptions: number;
  publishedEvents: number;
  /** `POST /event` requests received, answered or refused. */
  httpPublishRequests: number;
  /** Valid events that `onPublish` handlers did not broadcast. */
  droppedByHandlers: number;
  /**
   * Calls to the identity stand-ins by operation: `InitiateAuth USER_PASSWORD_AUTH`, `InitiateAuth REFRESH_TOKEN_AUTH`,
   * `GetId`, `GetCredentialsForIdentity`, `oauth2/token`.
   */
  identityCalls: Record<string, number>;
  /** WebSockets closed because the credential they were opened with expired. */
  closedAtExpiry: number;
}

export type EmulatorEvents = RealtimeEvents;

export interface Emulator {
  /** The HTTP endpoint, ending in `/event`. */
  httpUrl: string;
  /**
   * The server's base URL, where the identity stand-ins answer: the value for AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER
   * and AWS_ENDPOINT_URL_COGNITO_IDENTITY; the OAuth2 token URL is this plus `/oauth2/token`.
   */
  baseUrl: string;
  /** The user pool id the stand-in plays. */
  userPoolId: string;
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

function authConfig(options: EmulatorOptions, issued: IdentityIssuer): AuthConfig {
  const apiKeys = [...(options.apiKeys ?? [])];
  const identity = Boolean(options.users?.length || options.clients?.length || options.identityPools?.length);
  if (apiKeys.length === 0 && !options.tokens?.length && !options.iam?.length && !identity) apiKeys.push(`da2-${randomBytes(13).toString('hex')}`);
  return {
    region: options.region ?? 'us-east-1',
    apiKeys,
    tokens: [...(options.tokens ?? [])],
    iam: new Map((options.iam ?? []).map((k) => [k.accessKeyId, k])),
    issued,
    now: options.now ?? (() => new Date()),
  };
}

function identityConfig(options: EmulatorOptions, region: string): IdentityConfig {
  return {
    region,
    userPoolId: options.userPoolId ?? `${region}_LocalPool1`,
    users: new Map((options.users ?? []).map((u) => [u.username, u])),
    clients: new Map((options.clients ?? []).map((c) => [c.clientId, c])),
    identityPools: new Map((options.identityPools ?? []).map((p) => [p.identityPoolId, p])),
  };
}

/** Starts a local AppSync Events server (HTTP publish and WebSocket) on one port. */
export async function createEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const region = options.region ?? 'us-east-1';
  const identity = identityConfig(options, region);
  const now = options.now ?? (() => new Date());
  const issuer = new IdentityIssuer(`https://cognito-idp.${region}.amazonaws.com/${identity.userPoolId}`, () => options.tokenTtlSeconds ?? 3600, now);
  const auth = authConfig(options, issuer);
  if (options.lambdaAuthorizer) auth.lambda = new LambdaAuthorizer(options.lambdaAuthorizer, options.log ?? (() => {}));
  const identityCalls = new Map<string, number>();
  const namespaces = new Namespaces(options.namespaces ?? [], options.log ?? (() => {}));
  const events = new EventEmitter<EmulatorEvents>();
  let throttleCount = 0;
  let httpPublishRequests = 0;
  const throttled = () => throttleCount > 0 && throttleCount-- > 0;

  const realtime = new RealtimeServer({
    auth,
    namespaces,
    keepAliveIntervalMs: options.keepAliveIntervalMs ?? DEFAULT_KEEP_ALIVE_INTERVAL_MS,
    connectionTimeoutMs: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
    maxSubscriptionsPerConnection: options.maxSubscriptionsPerConnection ?? DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION,
    maxConnectionDurationMs: options.maxConnectionDurationMs ?? 24 * 3600_000,
    connectionInitTimeoutMs: options.connectionInitTimeoutMs ?? 10_000,
    htmlSafeSigningBody: options.htmlSafeSigningBody ?? true,
    publishRequestsPerSecond: options.publishRequestsPerSecond ?? DEFAULT_PUBLISH_REQUESTS_PER_SECOND,
    throttled,
    events,
  });
  const onRequest = createHttpHandler({
    auth,
    namespaces,
    throttled,
    received: () => httpPublishRequests++,
    deliver: (check) => realtime.deliver(check),
    identity: createIdentityRoutes(identity, issuer, identityCalls),
    console: createConsoleRoutes({
      host: options.host ?? '127.0.0.1',
      namespaces,
      events,
      deliver: (check) => realtime.deliver(check),
      state: () => ({
        counters: {
          'open connections': realtime.openConnections,
          subscriptions: realtime.subscriptionCount,
          'events broadcast': realtime.publishedEvents,
          'dropped by handlers': realtime.droppedByHandlers,
          'HTTP publishes': httpPublishRequests,
        },
        connections: realtime.connectionsView(),
      }),
    }),
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
    baseUrl: `${scheme}://${urlHost}:${port}`,
    userPoolId: identity.userPoolId,
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
      withholdPublishAnswers(count) {
        realtime.withheldAnswers = count;
      },
      revokeTokens: () => issuer.revokeAll(),
      revokeRefreshTokens: () => issuer.revokeRefreshTokens(),
    },
    stats: () => ({
      openConnections: realtime.openConnections,
      totalConnections: realtime.totalConnections,
      subscriptions: realtime.subscriptionCount,
      publishedEvents: realtime.publishedEvents,
      httpPublishRequests,
      identityCalls: Object.fromEntries(identityCalls),
      droppedByHandlers: realtime.droppedByHandlers,
      closedAtExpiry: realtime.closedAtExpiry,
    }),
    async stop() {
      namespaces.close();
      auth.lambda?.close();
      realtime.dropConnections();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}
