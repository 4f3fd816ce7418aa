import type { NodeAPI } from 'node-red';
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { parseChannel } from '../protocol/channel';
import { EventsError } from '../protocol/errors';
import type { EndpointDef } from './endpoint-node';
import type { PresenceSettings } from './endpoint-presence';

/**
 * The gateway's name when `sourceId` is blank: the host name and a digest of the Node-RED user directory, so it stays
 * the same across restarts and differs between two Node-RED instances on one host.
 */
export function defaultSourceId(RED: NodeAPI): string {
  const userDir: unknown = Reflect.get(RED.settings, 'userDir');
  const digest = createHash('sha256').update(typeof userDir === 'string' ? userDir : '').digest('hex').slice(0, 8);
  return `${hostname()}-${digest}`;
}

function presenceEvent(text: string | undefined, sourceId: string, status: 'online' | 'offline', setting: string): unknown {
  if (!text?.trim()) return { src: sourceId, status };
  try {
    return JSON.parse(text);
  } catch {
    throw new EventsError({ errorType: 'InvalidConfiguration', message: `the endpoint's ${setting} is not JSON` });
  }
}

function presenceMessage(channel: string | undefined, text: string | undefined, sourceId: string, status: 'online' | 'offline', setting: string) {
  if (!channel?.trim()) return undefined;
  return { channel: parseChannel(channel.trim(), 'publish').path, event: presenceEvent(text, sourceId, status, setting) };
}

/** The birth and close messages of an endpoint; undefined when it sends neither. Throws on a bad channel or payload. */
export function presenceMessages(def: EndpointDef, sourceId: string): Pick<PresenceSettings, 'birth' | 'close'> | undefined {
  const birth = presenceMessage(def.birthChannel, def.birthPayload, sourceId, 'online', 'birth message');
  const close = presenceMessage(def.closeChannel, def.closePayload, sourceId, 'offline', 'close message');
  return birth || close ? { birth, close } : undefined;
}
