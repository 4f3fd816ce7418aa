import type { Node, NodeAPI, NodeDef } from 'node-red';
import { homedir } from 'node:os';
import { join } from 'node:path';
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
import { EndpointOutbox } from '../client/outbox/endpoint-outbox';
import { credentialProbe } from '../client/credential-probe';
import { diskErrorWords } from '../client/outbox/disk-error';
import type { NetworkSettings } from '../client/network';
import { ENDPOINT_SETTINGS } from '../editor/node-settings';
import { SourceSequences } from '../client/source-sequences';
import { isEnvelope } from '../protocol/envelope';
import { EndpointPresence } from './endpoint-presence';
import { defaultSourceId, presenceMessages } from './endpoint-source';
import { chosen, type SettingValues } from '../editor/setting-rule';

/** An events-endpoint as a flow saves it (src/editor/node-settings.ts): delays in seconds, `tls` and `proxy` the ids of core config nodes. */
export interface EndpointDef extends NodeDef, Omit<SettingValues<typeof ENDPOINT_SETTINGS>, 'name' | 'url' | 'authorizer'> {
  url: string;
  authorizer: string;
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
  /**
   * Why the file publish queue cannot be used (its file held by another process, or of another format version): its
   * publish nodes refuse every message with it, and never fall back to memory; subscribe nodes work on.
   */
  outboxError: EventsError | undefined;
  /** The authorizer of `authorizerNodeId` (or of this endpoint when absent) for this endpoint's region. */
  authorizer(authorizerNodeId?: string): Authorizer;
  /** The same, looked up at each use, so that a missing authorizer fails the operation, not the deploy. */
  lazyAuthorizer(authorizerNodeId?: string): Authorizer;
  /** Names this gateway in presence messages and envelopes (`sourceId`, or one made from the host and user directory). */
  sourceId: string;
  /** The `seq` of each channel this gateway's envelopes are published on; on disk with the file store. */
  sequences: SourceSequences;
}

/** The files of one endpoint config (named by its id), under the user directory: two endpoints never share one. */
function endpointFile(RED: NodeAPI, node: Node, name: string): string {
  const userDir: unknown = Reflect.get(RED.settings, 'userDir');
  return join(typeof userDir === 'string' && userDir ? userDir : join(homedir(), '.node-red'), 'appsync-events', `${name}-${node.id}`);
}

/** The endpoint connection's file store (`queueStore` file), or undefined with `outboxError` set when it cannot be opened. */
function openOutbox(RED: NodeAPI, node: EndpointNode, def: EndpointDef, endpoints: Endpoints, connection: EndpointConnection, options: { logger: Logger; queueSize: number; authRetryDelayMs: number }): EndpointOutbox | undefined {
  const path = endpointFile(RED, node, 'outbox') + '.jsonl';
  try {
    const outbox = new EndpointOutbox({
      path,
      maxRequests: options.queueSize,
      maxBytes: positive(def.queueMaxMB, ENDPOINT_SETTINGS.queueMaxMB.value) * 1024 * 1024,
      whenFull: chosen(ENDPOINT_SETTINGS.queueFull, def.queueFull),
      authRetryDelayMs: options.authRetryDelayMs,
      log: options.logger,
      sending: connection,
      authorizerById: (id) => node.authorizer(id),
      probe: credentialProbe(endpoints, node.network, node.lazyAuthorizer()),
    });
    node.log(`publish outbox: ${path}`);
    return outbox;
  } catch (err) {
    // A file this version cannot read, or another process's, is left as it is; publishes fail until that is fixed.
    node.outboxError = err instanceof EventsError ? err : new EventsError({ errorType: 'OutboxUnavailable', message: `publish outbox ${path}: ${diskErrorWords(err)}` });
    node.error(node.outboxError.message);
    return undefined;
  }
}

/** Counts found in envelopes still in the outbox after a crash: their numbers are taken, whatever the sequence file says. */
function raiseSequences(node: EndpointNode, channel: string, events: readonly string[]): void {
  for (const text of events) {
    // The publish node writes an envelope with `id` first (publish-node.ts `wrap`): other stored events are not parsed
    // again at start, on top of the outbox's own reading.
    if (!text.startsWith('{"id":')) continue;
    try {
      const event: unknown = JSON.parse(text);
      if (isEnvelope(event) && event.src === node.sourceId) node.sequences.atLeast(channel, event.seq);
    } catch {
      // A stored event is JSON text written by this pack; one that is not cannot carry a count.
    }
  }
}

