import { pathToFileURL } from 'node:url';
import { isJsonObject } from '../protocol/messages';
import { watchFile } from './file-watch';

/** How long the authorizer may take; AppSync's own limit is not documented for Events (UNCERTAIN). */
const TIME_LIMIT_MS = 5_000;

export type LambdaOperation = 'EVENT_CONNECT' | 'EVENT_SUBSCRIBE' | 'EVENT_PUBLISH';

export interface LambdaVerdict {
  isAuthorized: boolean;
  /** What handlers see as `ctx.identity.handlerContext`. */
  handlerContext: unknown;
}

/**
 * A stand-in for an AppSync Lambda authorizer: a local module whose `handler` (or default export) receives what the
 * service sends a Lambda authorizer (`authorizationToken`, `requestContext` with `operation` EVENT_CONNECT,
 * EVENT_SUBSCRIBE or EVENT_PUBLISH, the channel namespace and channel) and answers `isAuthorized`, and optionally
 * `ttlOverride` (seconds the answer is cached for that token and request) and `handlerContext`. The module is loaded
 * again when its file changes (file-watch.ts); one that throws, is slow, or answers something else authorizes
 * nothing. Node keeps every version of an ES module it imported, so each edit costs one more module in memory.
 */
export class LambdaAuthorizer {
  readonly #path: string;
  readonly #log: (line: string) => void;
  readonly #cache = new Map<string, { verdict: LambdaVerdict; until: number }>();
  /** Counts the file's changes: the module's URL carries it, so that an edit is imported afresh. */
  #version = 0;
  readonly #stopWatching: () => void;

  constructor(path: string, log: (line: string) => void) {
    this.#path = path;
    this.#log = log;
    this.#stopWatching = watchFile(path, () => {
      this.#version++;
      this.#log(`lambda authorizer ${path}: changed, loaded again at its next call`);
    });
  }

  close(): void {
    this.#stopWatching();
  }

  async authorize(token: string, operation: LambdaOperation, channel?: { namespace: string; path: string }): Promise<LambdaVerdict> {
    const key = `${operation}\u0000${channel?.path ?? ''}\u0000${token}`;
    const cached = this.#cache.get(key);
    if (cached && cached.until > Date.now()) return cached.verdict;
    let timer: NodeJS.Timeout | undefined;
    try {
      const handler = await this.#handler();
      const event = {
        authorizationToken: token,
        requestContext: { apiId: 'local', accountId: '000000000000', requestId: crypto.randomUUID(), operation, channelNamespaceName: channel?.namespace, channel: channel?.path },
        requestHeaders: {},
      };
      const answer: unknown = await Promise.race([
        handler(event),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${TIME_LIMIT_MS} ms`)), TIME_LIMIT_MS))),
      ]);
      if (!isJsonObject(answer) || typeof answer.isAuthorized !== 'boolean') throw new Error('the answer has no isAuthorized boolean');
      const verdict = { isAuthorized: answer.isAuthorized, handlerContext: answer.handlerContext ?? null };
      const ttl = typeof answer.ttlOverride === 'number' && answer.ttlOverride > 0 ? answer.ttlOverride : 0;
      if (ttl > 0) this.#cache.set(key, { verdict, until: Date.now() + ttl * 1000 });
      return verdict;
    } catch (err) {
      this.#log(`lambda authorizer ${this.#path}: ${err instanceof Error ? err.message : String(err)}`);
      return { isAuthorized: false, handlerContext: null };
    } finally {
      clearTimeout(timer);
    }
  }

  /** The module's handler, imported again after the file changed. */
  async #handler(): Promise<(event: unknown) => unknown> {
    const url = `${pathToFileURL(this.#path).href}?v=${this.#version}`;
    const module: unknown = await import(url);
    const candidate = isJsonObject(module) ? (module.handler ?? module.default) : undefined;
    if (typeof candidate !== 'function') throw new Error('the module exports no handler function');
    return (event) => Reflect.apply(candidate, undefined, [event]);
  }
}
