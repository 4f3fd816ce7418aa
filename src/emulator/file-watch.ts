import { watch, type FSWatcher } from 'node:fs';

/**
 * Calls `changed` 50 ms after the last change event of the file at `path` (an editor's save is several events): the one
 * reload mechanism of the emulator's code handlers and its Lambda authorizer stand-in. A file that is not there yet
 * is not watched; whoever loads it reports that. Returns the function that stops watching.
 */
export function watchFile(path: string, changed: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(path, () => {
      clearTimeout(timer);
      timer = setTimeout(changed, 50);
    });
    watcher.on('error', () => {});
  } catch {
    // Not there yet: nothing to watch.
  }
  return () => {
    clearTimeout(timer);
    watcher?.close();
  };
}
