import type { PublishRequest } from './publish-queue';

/** An operation sent and waiting for its acknowledgement, correlated by id only (D-WS). */
export type PendingOperation = { kind: 'subscribe' } | { kind: 'unsubscribe' } | { kind: 'publish'; request: PublishRequest };

interface Entry {
  operation: PendingOperation;
  timer: NodeJS.Timeout;
}

/** The operations in flight on the current socket, each with the timer that gives up on it. */
export class PendingOperations {
  readonly #entries = new Map<string, Entry>();

  add(id: string, operation: PendingOperation, timeoutMs: number, onTimeout: () => void): void {
    const timer = setTimeout(() => {
      this.#entries.delete(id);
      onTimeout();
    }, timeoutMs);
    this.#entries.set(id, { operation, timer });
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  /** Removes and returns the operation with this id, if it is of `kind`; another kind stays. */
  take<K extends PendingOperation['kind']>(id: string, kind: K): Extract<PendingOperation, { kind: K }> | undefined {
    const entry = this.#entries.get(id);
    if (!entry || !isKind(entry.operation, kind)) return undefined;
    clearTimeout(entry.timer);
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
    const all = [...this.#entries.values()];
    this.#entries.clear();
    for (const e of all) clearTimeout(e.timer);
    return all.map((e) => e.operation);
  }
}

function isKind<K extends PendingOperation['kind']>(op: PendingOperation, kind: K): op is Extract<PendingOperation, { kind: K }> {
  return op.kind === kind;
}
