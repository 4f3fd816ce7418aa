import { EventsError } from '../protocol/errors';
import { EncodedEvents, encodeEvents } from '../protocol/encoding';
import type { PublishResult } from '../protocol/publish-result';
import type { Logger } from '../client/logger';
import type { StoredPublish } from '../client/outbox/outbox-file';
import { OutboxSender } from '../client/outbox/outbox-sender';
import { PublishOutbox, type QueueFullPolicy } from '../client/outbox/publish-outbox';

/** What a stored publish carries for the node that made it: who, with which authorizer, and the messages. */
export interface PublishMeta {
  node: string;
  authorizer?: string;
  /** The message of each event (coalesced publishes), or the one message of the whole request. */
  messages: Array<Record<string, unknown>>;
  perEvent: boolean;
}

/** A publish node, as the outbox hands it the publishes of a previous run once AppSync answers them. */
export interface ReplayTarget {
  replayed(meta: PublishMeta, channel: string, outcome: PublishResult | EventsError): void;
}

export interface EndpointOutboxOptions {
  path: string;
  maxRequests: number;
  maxBytes: number;
  whenFull: QueueFullPolicy;
  authRetryDelayMs: number;
  log: Logger;
  /** How many stored publishes over `transport` may be in flight now (OutboxSenderOptions.window). */
  window(transport: 'websocket' | 'http'): number;
  /** Whether a connection opened with this authorizer (the endpoint's when undefined) is accepted. */
  credentialWorks(authorizer: string | undefined): Promise<boolean>;
  /** Sends a stored publish over its transport, with its node's authorizer. */
  deliver(channel: string, events: EncodedEvents, transport: 'websocket' | 'http', authorizer: string | undefined): Promise<PublishResult>;
}

/** How long a close waits for the answers of publishes in flight: well inside Node-RED's 15 s close timeout. */
const CLOSE_WAIT_MS = 5_000;

/** Message properties that hold live objects (the HTTP in node's request and response) and are not stored. */
const LIVE_PROPERTIES = new Set(['req', 'res', '_msgid']);

/** A message as the outbox stores it: its JSON-serialisable properties (payload, topic and the rest). */
export function storableMessage(msg: Record<string, unknown>): Record<string, unknown> {
  try {
    const text = JSON.stringify(msg, (key, value: unknown) => (LIVE_PROPERTIES.has(key) ? undefined : value));
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? { ...parsed } : {};
  } catch {
    // A circular or BigInt property: keep what the publish itself needs.
    return { payload: msg.payload, topic: msg.topic };
  }
}

/** Fetches a value that is not a StoredPublish's own JSON type safely: meta written by this module. */
function publishMeta(meta: Record<string, unknown>): PublishMeta {
  const messages = Array.isArray(meta.messages) ? meta.messages.filter((m): m is Record<string, unknown> => typeof m === 'object' && m !== null && !Array.isArray(m)) : [];
  return { node: typeof meta.node === 'string' ? meta.node : '', authorizer: typeof meta.authorizer === 'string' ? meta.authorizer : undefined, messages, perEvent: meta.perEvent === true };
}

/**
 * The file publish queue of one endpoint (`queueStore` file): the outbox file, its sender, the callers waiting for
 * their publishes, and the publish nodes that receive the answers of a previous run's publishes.
 */
export class EndpointOutbox {
  readonly outbox: PublishOutbox;
  readonly #sender: OutboxSender;
  readonly #waiting = new Map<number, { resolve(result: PublishResult): void; reject(err: unknown): void }>();
  readonly #targets = new Map<string, ReplayTarget>();
  readonly #log: Logger;
  #started = false;
  #closed = false;

  constructor(options: EndpointOutboxOptions) {
    this.#log = options.log;
    this.outbox = new PublishOutbox({
      path: options.path,
      maxRequests: options.maxRequests,
      maxBytes: options.maxBytes,
      whenFull: options.whenFull,
      log: options.log,
      // The outbox warns once per episode; the dropped message ends without an output or an error of its own.
      dropped: (seq) => this.#finish(seq, new EventsError({ errorType: 'Dropped', message: 'dropped by the dropOldest policy of a full publish queue' })),
    });
    this.#sender = new OutboxSender({
      outbox: this.outbox,
      authRetryDelayMs: options.authRetryDelayMs,
      log: options.log,
      window: options.window,
      deliver: (p) => {
        const meta = publishMeta(p.meta);
        // Sent as stored: the events were encoded once, when they were stored.
        return options.deliver(p.channel, new EncodedEvents(p.events), p.transport, meta.authorizer);
      },
      settled: (p, outcome) => this.#settled(p, outcome),
      credentialWorks: (p) => options.credentialWorks(publishMeta(p.meta).authorizer),
    });
    if (this.outbox.recovered.length > 0) this.#log.info(`publish outbox ${options.path}: ${this.outbox.recovered.length} stored publishes from before to send`);
  }

  /** A publish node that may receive replayed answers; the first one starts the sending, once the flow is built. */
  attach(nodeId: string, target: ReplayTarget): void {
    this.#targets.set(nodeId, target);
    if (this.#started) return;
    this.#started = true;
    // A redeploy may close the endpoint before this turn ends: a closed outbox sends nothing.
    setImmediate(() => this.#closed || this.#sender.start());
  }

  detach(nodeId: string): void {
    this.#targets.delete(nodeId);
  }

  /** Stores a publish (on disk before this counts as queued) and resolves with AppSync's answer, however long that takes. */
  async publish(channel: string, events: readonly unknown[], transport: 'websocket' | 'http', meta: PublishMeta): Promise<PublishResult> {
    const texts = [...encodeEvents(events)];
    const stored = await this.outbox.add({ channel, events: texts, transport, meta: { ...meta } }, (seq) => this.#sender.isInFlight(seq));
    if (!this.outbox.holds(stored.seq)) throw new EventsError({ errorType: 'Dropped', message: 'dropped by the dropOldest policy of a full publish queue' });
    const answer = new Promise<PublishResult>((resolve, reject) => this.#waiting.set(stored.seq, { resolve, reject }));
    this.#sender.notify();
    return answer;
  }

  /** Stops sending and closes the file; what is stored is sent by the next run (callers waiting are told so). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#sender.stop();
    await this.#sender.settledInFlight(CLOSE_WAIT_MS);
    const kept = new EventsError({ errorType: 'StoredForLater', message: 'the publish stays in the outbox file and is sent after the restart' });
    for (const seq of [...this.#waiting.keys()]) this.#finish(seq, kept);
    await this.outbox.close();
  }

  /** Answers the caller waiting for publish `seq`, if one is; false when none is (a publish of a previous run). */
  #finish(seq: number, outcome: PublishResult | EventsError): boolean {
    const waiter = this.#waiting.get(seq);
    if (!waiter) return false;
    this.#waiting.delete(seq);
    if (outcome instanceof EventsError) waiter.reject(outcome);
    else waiter.resolve(outcome);
    return true;
  }

  #settled(p: StoredPublish, outcome: PublishResult | EventsError): void {
    if (this.#finish(p.seq, outcome)) return;
    const meta = publishMeta(p.meta);
    const target = this.#targets.get(meta.node);
    if (target) target.replayed(meta, p.channel, outcome);
    else this.#log.warn(`publish outbox: a stored publish on ${p.channel} was ${outcome instanceof EventsError ? `refused (${outcome.message})` : 'delivered'}, but its node ${meta.node} is no longer in the flows`);
  }
}
