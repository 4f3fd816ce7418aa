import { randomBytes } from 'node:crypto';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { ConnectionState, SubscriptionState } from '../client/connection-state';
import { parseChannel } from '../protocol/channel';
import { isJsonObject } from '../protocol/messages';
import { receivedEventProblem } from '../protocol/received-event';
import { isEnvelope, type Envelope } from '../protocol/envelope';
import { EnvelopeReceiver } from './envelope-receiver';
import { EventsError } from '../protocol/errors';
import type { ChannelHandle, ChannelListener } from './endpoint-connection';
import { evaluateProperty } from './evaluate';
import { findEndpoint, refuseEveryMessage } from './endpoint-lookup';
import { errorLabel, toNodeError } from './node-error';
import { statusSetter, subscriptionStatus, type Translate } from './status';
import { FailureReporter } from './user-status';
import { SubscriptionSignals } from './subscription-signals';
import { controlAction } from './control-actions';
import { awaitAtMost, isLimit } from '../client/time-limit';
import type { SUBSCRIBE_SETTINGS } from '../editor/node-settings';
import type { SettingValues } from '../editor/setting-rule';

/**
 * An events-subscribe as a flow saves it (src/editor/node-settings.ts). A blank channel is dynamic mode, driven by
 * `msg.action`; `topicProperty` names the event property a channel-namespace handler stamped the channel on
 * (examples/handlers/stamp-channel.js), since a `data` frame names only the subscription.
 */
export interface SubscribeDef extends NodeDef, Omit<SettingValues<typeof SUBSCRIBE_SETTINGS>, 'name' | 'endpoint'> {
  endpoint: string;
}

interface SubscribeNode extends Node {
  onConnectionState(state: ConnectionState): void;
}

type Send = (msg: NodeMessage) => void;
type Done = (err?: Error) => void;

