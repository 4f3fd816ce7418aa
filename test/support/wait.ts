/** Resolves when `predicate` holds, polling; rejects after `timeoutMs` with `what` in the message. */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Collects values pushed by a callback and lets a test wait for a count. */
export class Collector<T> {
  readonly items: T[] = [];
  readonly push = (item: T): void => {
    this.items.push(item);
  };
  async waitFor(count: number, timeoutMs = 5_000): Promise<T[]> {
    await waitFor(() => this.items.length >= count, `${count} items (have ${this.items.length})`, timeoutMs);
    return this.items;
  }
}
