/**
 * A seam for the room left on the outbox's disk, for tests that cannot mount a small disk (not root): how many of
 * `bytes` may be written to `path` now. Unset, every write goes to the file system as it is.
 */
export interface DiskSpace {
  writable(path: string, bytes: number): number;
}

/**
 * The part of `bytes` that fits, and the error a full disk gives for the rest (as `write(2)` does, after writing what
 * fitted: the outbox must cope with a record cut short).
 */
export function fitting(space: DiskSpace | undefined, path: string, bytes: Buffer): { bytes: Buffer; full?: Error } {
  const room = space ? Math.max(0, Math.min(bytes.length, space.writable(path, bytes.length))) : bytes.length;
  if (room === bytes.length) return { bytes };
  return { bytes: bytes.subarray(0, room), full: Object.assign(new Error(`ENOSPC: no space left on device, write '${path}'`), { code: 'ENOSPC' }) };
}
