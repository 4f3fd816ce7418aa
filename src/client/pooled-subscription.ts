import { deferred } from './deferred';
import type { SubscriptionState } from './connection-state';
import type { EventMeta, SubscriptionHandlers } from './subscription-registry';
import type { SubscribeOptions, Subscription } from './websocket-options';
import { isFull, type PoolMember } from './pool-member';

export interface PlacementHooks {
  /** Places the subscription on a connection with room (connection-pool.ts). */
  place(subscription: PooledSubscription): void;
  /** Refused as beyond its connection's quota: true when the pool moves it, false when that refusal is final. */
  refusedForFull(subscription: PooledSubscription, member: PoolMember): boolean;
  /** The subscription is no longer on `member` (unsubscribed, refused or closed). */
  left(member: PoolMember): void;
}

/**
 * A subscription of a connection pool: the same channel, handlers and promise whichever connection carries it. A
 * move after a MaxSubscriptionsReachedError is not a failure: its handlers never hear of that refusal, and its state
 * stays pending until the new connection acknowledges it.
 */
export class PooledSubscription implements Subscription {
  readonly channel: string;
  readonly #handlers: SubscriptionHandlers;
  readonly #options: SubscribeOptions;
  readonly #hooks: PlacementHooks;
  readonly #ready = deferred<void>(true);
  #inner: Subscription | undefined;
  #member: PoolMember | undefined;
  #state: SubscriptionState = { status: 'pending' };

  constructor(channel: string, handlers: SubscriptionHandlers, options: SubscribeOptions, hooks: PlacementHooks) {
    this.channel = channel;
    this.#handlers = handlers;
    this.#options = options;
    this.#hooks = hooks;
  }

  get id(): string {
    return this.#inner?.id ?? '';
  }

  get state(): SubscriptionState {
    return this.#state;
  }

  get ready(): Promise<void> {
    return this.#ready.promise;
  }

  /** The state on the connection that carries it now (a refused one reads failed here before it moves). */
  get placedState(): SubscriptionState['status'] {
    return this.#inner?.state.status ?? 'pending';
  }

  /** Subscribes on `member`'s connection (the pool chose it). */
  attach(member: PoolMember): void {
    this.#member = member;
    let moved = false;
    const handlers: SubscriptionHandlers = {
      onEvent: (event, meta) => this.#handlers.onEvent?.(event, meta),
      onError: (error, meta) => {
        if (!moved) this.#handlers.onError?.(error, meta);
      },
      onStateChange: (state, meta) => {
        if (state.status === 'failed' && isFull(state.error) && this.#hooks.refusedForFull(this, member)) {
          moved = true;
          this.#hooks.place(this);
          return;
        }
        if (state.status === 'failed' || state.status === 'closed') this.#left(member);
        this.#setState(state, meta);
      },
    };
    const inner = member.client.subscribe(this.channel, handlers, this.#options);
    this.#inner = inner;
    inner.ready.then(
      () => this.#ready.resolve(),
      (err: unknown) => moved || this.#ready.reject(err),
    );
  }

  async unsubscribe(): Promise<void> {
    const member = this.#member;
    await this.#inner?.unsubscribe();
    if (member) this.#left(member);
  }

  #left(member: PoolMember): void {
    if (!member.subscriptions.delete(this)) return;
    this.#hooks.left(member);
  }

  #setState(state: SubscriptionState, meta: EventMeta): void {
    this.#state = state;
    this.#handlers.onStateChange?.(state, meta);
  }
}
