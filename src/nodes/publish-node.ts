import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { randomUUID } from 'node:crypto';
import { parseChannel } from '../protocol/channel';
import type { Envelope } from '../protocol/envelope';
import { EventsError } from '../protocol/errors';
import { publishStatus, resultForEvent, type PublishResult, type PublishStatus } from '../protocol/publish-result';
import type { Authorizer } from '../client/authorizer';
import type { ConnectionState } from '../client/connection-state';
import { evaluateProperty } from './evaluate';
import { findEndpoint, refuseEveryMessage } from './endpoint-lookup';
import { errorLabel, toNodeError } from './node-error';
import { connectionStatus, statusSetter, type Translate } from './status';
import { FailureReporter } from './user-status';
import { PublishCoalescer } from './publish-coalescer';
import { controlAction } from './control-actions';
import { PUBLISH_SETTINGS } from '../editor/node-settings';
import { chosen, type SettingValues } from '../editor/setting-rule';
import { readStoredMessages, storedMessages } from './stored-messages';

/** An events-publish as a flow saves it (src/editor/node-settings.ts). */
export interface PublishDef extends NodeDef, Omit<SettingValues<typeof PUBLISH_SETTINGS>, 'name' | 'endpoint'> {
  endpoint: string;
}

interface PublishNode extends Node {
  onConnectionState(state: ConnectionState): void;
}

/** What the node adds to each message it passes on (and to the message a Catch node receives). */
export interface PublishReport extends PublishResult {
  status: PublishStatus;
  channel: string;
}

type Send = (msg: NodeMessage) => void;
type Done = (err?: Error) => void;