export function registerSubscribeNode(RED: NodeAPI): void {
  const t: Translate = (key, subs) => RED._(key, subs);

  function EventsSubscribeNode(this: SubscribeNode, def: SubscribeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const lookup = findEndpoint(RED, def.endpoint);
    if (!lookup.ok) {
      refuseEveryMessage(node, lookup.error);
      node.error(toNodeError(lookup.error), {});
      return;
    }
    const { endpoint: endpointNode, connection } = lookup;
    const parse = def.output !== 'string';
    const handles = new Map<string, ChannelHandle>();
    const signals = def.stateOutput ? new SubscriptionSignals() : undefined;
    const sendSignal = (channel: string, state: SubscriptionState) => {
      const payload = signals?.signal(channel, state);
      if (payload) node.send([null, { topic: 'state', payload, _msgid: nextMessageId() }]);
    };
    const failures = new FailureReporter(node);
    const staticChannel = def.channel?.trim() ?? '';
    const topicProperty = def.topicProperty?.trim() ?? '';
    /** The stamped channel when the event carries one as a string, else the subscribed channel. */
    const topicOf = (payload: unknown, channel: string): string => {
      const stamped = topicProperty && isJsonObject(payload) ? payload[topicProperty] : undefined;
      return typeof stamped === 'string' ? stamped : channel;
    };

    const show = statusSetter(node);
    const refreshStatus = () => show(subscriptionStatus(connection.state, [...handles.values()].map((h) => h.state), t, connection.connectionCount));
    node.onConnectionState = (state) => {
      refreshStatus();
      failures.onConnectionState(state, { topic: staticChannel || undefined });
    };

    // Node-RED would draw each _msgid from crypto.randomBytes; a random per-node prefix and a counter give
    // ids of the same shape, unique in this process, for a fraction of the cost at high event rates.
    const idPrefix = randomBytes(4).toString('hex');
    let idCounter = 0;
    const nextMessageId = () => idPrefix + (idCounter++ >>> 0).toString(16).padStart(8, '0');

    // An event that cannot become a message goes to Catch on this node; the next one is delivered as usual.
    const refuseEvent = (channel: string, why: string, errorType = 'InvalidEvent') =>
      node.error(toNodeError(new EventsError({ errorType, message: `an event on ${channel} was not delivered: ${why}` })), { topic: channel });

    const envelopes = new EnvelopeReceiver();
    /** An envelope's event: its data, its real channel as the topic; a repeat is dropped, a gap counted. */
    const deliverEnvelope = (envelope: Envelope, subscribed: string) => {
      const verdict = envelopes.receive(envelope);
      if (verdict.repeat) return connection.stats.onRepeatDropped();
      const { id, src, seq, ts, channel, data } = envelope;
      node.send({ payload: data, topic: channel, appsync: { channel: subscribed, receivedAt: Date.now(), id, src, seq, ts, gap: verdict.gap }, _msgid: nextMessageId() });
      if (verdict.gap > 0 && signals) node.send([null, { topic: 'state', payload: { state: 'gap', channel, src, missed: verdict.gap }, _msgid: nextMessageId() }]);
    };

    const listener: ChannelListener = {
      onEvent(event, channel) {
        const problem = receivedEventProblem(event, parse);
        if (problem) return refuseEvent(channel, problem);
        let payload: unknown = event;
        if (parse) {
          try {
            payload = JSON.parse(event);
          } catch {
            return refuseEvent(channel, 'it is not valid JSON', 'ProtocolError');
          }
        }
        try {
          if (isEnvelope(payload)) return deliverEnvelope(payload, channel);
          node.send({ payload, topic: topicOf(payload, channel), appsync: { channel, receivedAt: Date.now() }, _msgid: nextMessageId() });
        } catch (err) {
          refuseEvent(channel, err instanceof Error ? err.message : 'Node-RED could not send it');
        }
      },
      onState(state, channel) {
        refreshStatus();
        sendSignal(channel, state);
      },
      onError(error, channel) {
        failures.report(error, { topic: channel });
      },
    };

    const authorizer = def.authorizer ? { key: def.authorizer, authorizer: endpointNode.lazyAuthorizer(def.authorizer) } : undefined;

    const isLive = (h: ChannelHandle) => h.state.status !== 'failed' && h.state.status !== 'closed';
    /** The channels this node listens to now (a refused one is over: it is not listed). */
    const liveChannels = () => [...handles.values()].filter(isLive).map((h) => h.channel);

    function subscribe(path: string): ChannelHandle {
      const existing = handles.get(path);
      if (existing && isLive(existing)) return existing;
      const handle = connection.listen(node.id, path, listener, authorizer);
      handles.set(path, handle);
      refreshStatus();
      // Joining a subscription another node already made: it is live for this node from now on.
      if (handle.state.status === 'subscribed') sendSignal(path, handle.state);
      return handle;
    }

    async function unsubscribe(channel: string): Promise<void> {
      const handle = handles.get(channel);
      handles.delete(channel);
      await handle?.release();
      // This node stopped listening before the server answered: it says so itself.
      if (handle) sendSignal(channel, { status: 'closed' });
      refreshStatus();
    }

    connection.register(node);

    if (staticChannel) {
      void (async () => {
        try {
          const channel = def.channelType === 'env' ? await evaluateProperty(RED, staticChannel, 'env', node, {}) : staticChannel;
          subscribe(parseChannel(channel, 'subscribe').path);
        } catch (err) {
          show({ fill: 'red', shape: 'ring', text: err instanceof EventsError ? errorLabel(err) : 'error' });
          node.error(toNodeError(err), { topic: staticChannel });
        }
      })();
    }

    /**
     * The channels a `msg.topic` names: one channel, or an array of channels or `{ topic }` objects (as the core
     * MQTT node takes). Every one is checked before any is used: one invalid channel fails the whole message and
     * subscribes (or unsubscribes) nothing.
     */
    function channelsOf(value: unknown): string[] {
      const list: unknown[] = Array.isArray(value) ? value : [value];
      if (list.length === 0) throw new EventsError({ errorType: 'InvalidChannel', message: 'msg.topic must name the channel(s)' });
      return list.map((v) => parseChannel(isJsonObject(v) && 'topic' in v ? v.topic : v, 'subscribe').path);
    }

    async function handle(msg: NodeMessageInFlow, send: Send, done: Done): Promise<void> {
      if (await controlAction(msg, connection, send, done)) return;
      try {
        switch (msg.action) {
          case 'subscribe': {
            const started = channelsOf(msg.topic).map(subscribe);
            // Waits for the acknowledgements up to the endpoint's request timeout (15 s when it has none, so that the
            // message is not held for good); a subscription still pending then keeps trying.
            const waitMs = isLimit(endpointNode.requestTimeoutMs) ? endpointNode.requestTimeoutMs : 15_000;
            await awaitAtMost(Promise.all(started.map((h) => h.ready)), waitMs);
            msg.subscriptions = liveChannels();
            done();
            return;
          }
          case 'unsubscribe': {
            const topic: unknown = msg.topic;
            const channels = topic === true || topic === undefined ? [...handles.keys()] : channelsOf(topic);
            await Promise.all(channels.map(unsubscribe));
            msg.subscriptions = liveChannels();
            done();
            return;
          }
          case 'getSubscriptions':
            send({
              topic: 'subscriptions',
              payload: [...handles.values()].map((h) => ({ channel: h.channel, state: h.state.status, ...(h.state.status === 'failed' ? { error: h.state.error.message } : {}) })),
              _msgid: msg._msgid,
            });
            done();
            return;
          default:
            throw new EventsError({
              errorType: 'InvalidConfiguration',
              message: `unknown msg.action ${describeAction(msg.action)}: use subscribe, unsubscribe, getSubscriptions, getStats, connect or disconnect${staticChannel ? ' (and clear the channel in the node settings)' : ''}`,
            });
        }
      } catch (err) {
        done(toNodeError(err));
      }
    }

    node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => {
      void handle(msg, send, done);
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      handles.clear();
      // Deregistering releases this node's channels: the last listener of each unsubscribes.
      void connection.deregister(node).finally(done);
    });
  }

  RED.nodes.registerType('events-subscribe', EventsSubscribeNode);
}

/** The unknown action as the user can recognise it, without calling a foreign object's toString. */
function describeAction(action: unknown): string {
  if (typeof action === 'string') return `"${action.slice(0, 50)}"`;
  if (typeof action === 'number' || typeof action === 'boolean') return String(action);
  return action === null ? 'null' : `(${Array.isArray(action) ? 'an array' : `a ${typeof action}`})`;
}
