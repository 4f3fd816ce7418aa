import { MAX_EVENT_DEPTH, MAX_RECEIVED_EVENT_CHARS } from './limits';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

/**
 * True when the JSON text nests arrays and objects deeper than `max`, found by one scan of the text before it
 * is parsed (MAX_EVENT_DEPTH says why the nodes need this). Each level takes at least two characters, so
 * shorter texts are not scanned at all: the common small event costs one comparison.
 */
export function nestedDeeperThan(text: string, max = MAX_EVENT_DEPTH): boolean {
  if (text.length <= 2 * max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) depth--;
  }
  return false;
}

/**
 * Why an event from the service cannot become a Node-RED message, or undefined when it can: larger than the
 * nodes take, or (when it will be parsed) nested deeper than Node-RED can clone.
 */
export function receivedEventProblem(text: string, parsed: boolean): string | undefined {
  if (text.length > MAX_RECEIVED_EVENT_CHARS) return `it is ${text.length} characters long; the nodes take events up to ${MAX_RECEIVED_EVENT_CHARS}`;
  if (parsed && nestedDeeperThan(text)) return `it is nested more than ${MAX_EVENT_DEPTH} levels deep, more than Node-RED can copy between nodes`;
  return undefined;
}
