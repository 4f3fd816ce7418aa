import type { NodeMessage, NodeMessageInFlow } from 'node-red';
import type { EndpointConnection } from './endpoint-connection';
import { toNodeError } from './node-error';

/**
 * The `msg.action` values both flow nodes take, as the core MQTT nodes do: `connect`, `disconnect` and `getStats`.
 * Returns undefined when `msg` is not one of them, null when it was handled, or the Error for `done`.
 */
export async function controlAction(msg: NodeMessageInFlow, connection: EndpointConnection, send: (msg: NodeMessage) => void): Promise<Error | null | undefined> {
  try {
    switch (msg.action) {
      case 'getStats':
        send({ topic: 'stats', payload: connection.report(), _msgid: msg._msgid });
        return null;
      case 'connect':
        await connection.connect();
        return null;
      case 'disconnect':
        await connection.disconnect();
        return null;
      default:
        return undefined;
    }
  } catch (err) {
    return toNodeError(err);
  }
}
