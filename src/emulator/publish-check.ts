import { randomUUID } from 'node:crypto';
import { parseChannel, type ParsedChannel } from '../protocol/channel';
import { MAX_EVENTS_PER_REQUEST, MAX_EVENT_BYTES } from '../protocol/limits';
import type { FailedEvent, ServiceErrorEntry, SuccessfulEvent } from '../protocol/messages';

export type PublishCheck =
  | { ok: true; channel: ParsedChannel; successful: SuccessfulEvent[]; failed: FailedEvent[]; delivered: string[] }
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

/** Checks a publish request (either transport) as the service does; `throttled` is asked only for valid ones. */
export function checkPublish(channelText: string, eventTexts: readonly string[], namespaces: ReadonlySet<string>, errors: TransportErrors, throttled: () => boolean): PublishCheck {
  let channel: ParsedChannel;
  try {
    channel = parseChannel(channelText, 'publish');
  } catch {
    return { ok: false, status: 400, error: { errorType: 'BadRequestException', message: 'Invalid Channel Format' } };
  }
  // An undefined namespace is refused as unauthorized, without a message (KT testPublishToNonConfiguredChannel).
  if (!namespaces.has(channel.namespace)) return { ok: false, status: 401, error: { errorType: 'UnauthorizedException' } };
  if (eventTexts.length > MAX_EVENTS_PER_REQUEST) return { ok: false, status: 400, error: errors.tooManyEvents };
  if (eventTexts.length === 0) return { ok: false, status: 400, error: { errorType: 'BadRequestException', message: 'Input must contain at least one event' } };
  if (throttled()) return { ok: false, status: 429, error: errors.throttled };
  const successful: SuccessfulEvent[] = [];
  const failed: FailedEvent[] = [];
  const delivered: string[] = [];
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
  });
  return { ok: true, channel, successful, failed, delivered };
}
