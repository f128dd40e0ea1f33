/**
 * The Kubernetes ConfigSource: informers over the eight kinds of config.signgate.dev/v1alpha1 feed the same loader
 * the files go through (same CRD schemas, same checks, same Config). A change is debounced and loaded off the serving
 * path; the serving path only reads current(). A rejected load keeps the last good Config. After each attempt every
 * resource gets its Ready condition: True when it is in effect, False with the exact problem (field path and reason)
 * when it is invalid, False/NotApplied when it is valid but waits on another resource's fix.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, formatIssue, loadConfigFromDocuments, serialRunner, type Config, type ConfigIssue, type ConfigSource } from '../config/index.js';
import type { KubeClient } from './client.js';
import { dockerConfigWriter, removeStaleFiles } from './credentialFiles.js';
import { documentsOf, identity, keyOf, fingerprintOf, resourceKey, type WatchedObject } from './documents.js';
import type { KubeError } from './errors.js';
import { startInformer, type Backoff, type Informer, type Sleep } from './informer.js';
import { collectionPath, WATCHED_KINDS } from './kinds.js';
import { createSecretWatch, secretResolver } from './secrets.js';
import { conditionUpdate, generationOf, issueMessage, reasonOf, writeReady, type ReadyCondition } from './status.js';

export interface KubernetesSourceOptions {
  readonly client: KubeClient;
  /** Generation of the first Config (default 1); each accepted change adds one. */
  readonly generation?: number;
  readonly crdsDir?: string;
  /** Private folder for docker config files built from Secrets (Store authProvider; default: a folder under the OS temp dir). */
  readonly stateDir?: string;
  /** Quiet time after a change before loading (default 100 ms). */
  readonly debounceMs?: number;
  /** How long watchKubernetesConfig waits for the first lists and load (default 10 s); informers go on after it. */
  readonly initialSyncMs?: number;
  /** Write Ready conditions through the status subresource (default true). */
  readonly writeStatus?: boolean;
  /** Rejected configurations and API errors (the informers retry by themselves). */
  readonly onError?: (error: ConfigError | KubeError | Error) => void;
  readonly clock?: () => Date;
  readonly sleep?: Sleep;
  readonly backoff?: Backoff;
}

export interface KubernetesConfigSource extends ConfigSource {
  /** Loads now if anything changed; resolves true when a new Config was accepted. */
  rebuild(): Promise<boolean>;
  /** True once every kind has been listed. */
  synced(): boolean;
}

interface Attempt {
  readonly fingerprint: string;
  readonly issues: ReadonlyMap<string, ConfigIssue[]>;
  readonly global: readonly ConfigIssue[];
  readonly first: ConfigIssue | undefined;
}

