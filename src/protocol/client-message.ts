import { isJsonObject, type ClientMessage, type JsonObject } from './messages';

// The emulator's side of the boundary: what a client sends is checked by type here before the emulator
// uses it. A frame that fails is a refusal with a reason (and the id, when it had a string one).

export type ParsedClientMessage = { ok: true; message: ClientMessage } | { ok: false; reason: string; id?: string };

/** Keeps the string-valued entries of an object: header values of any other type count as absent. */
export function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isJsonObject(value)) return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

function str(o: JsonObject, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' ? v : undefined;
}

/** Parses one text frame from a client. */
export function parseClientMessage(text: string): ParsedClientMessage {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'frame is not JSON' };
  }
  if (!isJsonObject(o) || typeof o.type !== 'string') return { ok: false, reason: 'frame has no type' };
  const id = str(o, 'id');
  const authorization = isJsonObject(o.authorization) ? stringRecord(o.authorization) : undefined;
  switch (o.type) {
    case 'connection_init':
      return { ok: true, message: { type: 'connection_init' } };
    case 'subscribe': {
      const channel = str(o, 'channel');
      if (id === undefined || channel === undefined || authorization === undefined) return { ok: false, reason: 'subscribe needs id, channel and authorization', id };
      return { ok: true, message: { type: 'subscribe', id, channel, authorization } };
    }
    case 'unsubscribe':
      if (id === undefined) return { ok: false, reason: 'unsubscribe needs an id' };
      return { ok: true, message: { type: 'unsubscribe', id } };
    case 'publish': {
      const channel = str(o, 'channel');
      const events = o.events;
      if (id === undefined || channel === undefined || authorization === undefined || !Array.isArray(events))
        return { ok: false, reason: 'publish needs id, channel, events and authorization', id };
      const texts = events.filter((e): e is string => typeof e === 'string');
      if (texts.length !== events.length) return { ok: false, reason: 'every event must be a string', id };
      return { ok: true, message: { type: 'publish', id, channel, events: texts, authorization } };
    }
    default:
      return { ok: false, reason: 'unknown operation', id };
  }
}
