import type { EncodedEvents } from '../protocol/encoding';
import type { PublishResult } from '../protocol/publish-result';
import type { PoolMember } from './pool-member';
import type { PublishOptions } from './websocket-options';

export interface PublishHomesOptions {
  /** The connections publishes may use now, the first one first. */
  connections(): readonly PoolMember[];
  /** Whether one more connection may be opened for publishing. */
  canGrow(): boolean;
  grow(): PoolMember;
  /** A connection's count of homes changed (one left with none may close). */
  changed(member: PoolMember): void;
}

/** Where one channel's publishes go: the connection, how many are in flight there, and those waiting for a move. */
interface Home {
  member: PoolMember;
  inFlight: number;
  /** Set when the channel's connection was saturated: its next publishes wait until those in flight are answered. */
  moving: boolean;
  waiting: Array<() => void>;
}

/**
 * Publishes a moving channel sends on its new connection before it looks again: a second's worth at AppSync's quoted
 * quota of 25 publish requests per connection (protocol.md §6, UNCERTAIN), so a connection that turns out to be
 * throttled holds at most that much of one channel.
 */
const RELEASED_PER_MOVE = 25;

/**
 * Which connection each channel publishes on. A channel stays on one connection while any of its publishes is in
 * flight, so its publishes keep their order (that connection's queue keeps them in order through throttling and
 * retries). When its connection is saturated (requests wait for the publish rate, or AppSync throttles it), the
 * channel's next publishes wait here until those in flight are answered; then the channel goes on, in order, over the
 * connection that is least busy at that moment, a new one while the pool may grow, or the same one.
 */
export class PublishHomes {
  readonly #options: PublishHomesOptions;
  readonly #homes = new Map<string, Home>();
  #waiting = 0;

  constructor(options: PublishHomesOptions) {
    this.#options = options;
  }

  /** Publishes waiting here for their channel to move to another connection. */
  get waiting(): number {
    return this.#waiting;
  }

  publish(channel: string, events: readonly unknown[] | EncodedEvents, options: PublishOptions): Promise<PublishResult> {
    let home = this.#homes.get(channel);
    if (!home) {
      home = { member: this.#firstFree(), inFlight: 0, moving: false, waiting: [] };
      home.member.homes++;
      this.#homes.set(channel, home);
    } else if (home.inFlight > 0 && home.member.client.publishSaturated && this.#elsewhereSooner(home.member)) {
      home.moving = true;
    }
    const target = home;
    if (!target.moving) return this.#send(channel, target, events, options);
    this.#waiting++;
    return new Promise<PublishResult>((resolve, reject) =>
      target.waiting.push(() => {
        this.#waiting--;
        this.#send(channel, target, events, options).then(resolve, reject);
      }),
    );
  }

  #send(channel: string, home: Home, events: readonly unknown[] | EncodedEvents, options: PublishOptions): Promise<PublishResult> {
    home.inFlight++;
    const sent = home.member.client.publish(channel, events, options);
    const answered = () => this.#answered(channel, home);
    sent.then(answered, answered);
    return sent;
  }

  /** The last publish in flight of a channel was answered: a moving channel goes on over the least busy connection. */
  #answered(channel: string, home: Home): void {
    if (--home.inFlight > 0) return;
    const from = home.member;
    from.homes--;
    home.moving = false;
    if (home.waiting.length > 0) {
      home.member = this.#leastBusy();
      home.member.homes++;
      this.#release(home);
    } else {
      this.#homes.delete(channel);
    }
    this.#options.changed(from);
  }

  /**
   * Sends a moving channel's waiting publishes on its new connection until that one is saturated too; the rest wait for
   * those to be answered and for the next choice of connection, so no connection is handed more than it can send soon.
   */
  #release(home: Home): void {
    let released = 0;
    do home.waiting.shift()?.();
    while (home.waiting.length > 0 && ++released < RELEASED_PER_MOVE && !home.member.client.publishSaturated);
    home.moving = home.waiting.length > 0;
  }

  /** Whether a publish would leave sooner elsewhere: another connection is not saturated, or one more may be opened. */
  #elsewhereSooner(current: PoolMember): boolean {
    return this.#options.canGrow() || this.#options.connections().some((m) => m !== current && !m.client.publishSaturated);
  }

  /** A new channel's connection: the first not saturated (the first connection while it keeps up), else as a move. */
  #firstFree(): PoolMember {
    return this.#options.connections().find((m) => !m.client.publishSaturated) ?? this.#leastBusy();
  }

  /**
   * Where a channel goes on after its connection was saturated: the connection with the fewest publishes waiting
   * (one not saturated first, then the one with the fewest channels); a new one instead, while the pool may grow, when
   * even that one has publishes waiting (it is at its publish rate, or throttled).
   */
  #leastBusy(): PoolMember {
    const ranked = [...this.#options.connections()].sort((a, b) => busy(a) - busy(b) || a.client.queuedPublishes - b.client.queuedPublishes || a.homes - b.homes);
    const best = ranked[0];
    if (!best || ((best.client.publishSaturated || best.client.queuedPublishes > 0) && this.#options.canGrow())) return this.#options.grow();
    return best;
  }
}

const busy = (member: PoolMember) => (member.client.publishSaturated ? 1 : 0);
