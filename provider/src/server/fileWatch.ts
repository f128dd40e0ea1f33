/**
 * Watches a few files for replacement without a restart: the folders holding them are watched (not the files), so
 * editors that replace a file by rename and Kubernetes Secret/ConfigMap mounts, which swap the `..data` symlink, are
 * seen. Events are debounced into one `onChange`. Used for the TLS material and the runtime settings file.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

export interface FileWatchOptions {
  /** Quiet time after the last event before `onChange` (default 200 ms). */
  readonly debounceMs?: number;
  /** A folder that cannot be watched (missing, removed); the other folders keep being watched. */
  readonly onWatchError?: (dir: string, error: Error) => void;
}

export interface FileWatch {
  close(): void;
}

/** Calls `onChange` (debounced) when any of `files` may have changed: its own name, `..data`, or an unnamed event. */
export function watchFiles(files: readonly string[], onChange: () => void, options: FileWatchOptions = {}): FileWatch {
  const absolute = files.map((f) => resolve(f));
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const schedule = (): void => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, options.debounceMs ?? 200);
  };
  for (const dir of new Set(absolute.map((f) => dirname(f)))) {
    const names = new Set(absolute.filter((f) => dirname(f) === dir).map((f) => basename(f)));
    try {
      const w = watch(dir, { persistent: false }, (_event, name) => {
        if (name === null || names.has(name) || name === '..data') schedule();
      });
      w.on('error', (err) => {
        w.close();
        options.onWatchError?.(dir, err);
      });
      watchers.push(w);
    } catch (error) {
      options.onWatchError?.(dir, error as Error);
    }
  }
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
