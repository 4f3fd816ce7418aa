import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** The digests of each list of accepted keys or tokens, made once: the lists do not change while the emulator runs. */
const acceptedDigests = new WeakMap<readonly string[], Buffer[]>();

/**
 * Compares a presented key or token with every accepted one in constant time: hashing first gives equal
 * lengths, and no early exit tells an attacker how many characters or which key matched.
 */
export function matchesOne(candidate: string, accepted: readonly string[]): boolean {
  let digests = acceptedDigests.get(accepted);
  if (!digests) acceptedDigests.set(accepted, (digests = accepted.map(digest)));
  const presented = digest(candidate);
  let match = false;
  for (const d of digests) match = timingSafeEqual(presented, d) || match;
  return match;
}

/** One secret against one expected value (a password, a session token), in constant time. */
export function sameSecret(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}
