import { randomUUID } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import vm from 'node:vm';
import type { ParsedChannel } from '../protocol/channel';
import { isJsonObject, type ServiceErrorEntry } from '../protocol/messages';

/** What a handler may run before it is stopped: AppSync bounds handlers too; its figure is not documented (UNCERTAIN). */
const TIME_LIMIT_MS = 1_000;

/** The context AppSync gives a handler (D-HANDLERS: events, identity, info.channel, info.channelNamespace, info.operation). */
export interface HandlerContext {
  events?: Array<{ id: string; payload: unknown }>;
  channel: string;
  identity: unknown;
  info: { channel: { path: string; segments: string[] }; channelNamespace: { name: string }; operation: 'PUBLISH' | 'SUBSCRIBE' };
}

/** The context of an operation on `channel` in `namespace`, as both handlers receive it. */
export function handlerContext(channel: ParsedChannel, namespace: string, operation: 'PUBLISH' | 'SUBSCRIBE', identity: unknown): HandlerContext {
  return { channel: channel.path, identity, info: { channel: { path: channel.path, segments: channel.segments }, channelNamespace: { name: namespace }, operation } };
}

/** An event `onPublish` returned: to broadcast (`payload`) or to fail (`error`). */
export type HandledEvent = { id: string; payload: unknown } | { id: string; error: string };

export type HandlerOutcome<T> = { ok: true; value: T } | { ok: false; error: ServiceErrorEntry };

/** How `util.unauthorized()` and `util.error()` leave the handler: a plain object, which crosses the context's realm. */
interface HandlerRefusal {
  __appsync: 'Unauthorized' | 'Error';
  message?: string;
  type?: string;
}

function isRefusal(err: unknown): err is HandlerRefusal {
  return typeof err === 'object' && err !== null && '__appsync' in err;
}

/**
 * An APPSYNC_JS handler module (`export function onPublish(ctx)` / `onSubscribe(ctx)`, `import { util } from
 * '@aws-appsync/utils'`), run in its own V8 context: no `require`, no `process`, no file or network access, and a time
 * limit on every call that stops even an endless loop. Its answers come out as JSON, as they would from AppSync's
 * runtime. Editing the file reloads it; a file that does not load refuses every operation with the reason.
 */
export class CodeHandlers {
  readonly #path: string;
  readonly #log: (line: string) => void;
  #context: vm.Context | undefined;
  #loadError: string | undefined;
  #watcher: FSWatcher | undefined;
  #reloadTimer: NodeJS.Timeout | undefined;

