import { EventsError } from '../../protocol/errors';
import { EncodedEvents, encodeEvents } from '../../protocol/encoding';
import type { PublishResult } from '../../protocol/publish-result';
import type { Authorizer, Transport } from '../authorizer';
import type { ConnectionState } from '../connection-state';
import type { Logger } from '../logger';
import type { StoredPublish } from './outbox-file';
import { OutboxSender } from './outbox-sender';
import { PublishOutbox, type QueueFullPolicy } from './publish-outbox';

/** The endpoint's connections, as the outbox sends through them (EndpointConnection): a publish without an origin is sent, never stored again. */
export interface PublishSending {
  readonly state: ConnectionState;
  publish(channel: string, events: EncodedEvents, options: { transport: Transport; authorizer?: Authorizer }): Promise<PublishResult>;
}

/** Who made a stored publish: the flow node that hears its answer, and the id of its own authorizer, if it has one. */
export interface PublishOrigin {
  node: string;
  authorizer?: string;
  /** What the node needs to finish the publish after a restart (its messages); JSON, handed back by `replayed`. */
  record: Record<string, unknown>;
}

/** A flow node that stores publishes: its own authorizer, if it has one, and where the answers of a previous run's publishes go. */
export interface OutboxUser {
  readonly authorizerId?: string;
  readonly authorizer?: Authorizer;
  replayed(record: Record<string, unknown>, channel: string, outcome: PublishResult | EventsError): void;
}

export interface EndpointOutboxOptions {
  path: string;
  maxRequests: number;
  maxBytes: number;
  whenFull: QueueFullPolicy;
  authRetryDelayMs: number;
  log: Logger;
  sending: PublishSending;
  /**
   * The authorizer of a stored publish whose node is no longer in the flows (a publish of a previous run): the nodes
   * that are there give theirs when they attach, so this is asked only for those left over.
   */
  authorizerById(id: string): Authorizer;
  /** Whether a connection opened with `authorizer` is accepted (credential-probe.ts). */
  probe(authorizer: Authorizer | undefined): Promise<boolean>;
}

/** How long a close waits for the answers of publishes in flight: well inside Node-RED's 15 s close timeout. */
const CLOSE_WAIT_MS = 5_000;

/** Stored publishes over a connected WebSocket in flight at once: the client pipelines them in order on one connection. */
const WEBSOCKET_WINDOW = 32;

const storedForLater = () => new EventsError({ errorType: 'StoredForLater', message: 'the publish stays in the outbox file and is sent after the restart' });

const DROPPED = 'dropped by the dropOldest policy of a full publish queue';

/** Who made a stored publish, as read back from the file (written by `publish`, checked all the same). */
function origin(meta: Record<string, unknown>): { node: string; authorizer: string | undefined } {
  return { node: typeof meta.node === 'string' ? meta.node : '', authorizer: typeof meta.authorizer === 'string' && meta.authorizer ? meta.authorizer : undefined };
}

/**
 * The file publish queue of one endpoint (`queueStore` file), the endpoint connection's own store: the outbox file,
 * the sender that drains it in order through the connection, the callers waiting for their publishes, and the flow
 * nodes that receive the answers of a previous run's publishes.
 */
export class EndpointOutbox {
  readonly outbox: PublishOutbox;
  readonly #options: EndpointOutboxOptions;
  readonly #sender: OutboxSender;
  readonly #waiting = new Map<number, { resolve(result: PublishResult): void; reject(err: unknown): void }>();
  readonly #users = new Map<string, OutboxUser>();
  /** The authorizer of each authorizer id in use by an attached node: a stored publish is sent with it, no lookup per publish. */
  readonly #authorizers = new Map<string, Authorizer>();
  #started = false;
  #closed = false;

