import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { EventsError } from '../../protocol/errors';

/** The locks this process holds, by outbox path: a later owner in the same process (a redeploy) takes over. */
const held = new Map<string, OutboxLock>();

/** The pid a lock file names, if it names one. */
function readOwner(path: string): number | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (typeof value === 'object' && value !== null && 'pid' in value && Number.isSafeInteger(value.pid)) return Number(value.pid);
  } catch {
    // Missing, or torn by a crash while it was written: nobody holds it.
  }
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but is another user's.
    return typeof err === 'object' && err !== null && 'code' in err && err.code === 'EPERM';
  }
}

/**
 * One writer per outbox file: two Node-RED processes on one user directory (a systemd unit and a manual start) would
 * both append to, compact and rename the same file, and lose each other's publishes. The lock is a file beside
 * the outbox naming the owner's pid; a lock whose process is gone is taken over. Within one process a later owner (the
 * endpoint of a redeploy) takes it over, and the earlier one, should it still run (a close that outlived Node-RED's
 * close timeout), finds it no longer holds the lock and writes nothing. Limit: a pid is checked on this machine only,
 * so two machines or containers that share the folder over a network file system are not kept apart.
 */
export class OutboxLock {
  readonly #path: string;
  #holding = true;

  private constructor(path: string) {
    this.#path = path;
  }

  /** Takes the lock of `outboxPath`, or fails with `OutboxInUse` naming the process that holds it. */
  static acquire(outboxPath: string): OutboxLock {
    const path = `${outboxPath}.lock`;
    const owner = readOwner(path);
    // A lock naming this process's own pid is this process's (a redeploy), or a previous process's that had the same
    // pid (a container's pid 1 after a restart): either way it is taken over.
    if (owner !== undefined && owner !== process.pid && alive(owner)) {
      throw new EventsError({ errorType: 'OutboxInUse', code: owner, message: `outbox in use by process ${owner}: another Node-RED uses this user directory's outbox file ${outboxPath}; this one stores nothing there` });
    }
    const previous = held.get(path);
    if (previous) previous.#revoke();
    const lock = new OutboxLock(path);
    lock.#write();
    held.set(path, lock);
    return lock;
  }

  /** Fails when another owner took the lock over: checked before every write that could harm another owner's file. */
  check(): void {
    if (!this.#holding) throw new EventsError({ errorType: 'OutboxInUse', message: 'the outbox file was taken over by a newer endpoint (a redeploy); this one writes nothing more' });
  }

  release(): void {
    if (!this.#holding) return;
    this.#holding = false;
    held.delete(this.#path);
    try {
      unlinkSync(this.#path);
    } catch {
      // Already gone: nothing to release.
    }
  }

  #revoke(): void {
    this.#holding = false;
  }

  /** Written beside and renamed over, so that a crash never leaves a half-written lock. */
  #write(): void {
    const temp = `${this.#path}.${process.pid}.tmp`;
    const fd = openSync(temp, 'w');
    try {
      writeSync(fd, JSON.stringify({ pid: process.pid }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, this.#path);
  }
}
