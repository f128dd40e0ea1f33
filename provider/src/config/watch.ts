/**
 * A ConfigSource over files: loads the config paths, then watches every folder the load read from (fs.watch on
 * folders, so editors that replace files and Kubernetes ConfigMap symlink swaps are seen) and re-checks the stamps
 * (mtime, size, folder entries) on a slow poll in case a watch event is lost. A change whose bytes differ from the
 * current configuration's bumps the generation; an invalid change keeps the last good Config and sets lastError().
 */
import { watch as fsWatch } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ConfigError } from './errors.js';
import { stampsChanged, type Stamps } from './inputs.js';
import { attemptLoadFromFiles, type LoadOptions } from './load.js';
import type { Config, ConfigSource } from './types.js';
import { serialRunner } from './serialRunner.js';

export interface Watcher {
  close(): void;
  /** False once the watch has failed (folder missing or removed); it is then re-created on the next load. */
  alive?(): boolean;
}
/** Watches one folder; `onEvent` on any change inside it. Must not throw: a missing folder gives a dead watcher. */
export type WatchFolder = (dir: string, onEvent: () => void) => Watcher;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface WatchOptions extends Partial<LoadOptions> {
  /** Called with every rejected load (the initial one included). */
  readonly onError?: (error: ConfigError) => void;
  /** Quiet time after a change event before reloading (default 200 ms). */
  readonly debounceMs?: number;
  /** Stamp re-check interval, the fallback for lost events (default 5000 ms; 0 disables). */
  readonly pollMs?: number;
  /** Injectable for tests: the folder watcher (default fs.watch) and the timers (default the globals). */
  readonly watchFolder?: WatchFolder;
  readonly timers?: Timers;
}

export interface FileConfigSource extends ConfigSource {
  /** Loads now; resolves true when a new Config was accepted. */
  reload(): Promise<boolean>;
  /** Folders being watched (for diagnostics). */
  watchedFolders(): readonly string[];
}

const defaultTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  setInterval: (fn, ms) => {
    const t = setInterval(fn, ms);
    t.unref();
    return t;
  },
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};

const defaultWatchFolder: WatchFolder = (dir, onEvent) => {
  let alive = true;
  try {
    const w = fsWatch(dir, { persistent: false }, () => onEvent());
    w.on('error', () => {
      alive = false;
      w.close();
      onEvent();
    });
    return { close: () => w.close(), alive: () => alive };
  } catch {
    return { close() {}, alive: () => false };
  }
};

/** Folders to watch: each stamped path's folder, each folder itself, and each configured path's folder. */
function foldersOf(paths: readonly string[], stamps: Stamps): string[] {
  const out = new Set<string>();
  for (const p of paths) out.add(dirname(resolve(p)));
  for (const [path, stamp] of stamps) {
    out.add(stamp.startsWith('dir:') ? path : dirname(path));
  }
  return [...out].sort();
}

/** Loads `paths` and keeps the Config current as they change. Resolves after the first load attempt. */
export async function watchConfigFiles(paths: readonly string[], options: WatchOptions = {}): Promise<FileConfigSource> {
  const timers = options.timers ?? defaultTimers;
  const watchFolder = options.watchFolder ?? defaultWatchFolder;
  const debounceMs = options.debounceMs ?? 200;
  const pollMs = options.pollMs ?? 5000;
  const firstGeneration = options.generation ?? 1;

  let current: Config | undefined;
  let currentDigest: string | undefined;
  let lastError: string | undefined;
  let stamps: Stamps = new Map();
  let closed = false;
  let debounce: unknown;
  const listeners = new Set<(config: Config) => void>();
  const watchers = new Map<string, Watcher>();

  const onEvent = (): void => {
    if (closed) return;
    if (debounce !== undefined) timers.clearTimeout(debounce);
    debounce = timers.setTimeout(() => {
      debounce = undefined;
      void reload();
    }, debounceMs);
  };

  const rewatch = (): void => {
    const wanted = new Set(foldersOf(paths, stamps));
    for (const [dir, w] of watchers) {
      if (!wanted.has(dir)) {
        w.close();
        watchers.delete(dir);
      }
    }
    for (const dir of wanted) {
      const existing = watchers.get(dir);
      if (existing && existing.alive?.() !== false) continue;
      existing?.close();
      watchers.set(dir, watchFolder(dir, onEvent));
    }
  };

  const loadOnce = async (): Promise<boolean> => {
    const generation = current ? current.generation + 1 : firstGeneration;
    const result = await attemptLoadFromFiles(paths, { ...options, generation });
    if (closed) return false;
    stamps = result.stamps;
    rewatch();
    if (result.error || !result.config) {
      if (result.error) {
        lastError = result.error.message;
        options.onError?.(result.error);
      }
      return false;
    }
    lastError = undefined;
    if (current && result.digest === currentDigest) return false;
    current = result.config;
    currentDigest = result.digest;
    for (const listener of [...listeners]) {
      try {
        listener(result.config);
      } catch {
        // A listener's failure is its own; the other listeners still hear of the change.
      }
    }
    return true;
  };

  /** One load at a time; a request during a load runs once more after it. */
  const runner = serialRunner(loadOnce, () => closed);
  const reload = (): Promise<boolean> => runner.run();

  let polling = false;
  const check = (): void => {
    if (closed || polling || runner.busy()) return;
    polling = true;
    void stampsChanged(stamps)
      .then((changed) => (changed ? reload() : false))
      .finally(() => {
        polling = false;
      });
  };
  const poll = pollMs > 0 ? timers.setInterval(check, pollMs) : undefined;

  await reload();

  return {
    current: () => current,
    lastError: () => lastError,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    reload,
    watchedFolders: () => [...watchers.keys()],
    async close() {
      closed = true;
      if (debounce !== undefined) timers.clearTimeout(debounce);
      if (poll !== undefined) timers.clearInterval(poll);
      for (const w of watchers.values()) w.close();
      watchers.clear();
      listeners.clear();
      await runner.settled();
    },
  };
}
