import { EventsError } from '../protocol/errors';
import type { Logger } from './logger';

// Patterns that look like secrets even when we never saw the value: SigV4 signatures and security tokens
// (the service echoes the canonical string in signature-mismatch errors, I-14001), API keys, bearer tokens,
// JWTs and the base64url auth subprotocol.
const PATTERNS: Array<[RegExp, string]> = [
  [/Signature=[0-9a-fA-F]+/g, 'Signature=[redacted]'],
  [/(x-amz-security-token\s*[:=]\s*)[^\s,'"]+/gi, '$1[redacted]'],
  [/(Credential=)[A-Z0-9]+/g, '$1[redacted]'],
  [/\bda2-[a-z0-9]{20,}\b/g, '[redacted-api-key]'],
  [/\b(Bearer\s+)[^\s,'"]+/gi, '$1[redacted]'],
  [/\beyJ[\w-]+\.[\w-]+\.[\w-]*/g, '[redacted-jwt]'],
  [/\bheader-[A-Za-z0-9_-]{8,}/g, 'header-[redacted]'],
];

/** Header names whose values are secrets. */
const SECRET_HEADERS = new Set(['x-api-key', 'authorization', 'x-amz-security-token']);
/** Keys and tokens change only when refreshed; the oldest are forgotten past this many. */
const MAX_SECRETS = 100;

/**
 * Remembers every secret value a client handles (keys, tokens, signatures) and removes them, and anything
 * shaped like one, from log lines and error messages. One per client: no global state.
 */
export class SecretScrubber {
  readonly #secrets = new Set<string>();

  add(value: string | undefined): void {
    if (!value || value.length < 4 || this.#secrets.has(value)) return;
    if (this.#secrets.size >= MAX_SECRETS) this.#secrets.delete(this.#secrets.values().next().value!);
    this.#secrets.add(value);
  }

  /** Secrets remembered now. */
  get size(): number {
    return this.#secrets.size;
  }

  /**
   * Learns the secret values of an authorization header object. A SigV4 `authorization` header is new on every
   * request and its secret parts are caught by the Signature and Credential patterns: keeping each would grow
   * without end.
   */
  addHeaders(headers: Readonly<Record<string, string>>): void {
    // Runs for every operation: a plain loop, no array of entries.
    for (const k in headers) {
      const v = headers[k];
      if (v !== undefined && SECRET_HEADERS.has(k.toLowerCase()) && !v.startsWith('AWS4-HMAC-SHA256')) this.add(v);
    }
  }

  scrub(text: string): string {
    let out = text;
    for (const s of this.#secrets) if (out.includes(s)) out = out.split(s).join('[redacted]');
    for (const [re, replacement] of PATTERNS) out = out.replace(re, replacement);
    return out;
  }

  /** An EventsError whose message carries no secret. */
  error(err: unknown, fallbackType = 'NetworkError'): EventsError {
    if (err instanceof EventsError) {
      const message = this.scrub(err.message);
      if (message === err.message) return err;
      return new EventsError({
        errorType: err.errorType,
        message: message.slice(err.errorType.length + 2),
        code: err.code,
        retryable: err.retryable,
        hint: err.hint,
      });
    }
    // String() of a foreign object can itself throw (an own `toString` that is not a function).
    const message = err instanceof Error && typeof err.message === 'string' ? err.message : typeof err === 'string' ? err : 'an unknown error';
    return new EventsError({ errorType: fallbackType, message: this.scrub(message) });
  }

  logger(inner: Logger): Logger {
    return {
      error: (m) => inner.error(this.scrub(m)),
      warn: (m) => inner.warn(this.scrub(m)),
      info: (m) => inner.info(this.scrub(m)),
      debug: (m) => inner.debug(this.scrub(m)),
      trace: (m) => inner.trace?.(this.scrub(m)),
      traceEnabled: inner.traceEnabled === true && inner.trace !== undefined,
    };
  }
}
