// fs.promises is read at first use: node:fs/promises costs about 1.6 ms at load (bench section 0), which an endpoint
// without the file store need not pay.
import { closeSync, fstatSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync, promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { fitting, type DiskSpace } from './disk-space';

/**
 * Replacing the outbox file with a compacted copy never puts a shorter copy in the place of the only good one (on a
 * nearly full disk a copy can be cut short): the copy is written whole, flushed, its size checked, and only then
 * renamed over, after checking that the file it replaces is still the
 * one this outbox opened (inode). When any step fails the copy is removed and the old file stays.
 */
export function replaceFileSync(path: string, text: string, inode: number | undefined, space?: DiskSpace): void {
  renameCopy(writeCopySync(path, text, space), path, inode);
}

/** Writes the whole copy beside `path` and flushes it; removes it and fails when it is not complete. */
function writeCopySync(path: string, text: string, space: DiskSpace | undefined): string {
  const temp = `${path}.tmp`;
  const whole = Buffer.from(text, 'utf8');
  try {
    const fd = openSync(temp, 'w');
    try {
      const { bytes, full } = fitting(space, temp, whole);
      let written = 0;
      // A write may stop short of the whole (a disk that fills): go on until every byte is written or it fails.
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      if (full) throw full;
      fsyncSync(fd);
      const { size } = fstatSync(fd);
      if (size !== whole.length) throw new Error(`the compacted copy has ${size} of ${whole.length} bytes`);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    removeQuietly(temp);
    throw err;
  }
  return temp;
}

/** The same without blocking the event loop, up to the rename, which `swap` runs (the appender closes its handle around it). */
export async function writeCopy(path: string, text: string, space?: DiskSpace): Promise<string> {
  const temp = `${path}.tmp`;
  const whole = Buffer.from(text, 'utf8');
  try {
    const handle = await fs.open(temp, 'w');
    try {
      const { bytes, full } = fitting(space, temp, whole);
      await handle.writeFile(bytes);
      if (full) throw full;
      await handle.sync();
      const { size } = await handle.stat();
      if (size !== whole.length) throw new Error(`the compacted copy has ${size} of ${whole.length} bytes`);
    } finally {
      await handle.close();
    }
  } catch (err) {
    await fs.unlink(temp).catch(() => {});
    throw err;
  }
  return temp;
}

/** Renames a written copy over `path`, if `path` is still the file of `inode`. */
export function renameCopy(temp: string, path: string, inode: number | undefined): void {
  try {
    checkInode(path, inode);
    renameSync(temp, path);
  } catch (err) {
    removeQuietly(temp);
    throw err;
  }
  syncDirectory(dirname(path));
}

/** The inode of `path`, or undefined on a file system without them (Windows reports 0). */
export function inodeOf(path: string): number | undefined {
  const { ino } = statSync(path);
  return ino === 0 ? undefined : ino;
}

function checkInode(path: string, inode: number | undefined): void {
  if (inode === undefined) return;
  const now = inodeOf(path);
  if (now !== inode) throw new Error(`${path} was replaced by another writer; it is left as it is`);
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Never written, or already gone.
  }
}

/** Makes a rename durable: the directory entry is flushed too (not possible on Windows, where it is skipped). */
export function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Windows cannot open a directory for fsync; NTFS journals the rename.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
