import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real file system that fills: a tmpfs of a few hundred KB, mounted for one test (root only, as CI runs). */
export interface SmallDisk {
  dir: string;
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
