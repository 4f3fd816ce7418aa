import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { AuthorizationHeaders, AuthRequest, Authorizer } from '../client/authorizer';
import type { Logger } from '../client/logger';
import { isJsonObject } from '../protocol/messages';
import { EventsRestClient } from '../client/rest-client';
import { EventsWebSocketClient } from '../client/websocket-client';
import type { Endpoints } from '../protocol/endpoint';
import { EventsError } from '../protocol/errors';
import type { AuthorizerNode } from './authorizer-node';
import { EndpointConnection } from './endpoint-connection';
import { endpointSettings } from './endpoint-settings';
import type { NetworkSettings } from '../client/network';

export interface EndpointDef extends NodeDef {
  url: string;
  realtimeUrl?: string;
  region?: string;
  authorizer: string;
  /** Seconds. */
  reconnectBaseDelay?: number | string;
  reconnectMaxDelay?: number | string;
  authRetryDelay?: number | string;
  requestTimeout?: number | string;
  queueSize?: number | string;
  /** Open the WebSocket when a node first needs it (default); when false, only on `msg.action = connect`. */
  autoConnect?: boolean;
  /** The id of a core `tls-config` node. */
  tls?: string;
  /** The id of a core `http proxy` node; without one, the proxy environment variables apply. */
  proxy?: string;
}

export interface EndpointNode extends Node {
  connection: EndpointConnection | undefined;
  endpoints: Endpoints | undefined;
  /** TLS settings and proxy of every connection the endpoint makes, AWS calls of its authorizers included. */
  network: NetworkSettings;
  /** How long one request may wait for its acknowledgement (the `requestTimeout` property). */
  requestTimeoutMs: number;
  /** Why the endpoint cannot be used, when it cannot. */
  configError: EventsError | undefined;
  /** The authorizer of `authorizerNodeId` (or of this endpoint when absent) for this endpoint's region. */
  authorizer(authorizerNodeId?: string): Authorizer;
  /** The same, looked up at each use, so that a missing authorizer fails the operation, not the deploy. */
  lazyAuthorizer(authorizerNodeId?: string): Authorizer;
}

function seconds(value: number | string | undefined, fallback: number): number {
  const n = typeof value === 'string' ? Number.parseFloat(value) : value;
  return n !== undefined && Number.isFinite(n) && n >= 0 ? n * 1000 : fallback * 1000;
}

/**
 * The client's lines in Node-RED's log: warnings and errors always; the connection's lifecycle at debug; every frame
 * in and out at trace, built only when a log handler keeps trace lines. Every line is already scrubbed of secrets.
 */
function logger(node: Node, traceEnabled: boolean): Logger {
  return {
    error: (m) => node.error(m),
    warn: (m) => node.warn(m),
    info: (m) => node.debug(m),
    debug: (m) => node.debug(m),
    trace: (m) => node.trace(m),
    traceEnabled,
  };
}

/** Whether any of Node-RED's log handlers (`logging` in settings.js) keeps trace lines. */
function traceLogging(RED: NodeAPI): boolean {
  const logging: unknown = Reflect.get(RED.settings, 'logging');
  return isJsonObject(logging) && Object.values(logging).some((handler) => isJsonObject(handler) && handler.level === 'trace');
}

export function registerEndpointNode(RED: NodeAPI): void {
  function EventsEndpointNode(this: EndpointNode, def: EndpointDef): void {
    RED.nodes.createNode(this, def);
    const node = this;

    node.authorizer = (authorizerNodeId) => {
      const id = authorizerNodeId || def.authorizer;
      const authNode = id ? (RED.nodes.getNode(id) as AuthorizerNode | null) : null;
      if (!authNode || typeof authNode.authorizerFor !== 'function') {
        throw new EventsError({ errorType: 'InvalidConfiguration', message: `the endpoint "${def.name || def.url}" has no authorizer: choose one in its settings` });
      }
      return authNode.authorizerFor(node.endpoints?.region, node.network);
    };

    node.lazyAuthorizer = (authorizerNodeId) =>
      Object.assign((request: AuthRequest) => node.authorizer(authorizerNodeId)(request), {
        renew: (refused: AuthorizationHeaders) => node.authorizer(authorizerNodeId).renew?.(refused) ?? Promise.resolve(false),
        expiresAt: (headers: AuthorizationHeaders) => node.authorizer(authorizerNodeId).expiresAt?.(headers),
      });

    try {
      ({ endpoints: node.endpoints, network: node.network } = endpointSettings(RED, def, (line) => node.log(line)));
    } catch (err) {
      node.configError = err as EventsError;
      node.error(node.configError.message);
      return;
    }
    const endpoints = node.endpoints;
    node.requestTimeoutMs = seconds(def.requestTimeout, 15);
    const options = {
      logger: logger(node, traceLogging(RED)),
      reconnectBaseDelayMs: seconds(def.reconnectBaseDelay, 1),
      reconnectMaxDelayMs: seconds(def.reconnectMaxDelay, 30),
      authRetryDelayMs: seconds(def.authRetryDelay, 60),
      requestTimeoutMs: node.requestTimeoutMs,
      connectTimeoutMs: node.requestTimeoutMs,
      queueSize: Number.parseInt(String(def.queueSize ?? ''), 10) || 1000,
      network: node.network,
      autoConnect: def.autoConnect !== false,
    };
    // The authorizer is looked up when a client is made, not here: config nodes start in no set order.
    node.connection = new EndpointConnection({
      webSocket: () => new EventsWebSocketClient(endpoints, { connect: node.lazyAuthorizer() }, options),
      rest: () => new EventsRestClient(endpoints, node.lazyAuthorizer(), { logger: options.logger, requestTimeoutMs: options.requestTimeoutMs, network: node.network }),
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      void node.connection?.close().finally(done);
    });
  }

  RED.nodes.registerType('events-endpoint', EventsEndpointNode);
}
