import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statfsSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { DiskSpace } from '../../src/client/outbox/disk-space';

/**
 * A disk that fills: a real tmpfs of a few hundred KB, mounted for one test (root only, as CI runs), or a folder whose
 * writes the outbox checks against a size through its `space` seam (any user).
 */
export interface SmallDisk {
  /** Which it is: the suite runs on each it can have. */
  kind: 'tmpfs' | 'simulated';
  dir: string;
  /** The seam the outbox is given on a simulated disk; undefined on a real one. */
  space?: DiskSpace;
  /** Fills the disk with a filler file, leaving about `leaveBytes` free. */
  fill(leaveBytes: number): void;
  /** Removes the filler: space returns. */
  free(): void;
  unmount(): void;
}

/** Mounts a tmpfs of `sizeKb`; undefined where this process may not mount (not root). */
export function mountSmallDisk(sizeKb: number): SmallDisk | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'appsync-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', dir]);
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  const filler = join(dir, 'filler');
  return {
    kind: 'tmpfs',
    dir,
    fill(leaveBytes) {
      const { bavail, bsize } = statfsSync(dir);
      const fillBytes = Math.max(0, bavail * bsize - leaveBytes);
      writeFileSync(filler, Buffer.alloc(fillBytes));
    },
    free() {
      unlinkSync(filler);
    },
    unmount() {
      execFileSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The bytes of every file below `dir`. */
function usedBytes(dir: string): number {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).reduce((sum, name) => {
    const stat = statSync(join(dir, name), { throwIfNoEntry: false });
    return sum + (stat?.isFile() ? stat.size : 0);
  }, 0);
}

/**
 * A disk of `sizeKb` made of a temporary folder: the outbox asks its `space` before each write, which allows what the
 * files below the folder leave of the size (less a filler that `fill` sets), as a full tmpfs would; the rest of the
 * write fails with ENOSPC after the part that fitted is written.
 */
export function simulatedSmallDisk(sizeKb: number): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), 'appsync-simulated-disk-'));
  let filler = 0;
  const free = () => sizeKb * 1024 - filler - usedBytes(dir);
  return {
    kind: 'simulated',
    dir,
    space: { writable: (path, bytes) => (relative(dir, path).startsWith('..') ? bytes : Math.max(0, Math.min(bytes, free()))) },
    fill(leaveBytes) {
      filler = Math.max(0, free() - leaveBytes);
    },
    free() {
      filler = 0;
    },
    unmount() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