export async function watchKubernetesConfig(options: KubernetesSourceOptions): Promise<KubernetesConfigSource> {
  const clock = options.clock ?? ((): Date => new Date(Date.now()));
  const stateDir = options.stateDir ?? join(tmpdir(), `signgate-k8s-${process.pid}`);
  const informerOptions = { ...(options.sleep ? { sleep: options.sleep } : {}), ...(options.backoff ? { backoff: options.backoff } : {}) };
  let current: Config | undefined;
  let lastError: string | undefined;
  let last: Attempt | undefined;
  let closed = false;
  let debounce: NodeJS.Timeout | undefined;
  /** The metadata.generation of each resource in the Config now served. */
  let applied = new Map<string, number>();
  const listeners = new Set<(config: Config) => void>();
  const report = (error: ConfigError | KubeError | Error): void => options.onError?.(error);

  const schedule = (): void => {
    if (closed) return;
    clearTimeout(debounce);
    debounce = setTimeout(() => void rebuild(), options.debounceMs ?? 100);
    debounce.unref();
  };
  const informers: { kind: (typeof WATCHED_KINDS)[number]; informer: Informer }[] = WATCHED_KINDS.map((kind) => ({
    kind,
    informer: startInformer({ client: options.client, path: collectionPath(kind), onChange: schedule, onError: report, ...informerOptions }),
  }));
  const secrets = createSecretWatch({ client: options.client, onChange: schedule, onError: report, ...informerOptions });

  const objects = (): WatchedObject[] => informers.flatMap(({ kind, informer }) => informer.items().map((object) => ({ kind, object })));

  async function load(list: readonly WatchedObject[], fingerprint: string): Promise<boolean> {
    const used = new Set<string>();
    const files = new Set<string>();
    let config: Config | undefined;
    let issues: ConfigIssue[] = [];
    try {
      const generation = current ? current.generation + 1 : (options.generation ?? 1);
      config = await loadConfigFromDocuments(documentsOf(list), {
        generation,
        resolveSecret: secretResolver(secrets, used),
        writeDockerConfig: dockerConfigWriter(stateDir, files),
        ...(options.crdsDir ? { crdsDir: options.crdsDir } : {}),
      });
    } catch (err) {
      issues = err instanceof ConfigError ? [...err.issues] : [{ code: 'CONFIG_UNREADABLE', file: 'kubernetes', path: '', reason: (err as Error).message }];
    }
    await secrets.retain(used);
    const byKey = new Map<string, ConfigIssue[]>();
    const global: ConfigIssue[] = [];
    for (const issue of issues) {
      if (issue.kind === undefined) global.push(issue);
      else byKey.set(resourceKey(issue.kind, issue.namespace, issue.name), [...(byKey.get(resourceKey(issue.kind, issue.namespace, issue.name)) ?? []), issue]);
    }
    last = { fingerprint, issues: byKey, global, first: issues[0] };
    if (!config) {
      const error = new ConfigError(issues);
      lastError = error.message;
      report(error);
      return false;
    }
    lastError = undefined;
    current = config;
    applied = new Map(list.map((w) => [keyOf(w), generationOf(w.object)]));
    await removeStaleFiles(stateDir, files);
    for (const listener of [...listeners]) {
      try {
        listener(config);
      } catch {
        // a listener's failure is its own
      }
    }
    return true;
  }

  function desired(w: WatchedObject, attempt: Attempt): Omit<ReadyCondition, 'lastTransitionTime'> {
    const observedGeneration = generationOf(w.object);
    const own = attempt.issues.get(keyOf(w)) ?? [];
    const problems = own.length > 0 ? own : attempt.global;
    const first = problems[0];
    if (first) return { type: 'Ready', status: 'False', reason: reasonOf(first.code), message: issueMessage(problems), observedGeneration };
    if (applied.get(keyOf(w)) === observedGeneration) {
      return { type: 'Ready', status: 'True', reason: 'Accepted', message: `in effect (configuration generation ${current?.generation ?? 0})`, observedGeneration };
    }
    const blocker = attempt.first ? formatIssue(attempt.first) : 'unknown';
    const keeps = current ? `signgate keeps serving configuration generation ${current.generation}` : 'signgate has no configuration yet';
    return { type: 'Ready', status: 'False', reason: 'NotApplied', message: `valid, but not in effect: the configuration was rejected because of ${blocker}; ${keeps}`, observedGeneration };
  }

  /**
   * What was last written per object: the resourceVersion it was written against and the condition. Until the watch
   * brings our own write back, the informer still shows the old status; this keeps a rebuild in that window from
   * writing the same status again.
   */
  const written = new Map<string, string>();

  async function writeStatuses(list: readonly WatchedObject[], attempt: Attempt): Promise<void> {
    if (options.writeStatus === false) return;
    let failed = false;
    for (const w of list) {
      const want = desired(w, attempt);
      const meta = w.object.metadata as { readonly resourceVersion?: unknown } | undefined;
      const token = `${String(meta?.resourceVersion ?? '')}|${JSON.stringify(want)}`;
      if (written.get(keyOf(w)) === token) continue;
      const update = conditionUpdate(w.object, want, clock());
      if (!update) continue;
      try {
        await writeReady(options.client, w.kind, w.object, update);
        written.set(keyOf(w), token);
      } catch (err) {
        if (closed) return;
        failed = true;
        const { name, namespace } = identity(w);
        report(new Error(`cannot write the status of ${w.kind.kind} ${namespace ? `${namespace}/` : ''}${name}: ${(err as Error).message}`, { cause: err }));
      }
    }
    if (failed && !closed) {
      // retry later; the informers' events would not bring us back if nothing else changes
      const delay = options.backoff?.initialMs ?? 2000;
      setTimeout(schedule, delay).unref();
    }
  }

  async function rebuildOnce(): Promise<boolean> {
    if (!informers.every(({ informer }) => informer.synced())) return false; // never build from a partial view
    const list = objects();
    const fingerprint = JSON.stringify([list.map(fingerprintOf), secrets.fingerprint()]);
    let changed = false;
    if (last?.fingerprint !== fingerprint) changed = await load(list, fingerprint);
    if (!closed && last) await writeStatuses(list, last);
    return changed;
  }

  /** One rebuild at a time; a change during a rebuild runs it once more. A failed rebuild is reported, never thrown. */
  const runner = serialRunner(async () => {
    try {
      return await rebuildOnce();
    } catch (err) {
      report(err as Error);
      return false;
    }
  }, () => closed);
  const rebuild = (): Promise<boolean> => runner.run();

  const initialMs = options.initialSyncMs ?? 10_000;
  await Promise.all(informers.map(({ informer }) => informer.waitForSync(initialMs)));
  await rebuild();

  return {
    current: () => current,
    lastError: () => lastError ?? (current === undefined && !informers.every(({ informer }) => informer.synced()) ? 'the custom resources have not been listed yet (is the Kubernetes API reachable?)' : undefined),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    rebuild,
    synced: () => informers.every(({ informer }) => informer.synced()),
    async close() {
      closed = true;
      clearTimeout(debounce);
      listeners.clear();
      await Promise.all([...informers.map(({ informer }) => informer.close()), secrets.close()]);
      await runner.settled();
    },
  };
}
