import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import type { ParsedChannel } from '../protocol/channel';
import { isJsonObject, type ServiceErrorEntry } from '../protocol/messages';
import { watchFile } from './file-watch';

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
  readonly #stopWatching: () => void;

  constructor(path: string, log: (line: string) => void) {
    this.#path = path;
    this.#log = log;
    this.#load();
    this.#stopWatching = watchFile(path, () => this.#load());
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
    this.#stopWatching();
  }

  #load(): void {
    try {
      // Microtasks run inside the call and count against its time limit: an async handler that never ends is
      // stopped too (Node's vm docs, microtaskMode).
      const context = vm.createContext({}, { microtaskMode: 'afterEvaluate' });
      vm.runInContext(CONTEXT_PRELUDE, context, { timeout: TIME_LIMIT_MS });
      try {
        vm.runInContext(handlerScript(readFileSync(this.#path, 'utf8')), context, { filename: this.#path, timeout: TIME_LIMIT_MS });
      } finally {
        this.#drainLog(context);
      }
      this.#context = context;
      this.#loadError = undefined;
      this.#log(`handlers loaded from ${this.#path}`);
    } catch (err) {
      this.#context = undefined;
      this.#loadError = errorMessage(err);
      this.#log(`handlers in ${this.#path} do not load: ${this.#loadError}`);
    }
  }

  /** What the handler wrote with console.log, kept in its own context (a function of ours there would hand out our realm). */
  #drainLog(context: vm.Context): void {
    const lines: unknown = vm.runInContext('JSON.stringify(__logs.splice(0))', context, { timeout: TIME_LIMIT_MS });
    const parsed: unknown = typeof lines === 'string' ? JSON.parse(lines) : [];
    if (Array.isArray(parsed)) for (const line of parsed) this.#log(`handler ${this.#path}: ${String(line)}`);
  }

  /**
   * Runs one handler with the time limit, an async one to its end; its answer is copied out as JSON text (a value of
   * another realm is not ours).
   */
  #call(name: 'onPublish' | 'onSubscribe', ctx: HandlerContext): HandlerOutcome<unknown> {
    const context = this.#context;
    if (!context) return { ok: false, error: { errorType: 'BadRequestException', message: `The code handlers do not load: ${this.#loadError ?? 'unknown error'}` } };
    context.__ctxText = JSON.stringify(ctx);
    let out: unknown;
    try {
      vm.runInContext(`__run(${JSON.stringify(name)})`, context, { timeout: TIME_LIMIT_MS });
      out = context.__out;
    } catch (err) {
      out = { thrown: err };
    } finally {
      this.#drainLog(context);
    }
    return callOutcome(name, ctx, out);
  }
}

/** A handler's end as `__run` leaves it in `__out`: absent, an answer as JSON text, a throw, or not finished. */
function callOutcome(name: 'onPublish' | 'onSubscribe', ctx: HandlerContext, out: unknown): HandlerOutcome<unknown> {
  if (!isJsonObject(out)) {
    return { ok: false, error: { errorType: 'BadRequestException', message: `${name} failed: it did not finish (an await that never resolves)` } };
  }
  if (out.absent === true) return { ok: true, value: name === 'onPublish' ? ctx.events : undefined };
  if (typeof out.text === 'string') return { ok: true, value: JSON.parse(out.text) };
  const err = out.thrown;
  if (isRefusal(err)) {
    // util.unauthorized(): "Unauthorized" (I-14947); util.error(): the handler's message (D-HANDLERS).
    return { ok: false, error: err.__appsync === 'Unauthorized' ? { errorType: 'Unauthorized', message: 'Unauthorized' } : { errorType: err.type ?? 'Error', message: err.message ?? '' } };
  }
  // How AppSync reports a handler that throws or runs too long is not documented (UNCERTAIN).
  return { ok: false, error: { errorType: 'BadRequestException', message: `${name} failed: ${errorMessage(err)}` } };
}

/** The message of an error from either realm (`instanceof Error` is false for the context's errors). */
function errorMessage(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'message' in err) return String(err.message);
  return String(err);
}

/** The module as a script: its `@aws-appsync/utils` import given by the context, its exports collected. */
function handlerScript(source: string): string {
  const body = source
    .replace(/^\s*import\s*\{[^}]*\}\s*from\s*['"]@aws-appsync\/utils['"]\s*;?/gm, '')
    .replace(/^(\s*)export\s+(?=(?:async\s+)?function\b|const\b|let\b|var\b)/gm, '$1');
  return `${body}\n;globalThis.__handlers = { onPublish: typeof onPublish === 'function' ? onPublish : undefined, onSubscribe: typeof onSubscribe === 'function' ? onSubscribe : undefined };`;
}

/**
 * What the context holds before the handlers load: `util` (the part of `@aws-appsync/utils` event handlers use, the
 * runtime utilities page), `console.log`, and `__run`, which calls a handler and leaves its end in `__out`. All of it
 * is written in the context's own realm: a function of the emulator's handed in would give the handler our `Function`
 * constructor, and with it `process` (`util.autoId.constructor('return process')()`). This closes that door only;
 * node:vm is no security boundary, and handlers are trusted code (README).
 */
const CONTEXT_PRELUDE = `
globalThis.__logs = [];
globalThis.console = { log: (...a) => { if (__logs.length < 1000) __logs.push(a.map(String).join(' ')); } };
globalThis.util = {
  unauthorized() { throw { __appsync: 'Unauthorized' }; },
  error(message, type) { throw { __appsync: 'Error', message: String(message), type: typeof type === 'string' ? type : undefined }; },
  // A v4 UUID from Math.random: the context has no crypto, and the emulator's ids need be unique, not secret.
  autoId() {
    const hex = [];
    for (let i = 0; i < 32; i++) hex.push(Math.floor(Math.random() * 16).toString(16));
    hex[12] = '4';
    hex[16] = (8 + Math.floor(Math.random() * 4)).toString(16);
    const h = hex.join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  },
  time: {
    nowISO8601: () => new Date().toISOString(),
    nowEpochMilliSeconds: () => Date.now(),
    nowEpochSeconds: () => Math.floor(Date.now() / 1000),
  },
};
globalThis.__run = (name) => {
  globalThis.__out = undefined;
  const handler = __handlers[name];
  if (!handler) { __out = { absent: true }; return; }
  try {
    Promise.resolve(handler(JSON.parse(__ctxText))).then(
      (value) => { __out = { text: JSON.stringify(value) ?? 'null' }; },
      (thrown) => { __out = { thrown }; },
    );
  } catch (thrown) {
    __out = { thrown };
  }
};
`;
