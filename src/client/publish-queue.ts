import type { PublishResult } from '../protocol/publish-result';
import type { AuthorizationHeaders, Authorizer } from './authorizer';
import type { Deferred } from './deferred';

/** One publish request of at most 5 events, from the caller's call until its acknowledgement. */
export interface PublishRequest {
  id: string;
  channel: string;
  /** The events as JSON texts, unescaped: escaping for an IAM signature happens when the body is signed. */
  events: readonly string[];
  authorizer: Authorizer;
  done: Deferred<PublishResult>;
  /** The authorization it was last sent with, and whether its refusal already renewed it (credential-renewal.ts). */
  authorization?: AuthorizationHeaders;
  renewed?: boolean;
  /** When it was first sent, and how often it was throttled since: throttled publishes are sent again until the request timeout. */
  firstSentAt?: number;
  throttled?: number;
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

/** The default queue: bounded, in memory, lost when the process ends. */
export class MemoryPublishQueue implements PublishQueue {
  #requests: PublishRequest[] = [];

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.#requests.length;
  }

  hasRoom(count: number): boolean {
    return this.#requests.length + count <= this.limit;
  }

  push(request: PublishRequest): void {
    this.#requests.push(request);
  }

  requeue(requests: readonly PublishRequest[]): void {
    this.#requests = [...requests, ...this.#requests];
  }

  takeAll(): PublishRequest[] {
    const all = this.#requests;
    this.#requests = [];
    return all;
  }

  shift(): PublishRequest | undefined {
    return this.#requests.shift();
  }
}
