import { isJsonObject, type ServiceErrorEntry } from './messages';
import { accountsForEvery, type PublishResult } from './publish-result';
import { failedEvents, successfulEvents } from './server-message';
import { sanitiseErrors } from './service-errors';

// The answers of `POST /event` (D-PUBHTTP, protocol.md §2.3–2.4), checked as the WebSocket frames are.

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** A 2xx answer: the result of each of the `count` events, or why the answer cannot be used. */
export function parsePublishAnswer(body: string, count: number): PublishResult | { invalid: string } {
  const o = parseJson(body);
  if (!isJsonObject(o)) return { invalid: 'the publish answer is not a JSON object' };
  const successful = successfulEvents(o.successful);
  const failed = failedEvents(o.failed);
  if (!successful || !failed) return { invalid: 'the publish answer has no valid successful and failed lists' };
  const result = { successful, failed };
  if (!accountsForEvery(result, count)) return { invalid: `the publish answer does not account for each of the ${count} events exactly once` };
  return result;
}

/** The `errors` of an error answer; none when the body is not the service's error shape. */
export function parseErrorAnswer(body: string): ServiceErrorEntry[] {
  const o = parseJson(body);
  return isJsonObject(o) ? sanitiseErrors(o.errors) : [];
}
