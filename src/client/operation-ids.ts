import { randomBytes } from 'node:crypto';

/**
 * Ids of a client's subscribe and publish operations: a random prefix per client, then a counter. The protocol asks
 * only for 1 to 128 characters of [A-Za-z0-9_+-], unique among a connection's operations (D-WS); the official
 * clients send a UUID each. A UUID per publish costs twice the caller's time of a counter (making it, and hashing
 * and comparing 36 random characters in the map of operations in flight; figures in bench/README.md). The prefix (72
 * random bits) keeps the ids of different clients and processes apart in logs.
 */
export class OperationIds {
  readonly #prefix = randomBytes(9).toString('base64url');
  #count = 0;

  next(): string {
    return `${this.#prefix}-${(this.#count++).toString(36)}`;
  }
}
