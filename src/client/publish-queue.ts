import type { PublishResult } from '../protocol/publish-result';
import type { AuthorizationHeaders, Authorizer } from './authorizer';

/**
 * One publish request of at most 5 events, from the caller's call until its acknowledgement. It is also its own
 * entry among the operations in flight (pending-operations.ts): thousands can be in flight at once, and every
 * object each one keeps alive is copied by the garbage collector while it waits: a separate promise holder and
 * pending entry per publish would be a tenth of what an in-flight publish keeps (bench/README.md).
 */
export class PublishRequest {
  readonly kind = 'publish';
  readonly promise: Promise<PublishResult>;
  resolve!: (result: PublishResult) => void;
  reject!: (err: unknown) => void;
  /** When the answer to its current send is given up on (set by PendingOperations). */
  deadline = 0;
  /** The authorization it was last sent with, and whether its refusal already renewed it (refusal-renewal.ts). */
  authorization?: AuthorizationHeaders;
  renewed?: boolean;

  constructor(
    readonly id: string,
    readonly channel: string,
    /** The events as JSON texts, unescaped: escaping for an IAM signature happens when the body is signed. */
    readonly events: readonly string[],
    readonly authorizer: Authorizer,
  ) {
    this.promise = new Promise<PublishResult>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

/**
 * Publish requests waiting for a connection, oldest first. An interface, so that a store that outlives the
 * process can take the place of memory.
 */
export interface PublishQueue {
  readonly size: number;
  /** Whether `count` more requests fit. */
  hasRoom(count: number): boolean;
  push(request: PublishRequest): void;
  /** Puts requests back at the front, in their order (they were in flight when the socket dropped). */
  requeue(requests: readonly PublishRequest[]): void;
  /** Removes and returns every waiting request, oldest first. */
  takeAll(): PublishRequest[];
  /** Removes and returns the oldest waiting request. */
  shift(): PublishRequest | undefined;
}

/**
 * The default queue: bounded, in memory, lost when the process ends. A burst drains from the front a turn at a time
 * (turn-budget.ts), and `Array.prototype.shift` copies the whole array each time: taken from 20,000 waiting
 * requests that was most of the CPU's work (bench/README.md). The front is an index instead, and the array is trimmed
 * now and then.
 */
export class MemoryPublishQueue implements PublishQueue {
  #requests: PublishRequest[] = [];
  #head = 0;

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.#requests.length - this.#head;
  }

  hasRoom(count: number): boolean {
    return this.size + count <= this.limit;
  }

  push(request: PublishRequest): void {
    this.#requests.push(request);
  }

  requeue(requests: readonly PublishRequest[]): void {
    this.#requests = [...requests, ...this.takeAll()];
  }

  takeAll(): PublishRequest[] {
    const all = this.#head === 0 ? this.#requests : this.#requests.slice(this.#head);
    this.#requests = [];
    this.#head = 0;
    return all;
  }

  shift(): PublishRequest | undefined {
    if (this.#head === this.#requests.length) return undefined;
    const request = this.#requests[this.#head++];
    // Trimmed once the taken front is half the array: each request is copied about once.
    if (this.#head >= 1_024 && this.#head * 2 >= this.#requests.length) {
      this.#requests = this.#requests.slice(this.#head);
      this.#head = 0;
    }
    return request;
  }
}