export function registerPublishNode(RED: NodeAPI): void {
  const t: Translate = (key, subs) => RED._(key, subs);

  function EventsPublishNode(this: PublishNode, def: PublishDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const lookup = findEndpoint(RED, def.endpoint);
    if (!lookup.ok) {
      refuseEveryMessage(node, lookup.error);
      return;
    }
    const { endpoint: endpointNode, connection } = lookup;
    if (endpointNode.outboxError) return refuseEveryMessage(node, endpointNode.outboxError);
    // The node's own authorizer, resolved once: config nodes start before flow nodes, and a change to the authorizer
    // restarts this node. One that cannot be used refuses every message with the reason.
    let authorizer: Authorizer | undefined;
    try {
      authorizer = def.authorizer ? endpointNode.authorizer(def.authorizer) : undefined;
    } catch (err) {
      return refuseEveryMessage(node, err instanceof EventsError ? err : new EventsError({ errorType: 'InvalidConfiguration', message: String(err) }));
    }
    const show = statusSetter(node);
    const transport = chosen(PUBLISH_SETTINGS.transport, def.transport);
    const failures = new FailureReporter(node);
    const channelType = chosen(PUBLISH_SETTINGS.channelType, def.channelType);
    const channelValue = def.channel?.trim() ?? '';

    node.onConnectionState = (state) => {
      if (transport === 'websocket') show(connectionStatus(state, t));
      failures.onConnectionState(state, { topic: channelValue });
    };
    connection.register(node);

    const store = connection.store;
    const authorizerId = def.authorizer || undefined;
    // With the file store every publish is stored, carrying what a restart needs to finish it.
    const publish = (channel: string, events: readonly unknown[], messages: NodeMessageInFlow[]): Promise<PublishResult> =>
      connection.publish(channel, events, { transport, authorizer, origin: store && { node: node.id, authorizer: authorizerId, record: storedMessages(messages) } });

    const coalescer = def.coalesce ? new PublishCoalescer<NodeMessageInFlow>(publish, Number(def.coalesceMs) || PUBLISH_SETTINGS.coalesceMs.value) : undefined;

    store?.attach(node.id, { authorizerId, authorizer, replayed: (record, channel, outcome) => replayed(node, record, channel, outcome) });

    /** The event in its envelope: its id is kept with it in the file store, so every resend carries the same one. */
    const wrap = (channel: string, data: unknown): Envelope => ({ id: randomUUID(), src: endpointNode.sourceId, seq: endpointNode.sequences.next(channel), ts: Date.now(), channel, data });

    async function channelOf(msg: NodeMessageInFlow): Promise<string> {
      let value: unknown;
      if (channelType === 'str' && channelValue === '') value = msg.topic;
      else value = await evaluateProperty(RED, channelValue, channelType, node, msg);
      if (value === undefined || value === null || value === '') {
        throw new EventsError({ errorType: 'InvalidChannel', message: 'no channel: set one in the node, or send msg.topic' });
      }
      return parseChannel(value, 'publish').path;
    }

    async function handle(msg: NodeMessageInFlow, send: Send, done: Done): Promise<void> {
      if (await controlAction(msg, connection, send, done)) return;
      try {
        const channel = await channelOf(msg);
        if (msg.payload === undefined) throw new EventsError({ errorType: 'InvalidEvent', message: 'msg.payload is missing: there is nothing to publish' });
        const batch = Array.isArray(msg.payload);
        const given: readonly unknown[] = Array.isArray(msg.payload) ? msg.payload : [msg.payload];
        const events = def.envelope ? given.map((data) => wrap(channel, data)) : given;
        const started = Date.now();
        const pending = coalescer && !batch ? coalescer.add(channel, events[0], msg) : publish(channel, events, [msg]);
        if (store) {
          const queued = store.outbox.size;
          if (queued > 1 || connection.state.status !== 'connected') show({ fill: 'yellow', shape: 'ring', text: t('appsync.status.queued-disk', { count: queued }) });
        } else if (transport === 'websocket' && connection.state.status !== 'connected') {
          const queued = connection.webSocket().queuedPublishes;
          if (queued > 0) show({ fill: 'yellow', shape: 'ring', text: t('appsync.status.queued', { count: queued }) });
        }
        const result = await pending.catch((err: unknown) => {
          // Sent and refused as a whole (or not answered): every event counts as failed.
          connection.stats.onPublish(events.length, events.length, Date.now() - started);
          throw err;
        });
        connection.stats.onPublish(events.length, result.failed.length, Date.now() - started);
        const report: PublishReport = { ...result, status: publishStatus(result), channel };
        msg.publishResult = report;
        if (result.failed.length > 0) {
          const first = result.failed[0]!;
          throw new EventsError({
            errorType: String(first.code ?? 'PublishFailed'),
            message: `${result.failed.length} of ${events.length} events were not published (event ${first.index}: ${first.message ?? 'no message'}); msg.publishResult lists them`,
          });
        }
        show(transport === 'websocket' ? connectionStatus(connection.state, t) : {});
        send(msg);
        done();
      } catch (err) {
        // Closed before AppSync answered: the publish stays in the outbox file, and the next run sends it and replays
        // this message's output. Dropped by a full queue: the endpoint warns once per episode, not once per message.
        if (err instanceof EventsError && (err.errorType === 'StoredForLater' || err.errorType === 'Dropped')) return done();
        if (err instanceof EventsError) show({ fill: 'red', shape: 'ring', text: errorLabel(err) });
        done(toNodeError(err));
      }
    }

    node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => {
      void handle(msg, send, done);
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      void (async () => {
        await coalescer?.flush();
        store?.detach(node.id);
        await connection.deregister(node);
      })().finally(done);
    });
  }

  RED.nodes.registerType('events-publish', EventsPublishNode);
}

/**
 * The answer to a publish stored by a previous run (before a restart or a crash): its message (or each event's
 * message, when they were batched) goes out with `msg.publishResult` and `msg.appsync.replayed`, or to Catch.
 */
function replayed(node: Node, record: Record<string, unknown>, channel: string, outcome: PublishResult | EventsError): void {
  const meta = readStoredMessages(record);
  meta.messages.forEach((stored, index) => {
    const appsync: unknown = stored.appsync;
    const msg: NodeMessage = { ...stored, appsync: { ...(typeof appsync === 'object' && appsync !== null ? appsync : {}), replayed: true } };
    if (outcome instanceof EventsError) {
      node.error(toNodeError(outcome), msg);
      return;
    }
    const own = meta.perEvent ? resultForEvent(outcome, index) : outcome;
    const report: PublishReport = { ...own, status: publishStatus(own), channel };
    node.send({ ...msg, publishResult: report });
  });
}
