import { encodeEvents, escapeForSigning, type EncodedEvents } from '../protocol/encoding';
import { EventsError } from '../protocol/errors';
import { MAX_EVENTS_PER_REQUEST } from '../protocol/limits';
import type { ServerMessage } from '../protocol/messages';
import { accountsForEvery, type PublishResult } from '../protocol/publish-result';
import { publishSigningBody } from '../protocol/signing-body';
import type { Authorizer } from './authorizer';
import { publishInChunks } from './chunked-publish';
import { renewalFor } from './refusal-renewal';
import { Pacer } from './pacer';
import { isThrottled } from './throttling';
import { PublishChannels } from './publish-channels';
import { RequestRate } from './request-rate';
import { MemoryPublishQueue, PublishRequest, type PublishQueue } from './publish-queue';
import type { SocketSession } from './socket-session';
import { ThrottleHold } from './throttle-hold';
import { TurnBudget } from './turn-budget';
import type { PublishOptions } from './websocket-options';
import type { WebSocketParts } from './websocket-parts';

/**
 * Publish frames written per turn of the event loop (turn-budget.ts). With 20,000 publishes started at once against
 * the emulator in `bench/`, slices of 64, 256 and 1,024 measured alike (bench/README.md).
 */
const PUBLISHES_PER_TURN = 256;

/**
 * The WebSocket client's publish path: a publish is sent at once when connected and nothing waits ahead, else it
 * waits in the queue and leaves in order, as fast as the turn's budget, the publish rate and throttling allow. A
 * publish in flight when the socket drops goes back to the front of the queue (at-least-once).
 */
export class PublishPath {
  readonly #queue: PublishQueue;
  readonly #pacer: Pacer;
  readonly #turnBudget = new TurnBudget(PUBLISHES_PER_TURN);
  readonly #throttleHold: ThrottleHold;
  readonly #publishChannels = new PublishChannels();
  /** Publish requests sent, per second (getStats of a connection pool). */
  readonly sentPerSecond = new RequestRate();
  #drainTimer: NodeJS.Timeout | NodeJS.Immediate | undefined;

