import type { Node, NodeAPI, NodeMessage } from 'node-red';

/** `RED.util.evaluateNodeProperty` as a promise; the callback form is required for async context stores and JSONata. */
export function evaluateProperty(RED: NodeAPI, value: string, type: string, node: Node, msg: NodeMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    RED.util.evaluateNodeProperty(value, type, node, msg, (err: Error | null, result: unknown) => (err ? reject(err) : resolve(result)));
  });
}

/** Reads a flow or global context value with the callback form, which works with every context store. */
export function readContext(node: Node, scope: 'flow' | 'global', key: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    node.context()[scope].get(key, (err: Error, value: unknown) => (err ? reject(err) : resolve(value)));
  });
}
