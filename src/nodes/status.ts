import type { ConnectionState, SubscriptionState } from '../client/connection-state';
import type { Node, NodeStatus } from 'node-red';
import { errorLabel } from './node-error';
import { NETWORK_SETUP_ERRORS } from '../client/network-errors';

export type Translate = (key: string, substitutions?: Record<string, string | number>) => string;

/** Status of a node that depends on the connection only: what the core MQTT nodes show, plus the attempt. */
export function connectionStatus(state: ConnectionState, t: Translate): NodeStatus {
  switch (state.status) {
    case 'idle':
      return {};
    case 'connecting':
      return { fill: 'yellow', shape: 'ring', text: t('appsync.status.connecting') };
    case 'connected':
      return { fill: 'green', shape: 'dot', text: t('appsync.status.connected') };
    case 'reconnecting':
      // A proxy or TLS problem says what it is while it is retried: "reconnecting" would hide what to change.
      if (state.error && NETWORK_SETUP_ERRORS.has(state.error.errorType)) return { fill: 'red', shape: 'ring', text: errorLabel(state.error) };
      return { fill: 'yellow', shape: 'ring', text: t('appsync.status.reconnecting', { attempt: state.attempt }) };
    case 'failed':
      return { fill: 'red', shape: 'ring', text: errorLabel(state.error) };
    case 'closed':
    case 'stopped':
      return { fill: 'red', shape: 'ring', text: t('appsync.status.disconnected') };
  }
}

/** Status of a subscribe node: the connection first, then its subscriptions. */
export function subscriptionStatus(connection: ConnectionState, subscriptions: readonly SubscriptionState[], t: Translate, connections = 1): NodeStatus {
  if (connection.status !== 'connected') return connectionStatus(connection, t);
  const failed = subscriptions.find((s): s is Extract<SubscriptionState, { status: 'failed' }> => s.status === 'failed');
  if (failed) return { fill: 'red', shape: 'ring', text: errorLabel(failed.error) };
  if (subscriptions.some((s) => s.status === 'pending')) return { fill: 'yellow', shape: 'ring', text: t('appsync.status.subscribing') };
  const live = subscriptions.filter((s) => s.status === 'subscribed').length;
  if (live === 0) return { fill: 'green', shape: 'ring', text: t('appsync.status.connected') };
  const text = live === 1 ? t('appsync.status.subscribed') : t('appsync.status.subscribed-n', { count: live });
  // Beyond one connection's quota the endpoint's pool holds the subscriptions on several (connection-pool.ts).
  return { fill: 'green', shape: 'dot', text: connections > 1 ? t('appsync.status.on-connections', { text, count: connections }) : text };
}

/**
 * A status setter that passes on changes only: every status goes to the editor, and a publish node that
 * handles thousands of messages a second must not send thousands of identical ones.
 */
export function statusSetter(node: Node): (status: NodeStatus) => void {
  let last = '';
  return (status) => {
    const key = `${status.fill ?? ''}|${status.shape ?? ''}|${status.text ?? ''}`;
    if (key === last) return;
    last = key;
    node.status(status);
  };
}