  constructor(private readonly parts: WebSocketParts) {
    const { options, pending } = parts.shared;
    this.#queue = new MemoryPublishQueue(options.queueSize);
    this.#pacer = new Pacer(options.publishRate ?? 0);
    this.#throttleHold = new ThrottleHold(
      (held) => {
        this.#queue.requeue(held);
        this.drain();
      },
      () => pending.hasPublishes(),
    );
  }

  /** Publish requests not sent yet: waiting for a connection, a publish-rate slot, or the next turn of a burst. */
  get queued(): number {
    return this.#queue.size;
  }

  publish(channel: string, events: readonly unknown[] | EncodedEvents, options: PublishOptions): Promise<PublishResult> {
    const path = this.#publishChannels.path(channel);
    const encoded = encodeEvents(events);
    const { state } = this.parts.lifecycle;
    if (state.status === 'failed') throw state.error;
    const chunkCount = Math.ceil(encoded.length / MAX_EVENTS_PER_REQUEST);
    if (this.#waitsForConnectionOrPace() && !this.#queue.hasRoom(chunkCount)) {
      throw new EventsError({
        errorType: 'QueueFull',
        message: `not connected and ${this.#queue.size} publish requests are already waiting (limit ${this.parts.shared.options.queueSize})`,
      });
    }
    const authorizer = options.authorizer ?? this.parts.shared.authorizers.publish;
    if (encoded.length <= MAX_EVENTS_PER_REQUEST) return this.#request(path, encoded, authorizer);
    return publishInChunks(encoded, (chunk) => this.#request(path, chunk, authorizer));
  }

  /**
   * Up (or opening for the first time), and throttled or a second's worth of requests behind the publish rate: another
   * connection would send a publish sooner (publish-homes.ts). While the connection is down, another would not; and
   * without a publish rate, requests queued only for the next turn of the event loop do not count.
   */
  get saturated(): boolean {
    const { state } = this.parts.lifecycle;
    const up = state.status === 'connected' || (state.status === 'connecting' && state.attempt === 0);
    const rate = this.parts.shared.options.publishRate ?? 0;
    return up && (this.#throttleHold.active || this.#throttleHold.oneAtATime || (rate > 0 && this.#queue.size >= rate));
  }

  /** When connected: sends the queued publishes and waits for every publish in flight to be answered. */
  async flush(): Promise<void> {
    const ready = this.parts.lifecycle.readySession();
    if (!ready) return;
    for (const request of this.#queue.takeAll()) this.sendPublish(request, ready);
    await this.parts.shared.sends.settled();
    await Promise.all(this.parts.shared.pending.publishes().map((r) => r.promise.catch(() => {})));
  }

  /** Fails every publish that waits (not those in flight): the client was closed, or its credential refused. */
  failWaiting(error: EventsError): void {
    for (const request of [...this.#throttleHold.clear(), ...this.#queue.takeAll()]) request.reject(error);
  }

  /** The socket is gone: its publishes in flight go back to the front of the queue, in order. */
  requeue(inFlight: readonly PublishRequest[]): void {
    this.#queue.requeue(inFlight);
    this.#throttleHold.answered();
  }

  /** Sends queued publishes in order, as fast as the publish rate allows and a turn's budget at a time. */
  drain(): void {
    const session = this.parts.lifecycle.readySession();
    if (!session || this.#drainTimer || this.#throttleHold.active) return;
    const again = () => {
      this.#drainTimer = undefined;
      this.drain();
    };
    while (this.#queue.size > 0) {
      if (this.#waitsOneAtATime()) return;
      if (!this.#turnBudget.take()) {
        this.#drainTimer = setImmediate(again);
        return;
      }
      if (!this.#pacer.take()) {
        this.#drainTimer = setTimeout(again, this.#pacer.waitMs());
        return;
      }
      const request = this.#queue.shift();
      if (request) this.sendPublish(request, session);
    }
  }

  sendPublish(request: PublishRequest, session: SocketSession): void {
    const { pending, sends } = this.parts.shared;
    pending.addPublish(request);
    this.sentPerSecond.add(1);
    // Only an IAM authorizer reads the body; then, and only then, the events are escaped so that the service's
    // re-serialised body matches the signed one (escapeForSigning).
    let events = request.events;
    sends.enqueue(
      this.parts.shared.authorize(
        request.authorizer,
        'publish',
        () => {
          events = escapeForSigning(request.events);
          return publishSigningBody(request.channel, events);
        },
        request.channel,
      ),
      (authorization) => {
        request.authorization = authorization;
        if (session === this.parts.lifecycle.session && pending.kindOf(request.id) === 'publish') session.send({ type: 'publish', id: request.id, channel: request.channel, events, authorization });
      },
      (err) => {
        if (pending.take(request.id, 'publish')) request.reject(err);
      },
    );
  }

  /** A publish's answer, from whichever connection it was sent on (publish ids are unique across connections). */
  onAnswer(message: Extract<ServerMessage, { type: 'publish_success' | 'publish_error' }>): void {
    if (message.type === 'publish_success') this.settle(message.id, { successful: message.successful, failed: message.failed });
    else this.settle(message.id, this.parts.shared.serviceError(message.errors, 'the publish was refused'));
  }

  settle(id: string, outcome: PublishResult | EventsError): void {
    const request = this.parts.shared.pending.take(id, 'publish');
    if (!request) return;
    if (outcome instanceof EventsError) this.#refused(request, outcome);
    else if (!accountsForEvery(outcome, request.events.length)) {
      request.reject(new EventsError({ errorType: 'ProtocolError', message: `publish_success does not account for each of the ${request.events.length} events exactly once`, retryable: true }));
    } else {
      this.#throttleHold.accepted();
      request.resolve(outcome);
    }
    this.#throttleHold.answered();
    if (this.#throttleHold.oneAtATime) this.#nextOneAtATime();
  }

  /** One publish request: sent now when connected and nothing waits ahead, else queued. */
  #request(channel: string, events: readonly string[], authorizer: Authorizer): Promise<PublishResult> {
    const request = new PublishRequest(this.parts.shared.ids.next(), channel, events, authorizer);
    const session = this.#canSendNow() ? this.parts.lifecycle.readySession() : undefined;
    if (session) this.sendPublish(request, session);
    else {
      this.#queue.push(request);
      this.parts.lifecycle.ensureConnection();
      this.drain();
    }
    return request.promise;
  }

  /**
   * Connected, nothing queued or throttled ahead (publishes keep their order), and this turn and the publish rate allow
   * one now.
   */
  #canSendNow(): boolean {
    return this.parts.lifecycle.session?.phase === 'ready' && this.#queue.size === 0 && !this.#throttleHold.active && !this.#waitsOneAtATime() && this.#turnBudget.take() && this.#pacer.take();
  }

  /** After throttling, a publish waits for the answer to the one in flight (throttle-hold.ts). */
  #waitsOneAtATime(): boolean {
    return this.#throttleHold.oneAtATime && this.parts.shared.pending.hasPublishes();
  }

  /**
   * Whether a new publish would wait for a connection or a publish-rate slot: only those count against `queueSize`.
   * A publish that waits only for the next turn of a burst (TurnBudget) is on its way.
   */
  #waitsForConnectionOrPace(): boolean {
    return this.parts.lifecycle.session?.phase !== 'ready' || this.#pacer.enabled || this.#throttleHold.active;
  }

  /** One publish answered after throttling: the next one goes, or pipelining resumes when none waits. */
  #nextOneAtATime(): void {
    if (this.#queue.size > 0) this.drain();
    else if (!this.#throttleHold.active && !this.parts.shared.pending.hasPublishes()) this.#throttleHold.drained();
  }

  /** A publish refused for its credential is renewed and sent once more (refusal-renewal.ts); else it fails. */
  #refused(request: PublishRequest, error: EventsError): void {
    if (isThrottled(error)) return this.#throttleHold.hold(request);
    const renewal = renewalFor(request, request.authorizer, error);
    if (!renewal) return request.reject(error);
    const { log, scrubber } = this.parts.shared;
    log.debug(`publish on ${request.channel} refused (${error.message}): renewing the credentials and trying once more`);
    renewal.then(
      (renewed) => {
        if (!renewed) return request.reject(error);
        const session = this.#canSendNow() ? this.parts.lifecycle.readySession() : undefined;
        if (session) return this.sendPublish(request, session);
        // disconnect() failed everything that waited; a publish renewed after it fails the same way.
        if (this.parts.lifecycle.state.status === 'closed') return request.reject(new EventsError({ errorType: 'ClientClosed', message: 'the client was disconnected' }));
        this.#queue.requeue([request]);
        this.parts.lifecycle.ensureConnection();
      },
      (err: unknown) => request.reject(scrubber.error(err, 'CredentialsError')),
    );
  }
}
