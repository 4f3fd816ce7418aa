import { EventsError } from './errors';

// Channel naming rule (D-WS, D-NS; protocol.md §3.2 and §5): 1–5 segments of 1–50 characters
// [A-Za-z0-9-], not starting or ending with '-', optional leading and trailing '/'.
const SEGMENT = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,48}[A-Za-z0-9])?$/;

/** Whether `text` is one channel segment, as a namespace name is too: 1-50 letters, digits or dashes, not starting or ending with a dash. */
export function isChannelSegment(text: string): boolean {
  return SEGMENT.test(text);
}
const MAX_SEGMENTS = 5;

export type ChannelUse = 'publish' | 'subscribe';

export interface ParsedChannel {
  /** Normalised form sent on the wire: leading '/', no trailing '/', e.g. `/default/room/*`. */
  path: string;
  segments: string[];
  namespace: string;
  wildcard: boolean;
}

function invalid(channel: string, why: string): EventsError {
  return new EventsError({ errorType: 'InvalidChannel', message: `invalid channel "${channel}": ${why}` });
}

/**
 * Validates a channel for publishing or subscribing and returns its normalised form.
 * A wildcard is allowed only as the whole last segment of a subscription (`/default/*`).
 * Whether `*` counts toward the five segments is not documented (protocol.md §5, UNCERTAIN); we count it,
 * the stricter reading, so that we never send a channel the service could refuse.
 */
export function parseChannel(channel: unknown, use: ChannelUse): ParsedChannel {
  if (typeof channel !== 'string') {
    throw new EventsError({ errorType: 'InvalidChannel', message: `a channel must be a string, not ${describeType(channel)}` });
  }
  const trimmed = channel.replace(/^\//, '').replace(/\/$/, '');
  if (trimmed === '') throw invalid(channel, 'it is empty');
  const segments = trimmed.split('/');
  const wildcard = segments[segments.length - 1] === '*';
  if (wildcard && use === 'publish') throw invalid(channel, 'a wildcard channel can be subscribed to, not published to');
  if (wildcard && segments.length < 2) throw invalid(channel, 'a wildcard must follow the namespace, as in "default/*"');
  if (segments.length > MAX_SEGMENTS) throw invalid(channel, `it has ${segments.length} segments, at most ${MAX_SEGMENTS} are allowed`);
  const named = wildcard ? segments.slice(0, -1) : segments;
  for (const s of named) {
    if (s === '*') throw invalid(channel, 'a wildcard may only be the last segment');
    if (!SEGMENT.test(s)) {
      throw invalid(
        channel,
        s.length > 50
          ? `segment "${s.slice(0, 20)}…" is longer than 50 characters`
          : `segment "${s}" must be 1-50 letters, digits or dashes, not starting or ending with a dash`,
      );
    }
  }
  return { path: `/${segments.join('/')}`, segments, namespace: segments[0]!, wildcard };
}

/** Names a value's type without calling its toString, which a foreign object can make throw. */
function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Why `channel` cannot be used, in the words of the runtime's InvalidChannel error, or undefined when it can.
 * The editor runs this same code (bundled by build.mjs into resources/channel-rule.js) to flag a channel as the
 * user types it.
 */
export function channelProblem(channel: string, use: ChannelUse): string | undefined {
  try {
    parseChannel(channel, use);
    return undefined;
  } catch (err) {
    return err instanceof EventsError ? err.message.slice(err.errorType.length + 2) : 'invalid channel';
  }
}
