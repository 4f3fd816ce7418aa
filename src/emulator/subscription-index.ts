import type { ParsedChannel } from '../protocol/channel';

export interface IndexedSubscription {
  id: string;
  channel: ParsedChannel;
}

/**
 * Subscriptions by channel: exact paths, and wildcard prefixes (`/ns/a/*` is kept under `/ns/a/`).
 * `/ns/*` receives every deeper channel (`/ns/a`, `/ns/a/b`), as D-TUT shows; whether it also receives the
 * bare `/ns` is not documented (protocol.md §5, UNCERTAIN): here it does not.
 */
export class SubscriptionIndex<S extends IndexedSubscription> {
  readonly #exact = new Map<string, Set<S>>();
  readonly #wildcards = new Map<string, Set<S>>();

  add(sub: S): void {
    const [index, key] = this.#slot(sub.channel);
    let set = index.get(key);
    if (!set) index.set(key, (set = new Set()));
    set.add(sub);
  }

  remove(sub: S): void {
    const [index, key] = this.#slot(sub.channel);
    const set = index.get(key);
    set?.delete(sub);
    if (set?.size === 0) index.delete(key);
  }

  /** Every subscription that receives an event published to `channel`. */
  matching(channel: ParsedChannel): S[] {
    const out: S[] = [...(this.#exact.get(channel.path) ?? [])];
    let prefix = '';
    for (const segment of channel.segments.slice(0, -1)) {
      prefix += `/${segment}`;
      for (const sub of this.#wildcards.get(`${prefix}/`) ?? []) out.push(sub);
    }
    return out;
  }

  #slot(channel: ParsedChannel): [Map<string, Set<S>>, string] {
    return channel.wildcard ? [this.#wildcards, channel.path.slice(0, -1)] : [this.#exact, channel.path];
  }
}
