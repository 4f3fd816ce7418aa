import type { ServerMessage } from './messages';

/** The text of one frame from the service (the emulator's side). */
export function encodeServerMessage(message: ServerMessage): string {
  return JSON.stringify(message);
}

/**
 * Frames of one event for many subscriptions: the event is quoted once, each frame differs only by its
 * subscription id. Each result equals `encodeServerMessage({ type: 'data', id, event })`.
 */
export function dataFrames(event: string): (id: string) => string {
  const tail = `,"event":${JSON.stringify(event)}}`;
  return (id) => `{"type":"data","id":${JSON.stringify(id)}${tail}`;
}
