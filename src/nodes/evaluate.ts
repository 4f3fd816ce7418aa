import type { Node, NodeAPI, NodeMessage } from 'node-red';
import { EventsError } from '../protocol/errors';

/** `RED.util.evaluateNodeProperty` as a promise; the callback form is required for async context stores and JSONata. */
export function evaluateProperty(RED: NodeAPI, value: string, type: string, node: Node, msg: NodeMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    RED.util.evaluateNodeProperty(value, type, node, msg, (err: Error | null, result: unknown) => (err ? reject(err) : resolve(result)));
  });
}

/** Reads a flow or global context value with the callback form, which works with every context store. */
export function readContext(node: Node, scope: 'flow' | 'global', key: string): Promise<unknown> {
  // A config node defined for all flows has no flow context (Node-RED defines `flow` only for nodes on a tab).
  const store = node.context()[scope] as ReturnType<Node['context']>['flow'] | undefined;
  if (!store) {
    return Promise.reject(
      new EventsError({ errorType: 'InvalidConfiguration', message: `there is no ${scope} context here: put the authorizer on the flow (its "On flow" setting) or use global context` }),
    );
  }
  return new Promise((resolve, reject) => {
    store.get(key, (err: Error, value: unknown) => (err ? reject(err) : resolve(value)));
  });
}
