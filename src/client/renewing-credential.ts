import { EventsError } from '../protocol/errors';
import { renewableCredential, type RenewableCredential } from './renewable-credential';

/** A credential and when it stops being accepted (milliseconds since 1970; undefined: never). */
export interface Expiring<T> {
  value: T;
  expiresAt?: number;
}

const RENEW_BEFORE_MS = 5 * 60_000;
/** After a failed renewal, how long callers get the same error instead of a new call to the identity service each. */
const FAILURE_HOLD_MS = 5_000;

/**
 * When a credential obtained at `obtainedAt` is renewed: 5 minutes before it expires, or once 80 % of its lifetime
 * has passed when the lifetime is too short for that (a 1-hour token at 55 minutes, a 15-second one at 12 s).
 */
export function renewalTime(obtainedAt: number, expiresAt: number): number {
  const lifetime = expiresAt - obtainedAt;
  return Math.max(expiresAt - RENEW_BEFORE_MS, obtainedAt + 0.8 * lifetime);
}

/**
 * A credential that renews itself. Callers get the current value at once while it is fresh; once its renewal time
 * has come the next caller waits for one renewal, shared by every caller, so that a connection is never opened
 * with a credential about to expire. When the renewal fails, a value that has not expired yet is still given (and
 * the failure held for a few seconds, so that callers do not each call the identity service). `renew(stale)` forces
 * a renewal after the service refused `stale`, unless the value has already changed since (concurrent refusals
 * renew once).
 */
export class RenewingCredential<T> {
  #current: (Expiring<T> & { renewAt: number }) | undefined;
  #inFlight: Promise<T> | undefined;
  #failure: { error: unknown; at: number } | undefined;

  constructor(
    private readonly obtain: (previous: T | undefined) => Promise<Expiring<T>>,
    private readonly identify: (value: T) => string,
    private readonly schedule: (obtainedAt: number, expiresAt: number) => number = renewalTime,
    private readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<T> {
    const current = this.#current;
    const now = this.now();
    const valid = current !== undefined && (current.expiresAt === undefined || now < current.expiresAt);
    if (valid && now < current.renewAt) return current.value;
    const held = this.#heldFailure(now);
    if (held) {
      if (valid) return current.value;
      throw held.error;
    }
    try {
      return await this.#renew();
    } catch (err) {
      if (valid && current.expiresAt !== undefined && this.now() < current.expiresAt) return current.value;
      throw err;
    }
  }

  /** Renews now unless the value the service refused (`stale`, as `identify` names it) was already replaced. */
  async renew(stale: string): Promise<void> {
    if (this.#inFlight) {
      await this.#inFlight;
      return;
    }
    if (this.#current && this.identify(this.#current.value) !== stale) return;
    this.#current = undefined;
    this.#failure = undefined;
    await this.#renew();
  }

  /** This credential as the authorizers take it (renewable-credential.ts). */
  provider(): RenewableCredential<T> {
    return renewableCredential(() => this.get(), (stale) => this.renew(stale), (identity) => this.expiryOf(identity));
  }

  /** The current value, without renewing it. */
  peek(): T | undefined {
    return this.#current?.value;
  }

  /** When the current value expires, if `identity` names it. */
  expiryOf(identity: string): number | undefined {
    return this.#current && this.identify(this.#current.value) === identity ? this.#current.expiresAt : undefined;
  }

  #heldFailure(now: number): { error: unknown } | undefined {
    return this.#failure && now - this.#failure.at < FAILURE_HOLD_MS ? this.#failure : undefined;
  }

  #renew(): Promise<T> {
    this.#inFlight ??= this.obtain(this.#current?.value).then(
      (next) => {
        const obtainedAt = this.now();
        this.#current = { ...next, renewAt: next.expiresAt === undefined ? Infinity : this.schedule(obtainedAt, next.expiresAt) };
        this.#inFlight = undefined;
        this.#failure = undefined;
        return next.value;
      },
      (err: unknown) => {
        const error = err instanceof EventsError ? err : new EventsError({ errorType: 'CredentialsError', message: err instanceof Error ? err.message : String(err), cause: err });
        this.#inFlight = undefined;
        this.#failure = { error, at: this.now() };
        throw error;
      },
    );
    return this.#inFlight;
  }
}
