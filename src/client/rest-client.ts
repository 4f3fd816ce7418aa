import { encodeEvents, type EncodedEvents } from '../protocol/encoding';
import type { Endpoints } from '../protocol/endpoint';
import { EventsError, fromServiceErrors } from '../protocol/errors';
import { parseErrorAnswer, parsePublishAnswer } from '../protocol/http-answer';
import { MAX_SERVER_FRAME_BYTES } from '../protocol/limits';
import type { PublishResult } from '../protocol/publish-result';
import { publishSigningBody } from '../protocol/signing-body';
import type { Authorizer } from './authorizer';
import { renewalFor, type AuthorizedAttempt } from './refusal-renewal';
import { fullJitterDelay } from './backoff';
import { publishInChunks } from './chunked-publish';
import { PublishChannels } from './publish-channels';
import { networkSecrets, routeFor, warnIfUnverified, type NetworkSettings, type Route } from './network';
import { postText, type HttpAnswer } from './http-post';
import { Pacer } from './pacer';
import { isThrottled, throttleBackoffMs } from './throttling';
import { silentLogger, type Logger } from './logger';
import { SecretScrubber } from './redact';
import { timerDelay } from './time-limit';

export interface RestClientOptions {
  logger?: Logger;
  /** Per request. */
  requestTimeoutMs?: number;
  /** Retries on 5xx and network errors; never on other 4xx. Throttling (429) is retried until the publish goes through. */
  maxRetries?: number;
  /** Publish requests per second (0, the default: no pacing); requests beyond it wait their turn, in order. */
  publishRate?: number;
  /** Backoff between retries of 5xx and network errors (throttling waits as throttling.ts says, over both transports). */
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /** TLS settings and a proxy for the HTTP endpoint (see network.ts). */
  network?: NetworkSettings;
  random?: () => number;
}

/** Publishes over `POST /event` on a keep-alive connection pool. */
export class EventsRestClient {
  readonly endpoints: Endpoints;
  readonly #authorizer: Authorizer;
  readonly #route: Route;
  readonly #scrubber = new SecretScrubber();
  readonly #log: Logger;
  readonly #requestTimeoutMs: number;
  readonly #maxRetries: number;
  readonly #retryBaseDelayMs: number;
  readonly #retryMaxDelayMs: number;
  readonly #random: (() => number) | undefined;
  readonly #publishChannels = new PublishChannels();
  readonly #pacer: Pacer;

