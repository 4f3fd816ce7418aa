import { isJsonObject } from '../protocol/messages';

/** A request body as a JSON object, or undefined: the one parse of the emulator's routes. */
export function jsonObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return isJsonObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
