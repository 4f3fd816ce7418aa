import { randomUUID } from 'node:crypto';
import { parseChannel, type ParsedChannel } from '../protocol/channel';
import { MAX_EVENTS_PER_REQUEST, MAX_EVENT_BYTES } from '../protocol/limits';
import type { FailedEvent, ServiceErrorEntry, SuccessfulEvent } from '../protocol/messages';
import { handlerContext, type HandlerContext } from './code-handlers';
import type { AuthMode, Namespace, Namespaces } from './namespaces';

export type PublishCheck =
  | { ok: true; channel: ParsedChannel; successful: SuccessfulEvent[]; failed: FailedEvent[]; delivered: string[]; dropped: number }
  | { ok: false; status: number; error: ServiceErrorEntry };

/** The errors whose wording differs between the transports. */
export interface TransportErrors {
  tooManyEvents: ServiceErrorEntry;
  throttled: ServiceErrorEntry;
}

// HTTP says BadRequestException/"Input …", WebSocket InvalidInputError/"input …" (KT integration tests).
// Throttling was never observed (protocol.md §2.4, UNCERTAIN): HTTP answers as AppSync's other APIs do,
// WebSocket with the errorType the Kotlin client maps to its rate-limit exception.
export const HTTP_ERRORS: TransportErrors = {
  tooManyEvents: { errorType: 'BadRequestException', message: 'Input exceeded 5 event limit' },
  throttled: { errorType: 'TooManyRequestsException', message: 'Rate exceeded' },
};
export const WEBSOCKET_ERRORS: TransportErrors = {
  tooManyEvents: { errorType: 'InvalidInputError', message: 'input exceeded 5 event limit' },
  throttled: { errorType: 'LimitExceededError', message: 'Rate exceeded' },
};

/**
 * The size of an event as the emulator counts it: the UTF-8 bytes of its compact form. A client may send
 * non-ASCII characters as \uXXXX (for an IAM signature, encoding.ts), which makes the text longer but not the
 * event: how the service counts is not documented (protocol.md §6, UNCERTAIN), and this is the reading that
 * refuses the least. Only a text over the limit is re-serialised to find out.
 */
function eventBytes(text: string, value: unknown): number {
  const raw = Buffer.byteLength(text, 'utf8');
  return raw <= MAX_EVENT_BYTES ? raw : Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/** Who publishes: the modes their credential satisfies and the identity a handler sees (auth.ts). */
export interface Publisher {
  modes: readonly AuthMode[];
  identity: unknown;
}

/**
 * Checks a publish request (either transport) as the service does, then runs the namespace's `onPublish` handler
 * ("after the incoming request is authorized", D-HANDLERS); `throttled` is asked only for valid ones.
 */
export function checkPublish(channelText: string, eventTexts: readonly string[], namespaces: Namespaces, publisher: Publisher, errors: TransportErrors, throttled: () => boolean): PublishCheck {
  let channel: ParsedChannel;
  try {
    channel = parseChannel(channelText, 'publish');
  } catch {
    return { ok: false, status: 400, error: { errorType: 'BadRequestException', message: 'Invalid Channel Format' } };
  }
  // An undefined namespace is refused as unauthorized, without a message (KT testPublishToNonConfiguredChannel).
  const namespace = namespaces.get(channel.namespace);
  if (!namespace) return { ok: false, status: 401, error: { errorType: 'UnauthorizedException' } };
  // A mode the namespace does not allow: UnauthorizedException, probably 403 (protocol.md §2.4, UNCERTAIN).
  if (!namespace.allows('publish', publisher.modes)) return { ok: false, status: 403, error: { errorType: 'UnauthorizedException', message: 'You are not authorized to make this call.' } };
  if (eventTexts.length > MAX_EVENTS_PER_REQUEST) return { ok: false, status: 400, error: errors.tooManyEvents };
  if (eventTexts.length === 0) return { ok: false, status: 400, error: { errorType: 'BadRequestException', message: 'Input must contain at least one event' } };
  if (throttled()) return { ok: false, status: 429, error: errors.throttled };
  const successful: SuccessfulEvent[] = [];
  const failed: FailedEvent[] = [];
  const delivered: string[] = [];
  const values: Array<{ id: string; payload: unknown; index: number }> = [];
  eventTexts.forEach((text, index) => {
    const identifier = randomUUID();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      failed.push({ identifier, index, code: 'BadRequestException', message: 'Event is not a valid JSON value' });
      return;
    }
    if (eventBytes(text, value) > MAX_EVENT_BYTES) {
      failed.push({ identifier, index, code: 'EventTooLargeException', message: 'Transformed event is larger than 240KB' });
      return;
    }
    successful.push({ identifier, index });
    delivered.push(text);
    values.push({ id: identifier, payload: value, index });
  });
  if (!namespace.handlers) return { ok: true, channel, successful, failed, delivered, dropped: 0 };
  return handled(namespace, channel, publisher, values, failed);
}

/** The publish as `onPublish` left it: transformed, filtered, single events failed, or refused as a whole (403, D-HANDLERS). */
function handled(namespace: Namespace, channel: ParsedChannel, publisher: Publisher, values: Array<{ id: string; payload: unknown; index: number }>, failed: FailedEvent[]): PublishCheck {
  const ctx: HandlerContext = { ...handlerContext(channel, namespace.name, 'PUBLISH', publisher.identity), events: values.map(({ id, payload }) => ({ id, payload })) };
  const outcome = namespace.handlers?.onPublish(ctx) ?? { ok: true, value: ctx.events ?? [] };
  if (!outcome.ok) return { ok: false, status: 403, error: outcome.error };
  const byId = new Map((outcome.value ?? []).map((e) => [e.id, e]));
  const successful: SuccessfulEvent[] = [];
  const delivered: string[] = [];
  for (const { id, index } of values) {
    const result = byId.get(id);
    if (result && 'error' in result) {
      failed.push({ identifier: id, index, code: 'CustomError', message: result.error });
      continue;
    }
    // An event the handler left out, or all of them after `null`, was accepted but is not broadcast.
    successful.push({ identifier: id, index });
    if (!result) continue;
    const text = JSON.stringify(result.payload) ?? 'null';
    if (Buffer.byteLength(text, 'utf8') > MAX_EVENT_BYTES) {
      successful.pop();
      failed.push({ identifier: id, index, code: 'EventTooLargeException', message: 'Transformed event is larger than 240KB' });
    } else delivered.push(text);
  }
  failed.sort((a, b) => a.index - b.index);
  return { ok: true, channel, successful, failed, delivered, dropped: values.length - delivered.length };
}
