import type { PublishRequest } from './publish-queue';

/** An operation sent and waiting for its acknowledgement, correlated by id only (D-WS). */
export type PendingOperation = { kind: 'subscribe' } | { kind: 'unsubscribe' } | { kind: 'publish'; request: PublishRequest };

interface Entry {
  operation: PendingOperation;
  deadline: number;
}

/**
 * The operations in flight on the current socket, each given up on after the same timeout. One timer serves
 * them all: with every operation waiting the same time, deadlines grow in the order operations were added, so
 * a sweep from the oldest stops at the first that has time left. Thousands of publishes in flight cost no
 * timer each (a timer per publish was a fifth of the garbage collector's work).
 */
export class PendingOperations {
  readonly #entries = new Map<string, Entry>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly onTimeout: (id: string, operation: PendingOperation) => void,
  ) {}

  /** `id` is not pending: a subscription is sent again only after the socket's operations were cleared. */
  add(id: string, operation: PendingOperation): void {
    this.#entries.set(id, { operation, deadline: Date.now() + this.timeoutMs });
    this.#timer ??= setTimeout(() => this.#sweep(), this.timeoutMs);
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  /** Removes and returns the operation with this id, if it is of `kind`; another kind stays. */
  take<K extends PendingOperation['kind']>(id: string, kind: K): Extract<PendingOperation, { kind: K }> | undefined {
    const entry = this.#entries.get(id);
    if (!entry || !isKind(entry.operation, kind)) return undefined;
    this.#entries.delete(id);
    return entry.operation;
  }

  kindOf(id: string): PendingOperation['kind'] | undefined {
    return this.#entries.get(id)?.operation.kind;
  }

  /** Every publish in flight, in the order they were sent. */
  publishes(): PublishRequest[] {
    return [...this.#entries.values()].flatMap((e) => (e.operation.kind === 'publish' ? [e.operation.request] : []));
  }

  /** Forgets everything (the socket is gone) and returns what was in flight, in order. */
  clear(): PendingOperation[] {
    const all = [...this.#entries.values()].map((e) => e.operation);
    this.#entries.clear();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    return all;
  }

  #sweep(): void {
    this.#timer = undefined;
    const now = Date.now();
    for (const [id, entry] of this.#entries) {
      if (entry.deadline > now) {
        this.#timer = setTimeout(() => this.#sweep(), entry.deadline - now);
        return;
      }
      this.#entries.delete(id);
      this.onTimeout(id, entry.operation);
    }
  }
}

function isKind<K extends PendingOperation['kind']>(op: PendingOperation, kind: K): op is Extract<PendingOperation, { kind: K }> {
  return op.kind === kind;
}
