import { parseChannel } from '../protocol/channel';

/**
 * Normalised publish channels already validated. Flows publish to a few channels many times, and a node has
 * validated the channel already: a repeat costs one map lookup, not the rule's regular expressions again.
 */
export class PublishChannels {
  readonly #paths = new Map<string, string>();

  /** The wire form of `channel`, or an InvalidChannel error. */
  path(channel: string): string {
    let path = this.#paths.get(channel);
    if (path === undefined) {
      path = parseChannel(channel, 'publish').path;
      if (this.#paths.size >= 1_000) this.#paths.clear();
      this.#paths.set(channel, path);
    }
    return path;
  }
}
