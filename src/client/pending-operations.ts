import type { PublishRequest } from './publish-queue';
import { isLimit, timerDelay } from './time-limit';

/** A subscribe or unsubscribe sent and waiting for its acknowledgement. */
interface SubscriptionOperation {
  readonly kind: 'subscribe' | 'unsubscribe';
  deadline: number;
}

/** An operation sent and waiting for its acknowledgement, correlated by id only (D-WS). */
export type PendingOperation = SubscriptionOperation | PublishRequest;

/**
 * The operations in flight on the current socket, each given up on after the same timeout. One timer serves
 * them all: with every operation waiting the same time, deadlines grow in the order operations were added, so
 * a sweep from the oldest stops at the first that has time left. Thousands of publishes in flight cost no
 * timer each (a timer per publish was a fifth of the garbage collector's work), and a publish request is its
 * own entry, with no wrapper object. A timeout of 0 is none: operations wait for their answer or the socket's end.
 */
export class PendingOperations {
  readonly #entries = new Map<string, PendingOperation>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly onTimeout: (id: string, operation: PendingOperation) => void,
  ) {}

  /** `id` is not pending: a subscription is sent again only after the socket's operations were cleared. */
  add(id: string, kind: SubscriptionOperation['kind']): void {
    this.#track(id, { kind, deadline: 0 });
  }

  addPublish(request: PublishRequest): void {
    this.#track(request.id, request);
  }

  #track(id: string, operation: PendingOperation): void {
    operation.deadline = isLimit(this.timeoutMs) ? Date.now() + this.timeoutMs : Infinity;
    this.#entries.set(id, operation);
    if (isLimit(this.timeoutMs)) this.#timer ??= setTimeout(() => this.#sweep(), timerDelay(this.timeoutMs));
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  /** Removes and returns the operation with this id, if it is of `kind`; another kind stays. */
  take<K extends PendingOperation['kind']>(id: string, kind: K): Extract<PendingOperation, { kind: K }> | undefined {
    const operation = this.#entries.get(id);
    if (!operation || !isKind(operation, kind)) return undefined;
    this.#entries.delete(id);
    return operation;
  }

  kindOf(id: string): PendingOperation['kind'] | undefined {
    return this.#entries.get(id)?.kind;
  }

  /** Whether any publish is in flight. */
  hasPublishes(): boolean {
    for (const op of this.#entries.values()) if (op.kind === 'publish') return true;
    return false;
  }

  /** Every publish in flight, in the order they were sent. */
  publishes(): PublishRequest[] {
    return [...this.#entries.values()].filter((op) => op.kind === 'publish');
  }

  /** Forgets everything (the socket is gone) and returns what was in flight, in order. */
  clear(): PendingOperation[] {
    const all = [...this.#entries.values()];
    this.#entries.clear();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    return all;
  }

  #sweep(): void {
    this.#timer = undefined;
    const now = Date.now();
    for (const [id, operation] of this.#entries) {
      if (operation.deadline > now) {
        this.#timer = setTimeout(() => this.#sweep(), timerDelay(operation.deadline - now));
        return;
      }
      this.#entries.delete(id);
      this.onTimeout(id, operation);
    }
  }
}

function isKind<K extends PendingOperation['kind']>(op: PendingOperation, kind: K): op is Extract<PendingOperation, { kind: K }> {
  return op.kind === kind;
}