  constructor(endpoints: Endpoints, authorizer: Authorizer, options: RestClientOptions = {}) {
    this.endpoints = endpoints;
    this.#authorizer = authorizer;
    this.#route = routeFor(endpoints.httpUrl, options.network);
    this.#log = this.#scrubber.logger(options.logger ?? silentLogger);
    for (const secret of networkSecrets(options.network)) this.#scrubber.add(secret);
    warnIfUnverified(options.network, endpoints.httpUrl, (line) => this.#log.warn(line));
    this.#requestTimeoutMs = timerDelay(options.requestTimeoutMs ?? 15_000);
    this.#maxRetries = options.maxRetries ?? 3;
    this.#retryBaseDelayMs = options.retryBaseDelayMs ?? 200;
    this.#retryMaxDelayMs = options.retryMaxDelayMs ?? 5_000;
    this.#random = options.random;
    this.#pacer = new Pacer(options.publishRate ?? 0);
  }

  /** Publishes events (each element one event) in requests of at most 5, sent one after another in order. */
  async publish(channel: string, events: readonly unknown[] | EncodedEvents, options: { authorizer?: Authorizer } = {}): Promise<PublishResult> {
    const path = this.#publishChannels.path(channel);
    const encoded = encodeEvents(events);
    const authorizer = options.authorizer ?? this.#authorizer;
    let previous: Promise<unknown> = Promise.resolve();
    return publishInChunks(encoded, (chunk) => {
      const next = previous.then(() => this.#publishChunk(path, chunk, authorizer));
      previous = next.catch(() => {});
      return next;
    });
  }

  /** Releases the pooled sockets. */
  close(): void {
    this.#route.agent.destroy();
  }

  async #publishChunk(channel: string, events: readonly string[], authorizer: Authorizer): Promise<PublishResult> {
    // The HTTP body is the text IAM signs: the same bytes go over the wire.
    const body = publishSigningBody(channel, events);
    const authorized: AuthorizedAttempt = {};
    let throttles = 0;
    for (let attempt = 0; ; attempt++) {
      let failure: unknown;
      try {
        if (this.#pacer.enabled) await this.#pacer.slot();
        authorized.authorization = await this.#authorize(authorizer, body, channel);
        const answer = await this.#post(body, authorized.authorization);
        if (answer.status >= 200 && answer.status < 300) {
          const result = parsePublishAnswer(answer.body, events.length);
          if (!('invalid' in result)) return result;
          failure = new EventsError({ errorType: 'ProtocolError', message: result.invalid, retryable: true });
        } else failure = httpError(answer);
      } catch (err) {
        failure = err;
      }
      const error = this.#scrubber.error(failure);
      const renewal = renewalFor(authorized, authorizer, error);
      if (renewal) {
        // A refused credential: renewed once, and the publish sent again at once (refusal-renewal.ts).
        this.#log.debug(`publish on ${channel} refused (${error.message}): renewing the credentials and trying once more`);
        const renewed = await renewal.catch((err: unknown) => Promise.reject(this.#scrubber.error(err, 'CredentialsError')));
        if (!renewed) throw error;
        attempt--;
        continue;
      }
      // Throttling is not an error: retried with backoff until the publish goes through; the request timeout
      // bounds each attempt, not the wait.
      if (isThrottled(error)) {
        await this.#pause(throttleBackoffMs(++throttles, this.#random), error);
        attempt--;
        continue;
      }
      if (!error.retryable || attempt >= this.#maxRetries) throw error;
      await this.#wait(attempt, error);
    }
  }

  async #wait(attempt: number, error: EventsError): Promise<void> {
    await this.#pause(fullJitterDelay(attempt, { baseDelayMs: this.#retryBaseDelayMs, maxDelayMs: this.#retryMaxDelayMs, random: this.#random }), error);
  }

  async #pause(delay: number, error: EventsError): Promise<void> {
    this.#log.debug(`retrying publish in ${delay} ms after ${error.message}`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }

  async #authorize(authorizer: Authorizer, body: string, channel: string): Promise<Record<string, string>> {
    try {
      const headers = await authorizer({ operation: 'publish', transport: 'http', httpUrl: this.endpoints.httpUrl, httpHost: this.endpoints.httpHost, body, channel });
      this.#scrubber.addHeaders(headers);
      return headers;
    } catch (err) {
      throw this.#scrubber.error(err, 'CredentialsError');
    }
  }

  #post(body: string, headers: Record<string, string>): Promise<HttpAnswer> {
    return postText(new URL(this.endpoints.httpUrl), this.#route, body, {
      headers: { accept: 'application/json', 'content-type': 'application/json', ...headers },
      timeoutMs: this.#requestTimeoutMs,
      maxAnswerBytes: MAX_SERVER_FRAME_BYTES,
      tooLarge: () => new EventsError({ errorType: 'ProtocolError', message: `the publish answer is larger than ${MAX_SERVER_FRAME_BYTES} bytes`, retryable: true }),
      scrub: (text) => this.#scrubber.scrub(text),
    });
  }

}

function httpError(answer: HttpAnswer): EventsError {
  const base = fromServiceErrors(parseErrorAnswer(answer.body), `HTTP ${answer.status}`);
  const retryable = answer.status === 429 || answer.status >= 500;
  const errorType = base.errorType === 'UnknownError' ? (answer.status === 404 ? 'EndpointNotFound' : 'HttpError') : base.errorType;
  return new EventsError({ errorType, message: base.message.slice(base.errorType.length + 2), code: answer.status, retryable });
}
