import { sleep } from '../../support/wait';

/** Heap in use after full garbage collections (the suite runs with --expose-gc). */
export async function heapAfterGc(): Promise<number> {
  const gc = globalThis.gc;
  if (!gc) throw new Error('run with --expose-gc');
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(20);
  }
  return process.memoryUsage().heapUsed;
}

export const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;
