import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import { EventsError } from '../protocol/errors';
import type { EndpointConnection } from './endpoint-connection';
import type { EndpointNode } from './endpoint-node';
import { errorLabel, toNodeError } from './node-error';

export type EndpointLookup = { ok: true; endpoint: EndpointNode; connection: EndpointConnection } | { ok: false; error: EventsError };

/** The endpoint config node a flow node points at, or why it cannot be used. */
export function findEndpoint(RED: NodeAPI, id: string): EndpointLookup {
  const endpoint = id ? (RED.nodes.getNode(id) as EndpointNode | null) : null;
  if (!endpoint) {
    return { ok: false, error: new EventsError({ errorType: 'InvalidConfiguration', message: 'no endpoint is selected: choose an events-endpoint in the node settings' }) };
  }
  if (endpoint.configError || !endpoint.connection) {
    return { ok: false, error: endpoint.configError ?? new EventsError({ errorType: 'InvalidConfiguration', message: 'the endpoint is not usable' }) };
  }
  return { ok: true, endpoint, connection: endpoint.connection };
}

/** A node that cannot work shows why, and answers every message with that error (a Catch node sees it). */
export function refuseEveryMessage(node: Node, error: EventsError): void {
  node.status({ fill: 'red', shape: 'ring', text: errorLabel(error) });
  node.on('input', (_msg: NodeMessageInFlow, _send: unknown, done: (err?: Error) => void) => done(toNodeError(error)));
}
