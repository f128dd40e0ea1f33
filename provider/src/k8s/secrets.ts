/**
 * Secrets the configuration refers to, each watched on its own (list + watch with `fieldSelector=metadata.name=...`,
 * so RBAC may name the Secret in `resourceNames`). KeyManagementProviders of type secret read certificates from them;
 * a Store's `authProvider` (k8Secrets) reads `.dockerconfigjson` of `kubernetes.io/dockerconfigjson` ones, both through
 * the SecretResolver below. A Secret that changes calls `onChange`.
 */
import type { SecretReference, SecretResolver } from '../config/index.js';
import type { KubeClient } from './client.js';
import { KubeError } from './errors.js';
import { startInformer, type Backoff, type Informer, type KubeObject, type Sleep } from './informer.js';
import { secretsPath } from './kinds.js';

/** How long a build waits for a newly referenced Secret's first list. */
export const SECRET_SYNC_TIMEOUT_MS = 5000;
/** Bound on the bytes of one Secret entry. */
export const MAX_SECRET_ENTRY_BYTES = 1024 * 1024;

export interface SecretWatchOptions {
  readonly client: KubeClient;
  readonly onChange: () => void;
  readonly onError?: (error: KubeError) => void;
  readonly sleep?: Sleep;
  readonly backoff?: Backoff;
  readonly syncTimeoutMs?: number;
}

export interface SecretWatch {
  /** The Secret, watched from now on; undefined when it does not exist. Throws KubeError when it cannot be read. */
  get(namespace: string, name: string): Promise<KubeObject | undefined>;
  /** Stops watching every Secret not in `keep` (`namespace/name`). */
  retain(keep: ReadonlySet<string>): Promise<void>;
  /** resourceVersions of the watched Secrets: changes whenever one of them does. */
  fingerprint(): string;
  close(): Promise<void>;
}

export function createSecretWatch(options: SecretWatchOptions): SecretWatch {
  const informers = new Map<string, { informer: Informer; lastError?: KubeError }>();
  const syncTimeoutMs = options.syncTimeoutMs ?? SECRET_SYNC_TIMEOUT_MS;

  function watchOne(namespace: string, name: string): { informer: Informer; lastError?: KubeError } {
    const key = `${namespace}/${name}`;
    let entry = informers.get(key);
    if (!entry) {
      const created: { informer?: Informer; lastError?: KubeError } = {};
      created.informer = startInformer({
        client: options.client,
        path: secretsPath(namespace),
        fieldSelector: `metadata.name=${name}`,
        onChange: options.onChange,
        onError: (error) => {
          created.lastError = error;
          options.onError?.(error);
        },
        ...(options.sleep ? { sleep: options.sleep } : {}),
        ...(options.backoff ? { backoff: options.backoff } : {}),
      });
      entry = created as { informer: Informer; lastError?: KubeError };
      informers.set(key, entry);
    }
    return entry;
  }

  return {
    async get(namespace, name) {
      const entry = watchOne(namespace, name);
      if (!(await entry.informer.waitForSync(syncTimeoutMs))) {
        const why = entry.lastError ? `: ${entry.lastError.message}` : '';
        throw new KubeError('KUBE_SECRET', `Secret ${namespace}/${name} could not be read yet${why}`, { cause: entry.lastError });
      }
      return entry.informer.items()[0];
    },
    async retain(keep) {
      for (const [key, entry] of [...informers]) {
        if (keep.has(key)) continue;
        informers.delete(key);
        await entry.informer.close();
      }
    },
    fingerprint() {
      return [...informers.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, e]) => {
          const item = e.informer.items()[0];
          const meta = (item?.metadata ?? {}) as Record<string, unknown>;
          return `${key}@${e.informer.synced() ? String(meta.resourceVersion ?? 'absent') : 'unsynced'}`;
        })
        .join(',');
    },
    async close() {
      const all = [...informers.values()];
      informers.clear();
      await Promise.all(all.map((e) => e.informer.close()));
    },
  };
}

/** The decoded entries of a Secret's `data` (bounded). */
export function secretData(secret: KubeObject, label: string): Map<string, Uint8Array> {
  const data = secret.data;
  const out = new Map<string, Uint8Array>();
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return out;
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (typeof value !== 'string') continue;
    if (value.length > (MAX_SECRET_ENTRY_BYTES * 4) / 3 + 4) throw new KubeError('KUBE_SECRET', `${label} key ${key} is larger than ${MAX_SECRET_ENTRY_BYTES} bytes`);
    out.set(key, new Uint8Array(Buffer.from(value, 'base64')));
  }
  return out;
}

const missing = (ref: { namespace: string; name: string }): KubeError =>
  new KubeError(
    'KUBE_SECRET',
    `Secret ${ref.namespace}/${ref.name} does not exist (or signgate may not read it): create it, or grant signgate's ServiceAccount get/list/watch on it`,
  );

/**
 * The SecretResolver the config loader calls (KeyManagementProviders of type secret, Store authProvider). Every Secret
 * asked for is added to `used`: those stay watched, the others are dropped after the load.
 */
export function secretResolver(secrets: SecretWatch, used: Set<string>): SecretResolver {
  return async (ref: SecretReference) => {
    used.add(`${ref.namespace}/${ref.name}`);
    const secret = await secrets.get(ref.namespace, ref.name);
    if (!secret) throw missing(ref);
    const label = `Secret ${ref.namespace}/${ref.name}`;
    if (ref.type !== undefined && secret.type !== ref.type) {
      const how = ref.type === 'kubernetes.io/dockerconfigjson' ? ' (kubectl create secret docker-registry)' : '';
      throw new KubeError('KUBE_SECRET', `${label} is of type ${String(secret.type ?? 'Opaque')}; it must be of type ${ref.type}${how}`);
    }
    const data = secretData(secret, label);
    if (ref.keys !== undefined) {
      return ref.keys.map((key) => {
        const bytes = data.get(key);
        if (!bytes) throw new KubeError('KUBE_SECRET', `${label} has no key "${key}"; its keys are: ${[...data.keys()].join(', ') || 'none'}`);
        return { key, bytes };
      });
    }
    const entries = [...data].filter(([key]) => key.endsWith('.crt') || key.endsWith('.pem'));
    if (entries.length === 0) throw new KubeError('KUBE_SECRET', `${label} has no key ending in .crt or .pem; name its keys in secretRef.keys`);
    return entries.map(([key, bytes]) => ({ key, bytes }));
  };
}
