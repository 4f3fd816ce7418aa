import { EventsError } from '../../protocol/errors';
import type { PublishResult } from '../../protocol/publish-result';
import { fullJitterDelay } from '../backoff';
import { timerDelay } from '../time-limit';
import type { Logger } from '../logger';
import type { StoredPublish } from './outbox-file';
import type { PublishOutbox } from './publish-outbox';

export interface OutboxSenderOptions {
  outbox: PublishOutbox;
  /** Sends one stored publish (over the transport it was made for) and resolves with AppSync's answer. */
  deliver(publish: StoredPublish): Promise<PublishResult>;
  /** A stored publish is finished: acknowledged (its result) or refused for good (the error). */
  settled(publish: StoredPublish, outcome: PublishResult | EventsError): void;
  /**
   * Stored publishes in flight at once: on a WebSocket the client pipelines them in order on one connection; HTTP
   * requests travel on separate sockets, so they go one at a time, as do WebSocket publishes while not connected
   * (the one in flight opens the connection; the others stay in the outbox, where `dropOldest` can reach them).
   */
  window?(transport: StoredPublish['transport']): number;
  /**
   * Whether the credential of a stored publish works elsewhere (a connection it opens is accepted): then a refusal as
   * unauthorized is about the publish's channel (a namespace that does not exist, or that does not allow the auth
   * mode), and the publish is finished with that error instead of held, with everything behind it, for good.
   */
  credentialWorks?(publish: StoredPublish): Promise<boolean>;
  /** Backoff between retries of a stored publish that could not be delivered yet. */
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /** Wait after refused credentials, which a retry soon will not fix (the endpoint's `authRetryDelay`). */
  authRetryDelayMs?: number;
  log: Logger;
}

/**
 * Whether a stored publish stays in the outbox after this error, to be sent again: the error is about getting it
 * there (no connection, throttling, a timeout, refused credentials, a setting to fix), not about the publish itself.
 * A publish AppSync refuses for its channel or events is done: retrying cannot change the answer.
 */
export function staysStored(error: EventsError): boolean {
  if (error.errorType === 'Unauthorized') return false;
  return error.retryable || error.isAuthError || ['ClientClosed', 'QueueFull', 'EndpointNotFound', 'InvalidConfiguration'].includes(error.errorType);
}

/**
 * Sends the outbox's publishes in order, a window at a time, until each is acknowledged. When one cannot be
 * delivered yet, sending pauses (no later publish overtakes it) and resumes from the oldest after a full-jitter
 * backoff; `requestTimeout` bounds each attempt, never the life of a stored publish.
 */
export class OutboxSender {
  readonly #options: Required<Omit<OutboxSenderOptions, 'log' | 'credentialWorks'>> & Pick<OutboxSenderOptions, 'credentialWorks'> & { log: Logger };
  readonly #inFlight = new Set<number>();
  /** The transport of the publishes in flight: a publish over the other one waits for them (order across both). */
  #transport: StoredPublish['transport'] | undefined;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #backingOff = false;
  #running = false;
  /** The last read handed to `deliver`: the next waits for it. */
  #reads: Promise<void> = Promise.resolve();

  constructor(options: OutboxSenderOptions) {
    this.#options = { window: (transport) => (transport === 'websocket' ? 32 : 1), retryBaseDelayMs: 500, retryMaxDelayMs: 30_000, authRetryDelayMs: 60_000, ...options };
  }

  isInFlight(seq: number): boolean {
    return this.#inFlight.has(seq);
  }

  /** Starts sending (what was recovered first); `notify` after each new stored publish. */
  start(): void {
    this.#running = true;
    this.notify();
  }

  notify(): void {
    if (!this.#running || this.#backingOff) return;
    for (const { seq, transport } of this.#options.outbox.pending()) {
      if (this.#inFlight.has(seq)) continue;
      if (this.#inFlight.size > 0 && transport !== this.#transport) return;
      if (this.#inFlight.size >= this.#options.window(transport)) return;
      this.#transport = transport;
      void this.#send(seq);
    }
  }

  /** Sends nothing more; publishes in flight finish. What is stored stays for the next start. */
  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
  }

  /**
   * Resolves when nothing is in flight (for a clean close), or after `limitMs`: a publish still unanswered then stays
   * stored and is sent again by the next run, so a close never outlasts Node-RED's close timeout (15 s) waiting for it.
   */
  async settledInFlight(limitMs: number): Promise<void> {
    const until = Date.now() + limitMs;
    while (this.#inFlight.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  }

  /**
   * Reads stored publish `seq` and hands it to `deliver` after the one before it was handed over. The reads run at
   * once and finish in any order; only the handing over waits its turn, so publishes leave in the order they were
   * stored, and the reads still overlap (one after another they would bound the drain rate: bench/README.md).
   */
  #readInTurn(seq: number): Promise<{ publish: StoredPublish; answer: Promise<PublishResult> } | undefined> {
    const reading = this.#options.outbox.read(seq);
    // Its failure is handled in its turn; until then it must not count as unhandled.
    reading.catch(() => {});
    const turn = this.#reads.then(async () => {
      const publish = await reading;
      return publish && { publish, answer: this.#options.deliver(publish) };
    });
    this.#reads = turn.then(
      () => {},
      () => {},
    );
    return turn;
  }

  async #send(seq: number): Promise<void> {
    this.#inFlight.add(seq);
    const { outbox } = this.#options;
    try {
      const sent = await this.#readInTurn(seq);
      if (!sent) return;
      const { publish } = sent;
      let outcome: PublishResult | EventsError;
      try {
        outcome = await sent.answer;
        this.#attempt = 0;
      } catch (err) {
        const error = err instanceof EventsError ? err : new EventsError({ errorType: 'UnknownError', message: err instanceof Error ? err.message : String(err), cause: err });
        if (staysStored(error) && !(error.isAuthError && (await this.#credentialWorks(publish)))) return this.#backOff(error);
        outcome = error;
      }
      await outbox.done(seq);
      this.#options.settled(publish, outcome);
    } catch (err) {
      // The file failed us (a full disk, a closed file): wait before trying again, never in a loop.
      this.#options.log.warn(`publish outbox: ${err instanceof Error ? err.message : String(err)}`);
      this.#backOff(new EventsError({ errorType: 'OutboxUnavailable', message: String(err), retryable: true }));
    } finally {
      this.#inFlight.delete(seq);
      this.notify();
    }
  }

  async #credentialWorks(publish: StoredPublish): Promise<boolean> {
    try {
      return (await this.#options.credentialWorks?.(publish)) === true;
    } catch {
      return false;
    }
  }

  #backOff(error: EventsError): void {
    if (this.#backingOff || !this.#running) return;
    this.#backingOff = true;
    const delay = error.isAuthError ? this.#options.authRetryDelayMs : fullJitterDelay(this.#attempt++, { baseDelayMs: this.#options.retryBaseDelayMs, maxDelayMs: this.#options.retryMaxDelayMs });
    this.#options.log.debug(`publish outbox: sending again in ${delay} ms after ${error.message}`);
    this.#timer = setTimeout(() => {
      this.#backingOff = false;
      this.notify();
    }, timerDelay(delay));
  }
}