  constructor(options: EndpointOutboxOptions) {
    this.#options = options;
    this.outbox = new PublishOutbox({
      path: options.path,
      maxRequests: options.maxRequests,
      maxBytes: options.maxBytes,
      whenFull: options.whenFull,
      log: options.log,
      // The outbox warns once per episode; the dropped message ends without an output or an error of its own.
      dropped: (seq) => this.#finish(seq, new EventsError({ errorType: 'Dropped', message: DROPPED })),
    });
    this.#sender = new OutboxSender({
      outbox: this.outbox,
      authRetryDelayMs: options.authRetryDelayMs,
      log: options.log,
      // Not connected, one at a time: the one in flight opens the connection; the others stay where `dropOldest` reaches them.
      window: (transport) => (transport === 'websocket' && options.sending.state.status === 'connected' ? WEBSOCKET_WINDOW : 1),
      deliver: (p) => this.#deliver(p),
      settled: (p, outcome) => this.#settled(p, outcome),
      credentialWorks: (p) => this.#credentialWorks(p),
    });
    if (this.outbox.recovered.length > 0) options.log.info(`publish outbox ${options.path}: ${this.outbox.recovered.length} stored publishes from before to send`);
  }

  /** A flow node that stores publishes; the first one starts the sending, once the flow is built and every node attached. */
  attach(nodeId: string, user: OutboxUser): void {
    this.#users.set(nodeId, user);
    if (user.authorizerId && user.authorizer) this.#authorizers.set(user.authorizerId, user.authorizer);
    if (this.#started) return;
    this.#started = true;
    // A redeploy may close the endpoint before this turn ends: a closed outbox sends nothing.
    setImmediate(() => this.#closed || this.#sender.start());
  }

  detach(nodeId: string): void {
    this.#users.delete(nodeId);
  }

  /** Stores a publish (on disk before this counts as queued) and resolves with AppSync's answer, however long that takes. */
  async publish(channel: string, events: readonly unknown[] | EncodedEvents, transport: Transport, from: PublishOrigin): Promise<PublishResult> {
    const meta = { ...from.record, node: from.node, authorizer: from.authorizer };
    const stored = await this.outbox.add({ channel, events: [...encodeEvents(events)], transport, meta }, (seq) => this.#sender.isInFlight(seq));
    if (!this.outbox.holds(stored.seq)) throw new EventsError({ errorType: 'Dropped', message: DROPPED });
    // Stored while the endpoint closed: no one here will send it, the next run will.
    if (this.#closed) throw storedForLater();
    const answer = new Promise<PublishResult>((resolve, reject) => this.#waiting.set(stored.seq, { resolve, reject }));
    this.#sender.notify();
    return answer;
  }

  /** Stops sending and closes the file; what is stored is sent by the next run (callers waiting are told so). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#sender.stop();
    await this.#sender.settledInFlight(CLOSE_WAIT_MS);
    const kept = storedForLater();
    for (const seq of [...this.#waiting.keys()]) this.#finish(seq, kept);
    await this.outbox.close();
  }

  async #deliver(p: StoredPublish): Promise<PublishResult> {
    // Sent as stored: the events were encoded once, when they were stored. A node gone with its authorizer fails
    // here, and the publish waits in the outbox like any other that cannot go yet.
    return this.#options.sending.publish(p.channel, new EncodedEvents(p.events), { transport: p.transport, authorizer: this.#authorizerOf(p) });
  }

  #authorizerOf(p: StoredPublish): Authorizer | undefined {
    const id = origin(p.meta).authorizer;
    if (id === undefined) return undefined;
    return this.#authorizers.get(id) ?? this.#options.authorizerById(id);
  }

  /** The endpoint's own credential works when its WebSocket is open; any other is tried with a connection of its own. */
  async #credentialWorks(p: StoredPublish): Promise<boolean> {
    const authorizer = this.#authorizerOf(p);
    if (!authorizer && this.#options.sending.state.status === 'connected') return true;
    return this.#options.probe(authorizer);
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
    const { node } = origin(p.meta);
    const user = this.#users.get(node);
    if (user) user.replayed(p.meta, p.channel, outcome);
    else this.#options.log.warn(`publish outbox: a stored publish on ${p.channel} was ${outcome instanceof EventsError ? `refused (${outcome.message})` : 'delivered'}, but its node ${node} is no longer in the flows`);
  }
}
