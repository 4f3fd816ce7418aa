import type { NodeMessageInFlow } from 'node-red';

/** What a stored publish keeps for its publish node: the message of each event (coalesced publishes), or the one message of the whole request. */
export type StoredMessages = {
  messages: Array<Record<string, unknown>>;
  perEvent: boolean;
};

/** Message properties that hold live objects (the HTTP in node's request and response) and are not stored. */
const LIVE_PROPERTIES = new Set(['req', 'res', '_msgid']);

/** A message as the outbox stores it: its JSON-serialisable properties (payload, topic and the rest). */
function storableMessage(msg: NodeMessageInFlow): Record<string, unknown> {
  try {
    const text = JSON.stringify(msg, (key, value: unknown) => (LIVE_PROPERTIES.has(key) ? undefined : value));
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? { ...parsed } : {};
  } catch {
    // A circular or BigInt property: keep what the publish itself needs.
    return { payload: msg.payload, topic: msg.topic };
  }
}

/** What a publish of these messages keeps in the outbox, for the replay of its output after a restart. */
export function storedMessages(messages: readonly NodeMessageInFlow[]): StoredMessages {
  return { messages: messages.map(storableMessage), perEvent: messages.length > 1 };
}

/** The messages of a stored publish as read back from the outbox file (written by `storedMessages`, checked all the same). */
export function readStoredMessages(record: Record<string, unknown>): StoredMessages {
  const messages = Array.isArray(record.messages) ? record.messages.filter((m): m is Record<string, unknown> => typeof m === 'object' && m !== null && !Array.isArray(m)) : [];
  return { messages, perEvent: record.perEvent === true };
}
