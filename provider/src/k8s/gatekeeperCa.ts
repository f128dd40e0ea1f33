/**
 * Gatekeeper's CA, read from its Secret through the API (any namespace; RBAC can be scoped to that one Secret, since
 * the watch selects it by name) and re-loaded when Gatekeeper rotates it. The provider's client-certificate check
 * reads a CA file (server/listen.ts re-reads it when it changes), so every new CA is also written to `file`
 * atomically (temp file + rename in the same folder); `current()` and `subscribe()` serve other callers.
 */
import { X509Certificate } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { KubeClient } from './client.js';
import { KubeError } from './errors.js';
import { startInformer, type Backoff, type Informer, type Sleep } from './informer.js';
import { secretsPath } from './kinds.js';
import { secretData } from './secrets.js';

export const DEFAULT_GATEKEEPER_CA_SECRET = { namespace: 'gatekeeper-system', name: 'gatekeeper-webhook-server-cert', key: 'ca.crt' } as const;

export interface GatekeeperCaOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly name: string;
  /** The Secret key holding the CA certificate(s) (default ca.crt). */
  readonly key?: string;
  /** Where the PEM is written for the HTTPS listener's client CA check. */
  readonly file?: string;
  /** How long start waits for the Secret (default 10 s). */
  readonly initialSyncMs?: number;
  readonly onError?: (error: KubeError) => void;
  readonly onChange?: (pem: string) => void;
  readonly sleep?: Sleep;
  readonly backoff?: Backoff;
}

export interface GatekeeperCa {
  /** The CA certificates (PEM) last read; undefined until the Secret has been read. */
  current(): string | undefined;
  subscribe(listener: (pem: string) => void): () => void;
  close(): Promise<void>;
}

/** The PEM certificates of `bytes`, checked to parse; throws KubeError KUBE_SECRET. */
export function caPem(bytes: Uint8Array, label: string): string {
  const text = new TextDecoder().decode(bytes);
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new KubeError('KUBE_SECRET', `${label} holds no PEM certificate`);
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (cause) {
      throw new KubeError('KUBE_SECRET', `${label} holds a certificate that does not parse: ${(cause as Error).message}`, { cause });
    }
  }
  return `${blocks.join('\n')}\n`;
}

async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, text, { mode: 0o644 });
  await rename(temp, file);
}

/** Watches Gatekeeper's CA Secret; resolves after the first read (or `initialSyncMs`). */
export async function watchGatekeeperCa(options: GatekeeperCaOptions): Promise<GatekeeperCa> {
  const key = options.key ?? DEFAULT_GATEKEEPER_CA_SECRET.key;
  const label = `Secret ${options.namespace}/${options.name} key ${key}`;
  const listeners = new Set<(pem: string) => void>();
  if (options.onChange) listeners.add(options.onChange);
  let pem: string | undefined;
  let writing: Promise<void> = Promise.resolve();

  const update = (): void => {
    const secret = informer.items()[0];
    if (!secret) {
      options.onError?.(new KubeError('KUBE_SECRET', `${label}: the Secret does not exist; the last CA read keeps being used`));
      return;
    }
    let next: string;
    try {
      const bytes = secretData(secret, `Secret ${options.namespace}/${options.name}`).get(key);
      if (!bytes) throw new KubeError('KUBE_SECRET', `${label}: no such key in the Secret`);
      next = caPem(bytes, label);
    } catch (err) {
      options.onError?.(err instanceof KubeError ? err : new KubeError('KUBE_SECRET', `${label}: ${(err as Error).message}`));
      return;
    }
    if (next === pem) return;
    pem = next;
    if (options.file !== undefined) {
      const file = options.file;
      writing = writing
        .then(() => writeAtomically(file, next))
        .catch((err: unknown) => options.onError?.(new KubeError('KUBE_SECRET', `cannot write Gatekeeper's CA to ${file}: ${(err as Error).message}`)));
    }
    for (const listener of [...listeners]) listener(next);
  };

  const informer: Informer = startInformer({
    client: options.client,
    path: secretsPath(options.namespace),
    fieldSelector: `metadata.name=${options.name}`,
    onChange: () => update(),
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.backoff ? { backoff: options.backoff } : {}),
  });
  await informer.waitForSync(options.initialSyncMs ?? 10_000);
  await writing;

  return {
    current: () => pem,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      await informer.close();
      await writing;
    },
  };
}
