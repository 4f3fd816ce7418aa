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
 * Publish requests one channel may have on its connection at once, once a connection of the pool was seen saturated
 * (the endpoint runs at its quota). Kept small so that when AppSync throttles a connection, most of a burst is still
 * here and can go on over another one; at AppSync's quota of 25 requests per second (quoted, protocol.md §6) five are
 * 200 ms of one connection. Before any saturation there is no such bound: pipelining a burst with nothing limiting it
 * is faster (a bound of 5 cost a third of a single channel's burst rate against the emulator without a quota).
 */
const PER_CHANNEL_IN_FLIGHT = 5;

/**
 * Which connection each channel publishes on. A channel stays on one connection while any of its publishes is in
 * flight, so its publishes keep their order (that connection's queue keeps them in order through throttling and
 * retries), and it has at most PER_CHANNEL_IN_FLIGHT there; the rest wait here, in order. When its connection is
 * saturated (requests wait for the publish rate, or AppSync throttles it) and another would send sooner, the channel's
 * next publishes wait until those in flight are answered; then the channel goes on over the connection that is least
 * busy at that moment, a new one while the pool may grow, or the same one.
 */
export class PublishHomes {
  readonly #options: PublishHomesOptions;
  readonly #homes = new Map<string, Home>();
  #waiting = 0;
  /** Set for good once a connection of the pool was seen saturated: from then on a channel's publishes are bounded. */
  #atQuota = false;

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
    } else {
      this.#checkSaturation(home);
    }
    const target = home;
    if (!target.moving && target.waiting.length === 0 && target.inFlight < this.#perChannel()) return this.#send(channel, target, events, options);
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

  /** A channel on a saturated connection moves once its publishes there are answered, if another would send sooner. */
  #checkSaturation(home: Home): void {
    if (!this.#saturated(home.member) || home.moving || home.inFlight === 0) return;
    if (this.#elsewhereSooner(home.member)) home.moving = true;
  }

  #saturated(member: PoolMember): boolean {
    const saturated = member.client.publishSaturated;
    if (saturated) this.#atQuota = true;
    return saturated;
  }

  #perChannel(): number {
    return this.#atQuota ? PER_CHANNEL_IN_FLIGHT : Infinity;
  }

  /** A publish of the channel was answered: the next ones go on, over another connection when it is moving. */
  #answered(channel: string, home: Home): void {
    home.inFlight--;
    this.#checkSaturation(home);
    if (home.moving && home.inFlight > 0) return;
    const from = home.member;
    if (home.moving) {
      home.moving = false;
      from.homes--;
      home.member = this.#leastBusy();
      home.member.homes++;
      this.#options.changed(from);
    }
    while (home.waiting.length > 0 && home.inFlight < this.#perChannel()) home.waiting.shift()?.();
    if (home.inFlight === 0 && home.waiting.length === 0) {
      this.#homes.delete(channel);
      home.member.homes--;
      this.#options.changed(home.member);
    }
  }

  /** Whether a publish would leave sooner elsewhere: another connection is not saturated, or one more may be opened. */
  #elsewhereSooner(current: PoolMember): boolean {
    return this.#options.canGrow() || this.#options.connections().some((m) => m !== current && !m.client.publishSaturated);
  }

  /** A new channel's connection: the first not saturated (the first connection while it keeps up), else as a move. */
  #firstFree(): PoolMember {
    return this.#options.connections().find((m) => !this.#saturated(m)) ?? this.#leastBusy();
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
