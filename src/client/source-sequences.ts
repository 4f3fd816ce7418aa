// fs.promises is read at first use: node:fs/promises costs about 1.6 ms at load (bench section 0), which an endpoint
// without the file store need not pay.
import { readFileSync, promises as fs } from 'node:fs';
import { isJsonObject } from '../protocol/messages';
import type { Logger } from './logger';

const FORMAT = 'appsync-events-sequences';

/**
 * The `seq` of each channel a source publishes envelopes on (protocol/envelope.ts): 1, 2, 3… With a file, the counts
 * outlive a restart. The file is written (a copy, then a rename, so it is never half written) in the turn after a
 * count moves; a SIGKILL between a publish and that write loses its count, so the counts are also raised to the
 * highest `seq` still in the outbox when the endpoint opens (`atLeast`).
 */
export class SourceSequences {
  readonly #last = new Map<string, number>();
  readonly #path: string | undefined;
  readonly #log: Logger | undefined;
  #writing: Promise<void> | undefined;
  #dirty = false;

  constructor(options: { path?: string; log?: Logger } = {}) {
    this.#path = options.path;
    this.#log = options.log;
    if (this.#path) this.#load(this.#path);
  }

  /** The next number of `channel`. */
  next(channel: string): number {
    const seq = (this.#last.get(channel) ?? 0) + 1;
    this.#last.set(channel, seq);
    this.#save();
    return seq;
  }

  /** Raises the count of `channel` to `seq` (one found in the outbox after a crash). */
  atLeast(channel: string, seq: number): void {
    if (seq <= (this.#last.get(channel) ?? 0)) return;
    this.#last.set(channel, seq);
    this.#save();
  }

  /** Resolves once every count so far is on disk. */
  async settled(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  #load(path: string): void {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return;
    }
    try {
      const parsed: unknown = JSON.parse(text);
      const counts = isJsonObject(parsed) && parsed.format === FORMAT && isJsonObject(parsed.last) ? parsed.last : {};
      for (const [channel, seq] of Object.entries(counts)) if (typeof seq === 'number' && Number.isSafeInteger(seq) && seq > 0) this.#last.set(channel, seq);
    } catch {
      this.#log?.warn(`envelope sequence file ${path} is damaged: counts start again from the outbox`);
    }
  }

  #save(): void {
    const path = this.#path;
    if (!path) return;
    this.#dirty = true;
    this.#writing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      while (this.#dirty) {
        this.#dirty = false;
        const text = JSON.stringify({ format: FORMAT, last: Object.fromEntries(this.#last) });
        try {
          await fs.writeFile(`${path}.tmp`, text);
          await fs.rename(`${path}.tmp`, path);
        } catch (err) {
          this.#log?.warn(`envelope sequence file ${path} not written: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      this.#writing = undefined;
    });
  }
}
