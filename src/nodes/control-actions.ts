import type { NodeMessage, NodeMessageInFlow } from 'node-red';
import type { EndpointConnection } from './endpoint-connection';
import { toNodeError } from './node-error';

/**
 * The `msg.action` values both flow nodes take, as the core MQTT nodes do: `connect`, `disconnect` and `getStats`.
 * Handles `msg` (and calls `done`) when it is one of them; returns false, having done nothing, when it is not.
 */
export async function controlAction(msg: NodeMessageInFlow, connection: EndpointConnection, send: (msg: NodeMessage) => void, done: (err?: Error) => void): Promise<boolean> {
  const action: unknown = msg.action;
  if (action !== 'getStats' && action !== 'connect' && action !== 'disconnect') return false;
  try {
    if (action === 'getStats') send({ topic: 'stats', payload: connection.report(), _msgid: msg._msgid });
    else if (action === 'connect') await connection.connect();
    else await connection.disconnect();
    done();
  } catch (err) {
    done(toNodeError(err));
  }
  return true;
}
