import type { SubscriptionState } from './connection-state';
import { isFull, type PoolMember } from './pool-member';
import type { EventMeta, SubscriptionHandlers } from './subscription-registry';
import type { SubscribeOptions, Subscription } from './websocket-options';
import type { EventsError } from '../protocol/errors';

export interface PlacementHooks {
  /** Places the subscription on a connection with room (connection-pool.ts). */
  place(subscription: PooledSubscription): void;
  /** Refused as beyond its connection's quota: true when the pool moves it, false when that refusal is final. */
  refusedForFull(subscription: PooledSubscription, member: PoolMember): boolean;
  /** The subscription is no longer on `member` (unsubscribed, refused or closed). */
  left(member: PoolMember): void;
}

const PENDING: SubscriptionState = { status: 'pending' };
const noop = () => {};

/**
 * A subscription of a connection pool: the same channel, handlers and promise whichever connection carries it. A
 * move after a MaxSubscriptionsReachedError is not a failure: its handlers never hear of that refusal, and its state
 * stays pending until the new connection acknowledges it. It is itself the handlers of the connection's subscription
 * (no closures per subscription: a gateway holds thousands).
 */
export class PooledSubscription implements Subscription, SubscriptionHandlers {
  readonly channel: string;
  readonly #handlers: SubscriptionHandlers;
  readonly #options: SubscribeOptions;
  readonly #hooks: PlacementHooks;
  /** Made when first asked for: a subscribe node with a fixed channel never waits for it. */
  #ready: Promise<void> | undefined;
  #resolve: () => void = noop;
  #reject: (err: unknown) => void = noop;
  #inner: Subscription | undefined;
  #member: PoolMember | undefined;
  #state = PENDING;

  constructor(channel: string, handlers: SubscriptionHandlers, options: SubscribeOptions, hooks: PlacementHooks) {
    this.channel = channel;
    this.#handlers = handlers;
    this.#options = options;
    this.#hooks = hooks;
  }

  get ready(): Promise<void> {
    if (!this.#ready) {
      this.#ready = new Promise<void>((resolve, reject) => {
        this.#resolve = resolve;
        this.#reject = reject;
      });
      this.#follow();
    }
    return this.#ready;
  }

  get id(): string {
    return this.#inner?.id ?? '';
  }

  get state(): SubscriptionState {
    return this.#state;
  }

  /** The state on the connection that carries it now (a refused one reads failed here before it moves). */
  get placedState(): SubscriptionState['status'] {
    return this.#inner?.state.status ?? 'pending';
  }

  /** Subscribes on `member`'s connection (the pool chose it). */
  attach(member: PoolMember): void {
    this.#member = member;
    this.#inner = member.client.subscribe(this.channel, this, this.#options);
    if (this.#ready) this.#follow();
  }

  /** `ready` follows the connection that carries the subscription now: a refusal that moved it is not a failure. */
  #follow(): void {
    const inner = this.#inner;
    inner?.ready.then(this.#resolve, (err: unknown) => inner === this.#inner && this.#fail(err));
  }

  async unsubscribe(): Promise<void> {
    const member = this.#member;
    await this.#inner?.unsubscribe();
    if (member) this.#left(member);
  }

  onEvent(event: unknown, meta: EventMeta): void {
    this.#handlers.onEvent?.(event, meta);
  }

  onError(error: EventsError, meta: EventMeta): void {
    if (meta.subscriptionId === this.#inner?.id) this.#handlers.onError?.(error, meta);
  }

  onStateChange(state: SubscriptionState, meta: EventMeta): void {
    const member = this.#member;
    if (!member || meta.subscriptionId !== this.#inner?.id) return;
    if (state.status === 'failed' && isFull(state.error) && this.#hooks.refusedForFull(this, member)) {
      this.#hooks.place(this);
      return;
    }
    if (state.status === 'failed' || state.status === 'closed') this.#left(member);
    this.#state = state;
    this.#handlers.onStateChange?.(state, meta);
  }

  #fail(err: unknown): void {
    // Marked as handled here, on failure only: a caller that never awaits `ready` gets no unhandled rejection.
    this.#ready?.catch(noop);
    this.#reject(err);
  }

  #left(member: PoolMember): void {
    if (!member.subscriptions.delete(this)) return;
    this.#hooks.left(member);
  }
}