  constructor(path: string, log: (line: string) => void) {
    this.#path = path;
    this.#log = log;
    this.#load();
    try {
      this.#watcher = watch(path, () => {
        clearTimeout(this.#reloadTimer);
        this.#reloadTimer = setTimeout(() => this.#load(), 50);
      });
      this.#watcher.on('error', () => {});
    } catch {
      // A file that is not there yet: the load error says so.
    }
  }

  /** `onPublish`: the events to broadcast or fail; `null` drops them all; no handler broadcasts them as they are. */
  onPublish(ctx: HandlerContext): HandlerOutcome<HandledEvent[] | null> {
    const answer = this.#call('onPublish', ctx);
    if (!answer.ok) return answer;
    if (answer.value === undefined || answer.value === null) return { ok: true, value: null };
    if (!Array.isArray(answer.value)) return { ok: false, error: { errorType: 'BadRequestException', message: 'onPublish must return an array of events or null' } };
    const events: HandledEvent[] = [];
    for (const e of answer.value) {
      if (!isJsonObject(e) || typeof e.id !== 'string') continue;
      if (typeof e.error === 'string') events.push({ id: e.id, error: e.error });
      else events.push({ id: e.id, payload: e.payload });
    }
    return { ok: true, value: events };
  }

  /** `onSubscribe`: allowed unless it refuses (`util.unauthorized()`, `util.error()`, a throw). */
  onSubscribe(ctx: HandlerContext): HandlerOutcome<void> {
    const answer = this.#call('onSubscribe', ctx);
    return answer.ok ? { ok: true, value: undefined } : answer;
  }

  close(): void {
    clearTimeout(this.#reloadTimer);
    this.#watcher?.close();
  }

  #load(): void {
    try {
      const context = vm.createContext({ util: handlerUtil(), console: { log: (...a: unknown[]) => this.#log(`handler ${this.#path}: ${a.map(String).join(' ')}`) } });
      vm.runInContext(handlerScript(readFileSync(this.#path, 'utf8')), context, { filename: this.#path, timeout: TIME_LIMIT_MS });
      this.#context = context;
      this.#loadError = undefined;
      this.#log(`handlers loaded from ${this.#path}`);
    } catch (err) {
      this.#context = undefined;
      this.#loadError = err instanceof Error ? err.message : String(err);
      this.#log(`handlers in ${this.#path} do not load: ${this.#loadError}`);
    }
  }

  /** Runs one handler with the time limit; its answer is copied out as JSON (a value of another realm is not ours). */
  #call(name: 'onPublish' | 'onSubscribe', ctx: HandlerContext): HandlerOutcome<unknown> {
    const context = this.#context;
    if (!context) return { ok: false, error: { errorType: 'BadRequestException', message: `The code handlers do not load: ${this.#loadError ?? 'unknown error'}` } };
    context.__ctx = JSON.parse(JSON.stringify(ctx));
    try {
      const text: unknown = vm.runInContext(`__handlers.${name} ? JSON.stringify(__handlers.${name}(__ctx)) ?? 'null' : '"__absent"'`, context, { timeout: TIME_LIMIT_MS });
      const value: unknown = typeof text === 'string' ? JSON.parse(text) : null;
      return { ok: true, value: value === '__absent' ? (name === 'onPublish' ? ctx.events : undefined) : value };
    } catch (err) {
      if (isRefusal(err)) {
        // util.unauthorized(): "Unauthorized" (I-14947); util.error(): the handler's message (D-HANDLERS).
        return { ok: false, error: err.__appsync === 'Unauthorized' ? { errorType: 'Unauthorized', message: 'Unauthorized' } : { errorType: err.type ?? 'Error', message: err.message ?? '' } };
      }
      const message = err instanceof Error || (typeof err === 'object' && err !== null && 'message' in err) ? String((err as { message: unknown }).message) : String(err);
      // How AppSync reports a handler that throws or runs too long is not documented (UNCERTAIN).
      return { ok: false, error: { errorType: 'BadRequestException', message: `${name} failed: ${message}` } };
    }
  }
}

/** The module as a script: its `@aws-appsync/utils` import given by the context, its exports collected. */
function handlerScript(source: string): string {
  const body = source
    .replace(/^\s*import\s*\{[^}]*\}\s*from\s*['"]@aws-appsync\/utils['"]\s*;?/gm, '')
    .replace(/^(\s*)export\s+(?=(?:async\s+)?function\b|const\b|let\b|var\b)/gm, '$1');
  return `${body}\n;globalThis.__handlers = { onPublish: typeof onPublish === 'function' ? onPublish : undefined, onSubscribe: typeof onSubscribe === 'function' ? onSubscribe : undefined };`;
}

/** The part of `@aws-appsync/utils` that event handlers use (the runtime utilities page). */
function handlerUtil(): Record<string, unknown> {
  return {
    unauthorized(): never {
      throw { __appsync: 'Unauthorized' } satisfies HandlerRefusal;
    },
    error(message: unknown, type?: unknown): never {
      throw { __appsync: 'Error', message: String(message), type: typeof type === 'string' ? type : undefined } satisfies HandlerRefusal;
    },
    autoId: () => randomUUID(),
    time: {
      nowISO8601: () => new Date().toISOString(),
      nowEpochMilliSeconds: () => Date.now(),
      nowEpochSeconds: () => Math.floor(Date.now() / 1000),
    },
  };
}
