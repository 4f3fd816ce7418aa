import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { parseChannel } from '../protocol/channel';
import { EventsError } from '../protocol/errors';
import { publishStatus, type PublishResult, type PublishStatus } from '../protocol/publish-result';
import type { ConnectionState } from '../client/connection-state';
import { evaluateProperty } from './evaluate';
import { findEndpoint, refuseEveryMessage } from './endpoint-lookup';
import { errorLabel, toNodeError } from './node-error';
import { connectionStatus, statusSetter, type Translate } from './status';
import { FailureReporter } from './user-status';
import { PublishCoalescer } from './publish-coalescer';
import { controlAction } from './control-actions';

export interface PublishDef extends NodeDef {
  endpoint: string;
  channel?: string;
  channelType?: 'str' | 'msg' | 'flow' | 'global' | 'env';
  transport?: 'websocket' | 'http';
  authorizer?: string;
  /** Merge single-event messages that arrive within `coalesceMs` into batches of up to 5. */
  coalesce?: boolean;
  coalesceMs?: number | string;
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
    const show = statusSetter(node);
    const transport = def.transport === 'http' ? 'http' : 'websocket';
    const failures = new FailureReporter(node);
    const channelType = def.channelType ?? 'str';
    const channelValue = def.channel?.trim() ?? '';

    node.onConnectionState = (state) => {
      if (transport === 'websocket') show(connectionStatus(state, t));
      failures.onConnectionState(state, { topic: channelValue });
    };
    connection.register(node);

    const authorizer = def.authorizer ? endpointNode.lazyAuthorizer(def.authorizer) : undefined;

    const publish = (channel: string, events: readonly unknown[]): Promise<PublishResult> =>
      transport === 'http'
        ? connection.rest().publish(channel, events, { authorizer })
        : connection.webSocket().publish(channel, events, { authorizer });

    const coalescer = def.coalesce ? new PublishCoalescer(publish, Number(def.coalesceMs) || 10) : undefined;

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
        const events: readonly unknown[] = batch ? (msg.payload as unknown[]) : [msg.payload];
        const started = Date.now();
        const pending = coalescer && !batch ? coalescer.add(channel, msg.payload) : publish(channel, events);
        if (transport === 'websocket' && connection.state.status !== 'connected') {
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
        await connection.deregister(node);
      })().finally(done);
    });
  }

  RED.nodes.registerType('events-publish', EventsPublishNode);
}
