/** A file system error in words a user acts on: "disk full" rather than ENOSPC. */
export function diskErrorWords(err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  const words: Record<string, string> = {
    ENOSPC: 'disk full',
    EDQUOT: 'disk quota exceeded',
    EROFS: 'read-only file system',
    EIO: 'input/output error of the disk',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
  };
  const message = err instanceof Error ? err.message : String(err);
  return words[code] ? `${words[code]} (${message})` : message;
}