/** Birth, close and heartbeat messages, when the endpoint has a birth or close channel. */
function startPresence(node: EndpointNode, def: EndpointDef, autoConnect: boolean): EndpointPresence | undefined {
  const connection = node.connection;
  if (!connection) return undefined;
  try {
    const messages = presenceMessages(def, node.sourceId);
    if (!messages) return undefined;
    const settings = { ...messages, heartbeatMs: seconds(def.heartbeatInterval, ENDPOINT_SETTINGS.heartbeatInterval.value), connectAtStart: autoConnect, authorizer: () => node.authorizer() };
    const presence = new EndpointPresence(`${node.id}:presence`, connection, settings, (err) => node.warn(`presence message not published: ${err.message}`));
    presence.start();
    return presence;
  } catch (err) {
    node.error(err instanceof Error ? err.message : String(err));
    return undefined;
  }
}

/** A number setting as the dialog (a string) or a flow file (a number) gives it; undefined when it is not a finite number. */
function settingNumber(value: number | string | undefined): number | undefined {
  const n = typeof value === 'string' ? Number.parseFloat(value) : value;
  return n !== undefined && Number.isFinite(n) ? n : undefined;
}

/** A size that must be above zero: anything else (empty, not a number, 0 or below) is its default, never a bound below zero that refuses every publish. */
function positive(value: number | string | undefined, fallback: number): number {
  const n = settingNumber(value);
  return n !== undefined && n > 0 ? n : fallback;
}

/** A count of things (requests, connections): a whole number of at least 1. */
function count(value: number | string | undefined, fallback: number): number {
  return Math.max(1, Math.floor(positive(value, fallback)));
}

function seconds(value: number | string | undefined, fallback: number): number {
  const n = settingNumber(value);
  return n !== undefined && n >= 0 ? n * 1000 : fallback * 1000;
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
    node.requestTimeoutMs = seconds(def.requestTimeout, ENDPOINT_SETTINGS.requestTimeout.value);
    const options = {
      logger: logger(node, traceLogging(RED)),
      reconnectBaseDelayMs: seconds(def.reconnectBaseDelay, ENDPOINT_SETTINGS.reconnectBaseDelay.value),
      reconnectMaxDelayMs: seconds(def.reconnectMaxDelay, ENDPOINT_SETTINGS.reconnectMaxDelay.value),
      authRetryDelayMs: seconds(def.authRetryDelay, ENDPOINT_SETTINGS.authRetryDelay.value),
      requestTimeoutMs: node.requestTimeoutMs,
      connectTimeoutMs: node.requestTimeoutMs,
      queueSize: count(def.queueSize, ENDPOINT_SETTINGS.queueSize.value),
      publishRate: Math.max(0, settingNumber(def.publishRate) ?? ENDPOINT_SETTINGS.publishRate.value),
      network: node.network,
      autoConnect: def.autoConnect ?? ENDPOINT_SETTINGS.autoConnect.value,
    };
    // The authorizer is looked up when a client is made, not here: config nodes start in no set order.
    node.connection = new EndpointConnection({
      webSocket: () => new EventsWebSocketClient(endpoints, { connect: node.lazyAuthorizer() }, options),
      pool: {
        // Blank: learnt from AppSync's first refusal (connection-pool.ts).
        maxSubscriptionsPerConnection: settingNumber(def.maxSubscriptionsPerConnection) === undefined ? undefined : count(def.maxSubscriptionsPerConnection, 1),
        publishConnections: count(def.publishConnections, ENDPOINT_SETTINGS.publishConnections.value),
      },
      rest: () => new EventsRestClient(endpoints, node.lazyAuthorizer(), { logger: options.logger, requestTimeoutMs: options.requestTimeoutMs, network: node.network, publishRate: options.publishRate }),
    });

    const fileStore = chosen(ENDPOINT_SETTINGS.queueStore, def.queueStore) === 'file';
    node.sourceId = def.sourceId?.trim() || defaultSourceId(RED);
    node.sequences = new SourceSequences({ path: fileStore ? endpointFile(RED, node, 'sequences') + '.json' : undefined, log: options.logger });
    const outbox = fileStore ? openOutbox(RED, node, def, endpoints, node.connection, options) : undefined;
    node.connection.store = outbox;
    for (const stored of outbox?.outbox.recovered ?? []) raiseSequences(node, stored.channel, stored.events);
    const presence = startPresence(node, def, options.autoConnect);

    node.on('close', (_removed: boolean, done: () => void) => {
      void (async () => {
        await presence?.stop();
        await outbox?.close();
        await node.sequences.settled();
        await node.connection?.close();
      })().finally(done);
    });
  }

  RED.nodes.registerType('events-endpoint', EventsEndpointNode);
}
