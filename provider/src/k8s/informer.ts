/**
 * An informer over one collection: list, then watch from the list's resourceVersion with bookmarks; a watch that ends
 * is resumed from the last resourceVersion seen (an object's or a bookmark's); 410 Gone, as an HTTP status or as an
 * ERROR event inside the stream, means the version is too old and the collection is listed again; any other failure
 * waits with exponential back-off (jittered) and tries again. It never throws to its caller: it keeps the last known
 * objects and reports errors through `onError`.
 */
import type { KubeClient, WatchEvent } from './client.js';
import { KubeError } from './errors.js';

export type KubeObject = Readonly<Record<string, unknown>>;

export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
}
export const DEFAULT_BACKOFF: Backoff = { initialMs: 500, maxMs: 30_000 };

/** Waits `ms`, or less when `signal` aborts; never rejects. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export const defaultSleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    timer.unref();
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

export interface InformerOptions {
  readonly client: KubeClient;
  /** Collection path, e.g. /apis/config.signgate.dev/v1alpha1/verifiers or /api/v1/namespaces/x/secrets. */
  readonly path: string;
  /** e.g. `metadata.name=gatekeeper-webhook-server-cert` (RBAC can then be scoped to that one name). */
  readonly fieldSelector?: string;
  /** Called after each list and after each event that changed the objects. */
  readonly onChange: () => void;
  readonly onError?: (error: KubeError) => void;
  readonly backoff?: Backoff;
  readonly sleep?: Sleep;
  readonly random?: () => number;
  /** Server-side watch timeout; the watch is then resumed (default 300). */
  readonly watchTimeoutSeconds?: number;
}

export interface Informer {
  /** The objects as last seen, in key order. */
  items(): readonly KubeObject[];
  /** True once a list has succeeded. */
  synced(): boolean;
  /** Resolves true at the first successful list, false after `timeoutMs` or close. */
  waitForSync(timeoutMs: number): Promise<boolean>;
  /** The resourceVersion the next watch resumes from. */
  resourceVersion(): string | undefined;
  close(): Promise<void>;
}

function metadataOf(object: KubeObject): Record<string, unknown> {
  const m = object.metadata;
  return typeof m === 'object' && m !== null && !Array.isArray(m) ? (m as Record<string, unknown>) : {};
}

/** `namespace/name` (or `name`) of an object. */
export function objectKey(object: KubeObject): string {
  const m = metadataOf(object);
  const name = typeof m.name === 'string' ? m.name : '';
  return typeof m.namespace === 'string' ? `${m.namespace}/${name}` : name;
}

function versionOf(object: KubeObject): string | undefined {
  const v = metadataOf(object).resourceVersion;
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function startInformer(options: InformerOptions): Informer {
  const sleep = options.sleep ?? defaultSleep;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const random = options.random ?? Math.random;
  const abort = new AbortController();
  const objects = new Map<string, KubeObject>();
  const syncWaiters = new Set<(ok: boolean) => void>();
  let version: string | undefined;
  let isSynced = false;
  const what = `${options.path}${options.fieldSelector ? ` (${options.fieldSelector})` : ''}`;
  const selector: Record<string, string> = options.fieldSelector ? { fieldSelector: options.fieldSelector } : {};

  async function list(): Promise<void> {
    const body = await options.client.request('GET', options.path, { query: selector, signal: abort.signal });
    const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const items = record.items;
    const rv = versionOf(record);
    if (!Array.isArray(items) || rv === undefined) throw new KubeError('KUBE_RESPONSE', `the list of ${what} has no items or no metadata.resourceVersion`);
    objects.clear();
    for (const item of items) {
      if (typeof item === 'object' && item !== null && !Array.isArray(item)) objects.set(objectKey(item as KubeObject), item as KubeObject);
    }
    version = rv;
    if (!isSynced) {
      isSynced = true;
      for (const w of syncWaiters) w(true);
      syncWaiters.clear();
    }
    options.onChange();
  }

  function handle(event: WatchEvent): void {
    const { type, object } = event;
    if (type === 'BOOKMARK') {
      version = versionOf(object) ?? version;
      return;
    }
    if (type === 'ERROR') {
      const code = object.code;
      const message = typeof object.message === 'string' ? object.message : 'no message';
      if (code === 410) throw new KubeError('KUBE_GONE', `the watch of ${what} expired (410 Gone: ${message})`, { status: 410 });
      throw new KubeError('KUBE_HTTP', `the watch of ${what} failed: ${message}`, { ...(typeof code === 'number' ? { status: code } : {}) });
    }
    if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return;
    if (type === 'DELETED') objects.delete(objectKey(object));
    else objects.set(objectKey(object), object);
    version = versionOf(object) ?? version;
    options.onChange();
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!abort.signal.aborted) {
      try {
        if (version === undefined) await list();
        const started = Date.now();
        await options.client.watch(
          options.path,
          { ...selector, resourceVersion: version ?? '', allowWatchBookmarks: 'true', timeoutSeconds: String(options.watchTimeoutSeconds ?? 300) },
          handle,
          abort.signal,
        );
        failures = 0;
        // a stream the server ends at once must not turn into a busy loop
        if (Date.now() - started < 1000) await sleep(backoff.initialMs, abort.signal);
      } catch (err) {
        if (abort.signal.aborted) break;
        const error = err instanceof KubeError ? err : new KubeError('KUBE_RESPONSE', `the informer of ${what} failed: ${(err as Error).message}`, { cause: err });
        options.onError?.(error);
        if (error.code === 'KUBE_GONE') {
          version = undefined; // list again at once: the objects are still served from the last list meanwhile
          continue;
        }
        failures += 1;
        const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(failures - 1, 20));
        await sleep(Math.round(delay * (0.5 + random() / 2)), abort.signal);
      }
    }
  }

  const running = run();

  return {
    items: () => [...objects.keys()].sort().map((k) => objects.get(k) as KubeObject),
    synced: () => isSynced,
    resourceVersion: () => version,
    waitForSync(timeoutMs) {
      if (isSynced) return Promise.resolve(true);
      if (abort.signal.aborted) return Promise.resolve(false);
      return new Promise((resolve) => {
        const done = (ok: boolean): void => {
          clearTimeout(timer);
          syncWaiters.delete(done);
          resolve(ok);
        };
        const timer = setTimeout(() => done(false), timeoutMs);
        timer.unref();
        syncWaiters.add(done);
      });
    },
    async close() {
      abort.abort();
      for (const w of [...syncWaiters]) w(false);
      await running;
    },
  };
}
