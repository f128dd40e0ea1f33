/**
 * What `signgate serve --kubernetes` starts: the client from the default KubeConfig (in-cluster ServiceAccount, or
 * KUBECONFIG / ~/.kube/config), the CRD-backed ConfigSource, and optionally Gatekeeper's CA written to a file.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { kubeClientFromConfig, type KubeClient } from './client.js';
import { KubeError } from './errors.js';
import { watchGatekeeperCa, type GatekeeperCa } from './gatekeeperCa.js';
import { watchKubernetesConfig, type KubernetesConfigSource, type KubernetesSourceOptions } from './source.js';

export interface SecretKeyRef {
  readonly namespace: string;
  readonly name: string;
  readonly key?: string;
}

/** `namespace/name[/key]` -> a reference; throws KubeError KUBE_CONFIG. */
export function parseSecretKeyRef(text: string, what: string): SecretKeyRef {
  const [namespace, name, key, extra] = text.split('/');
  if (!namespace || !name || extra !== undefined || key === '') throw new KubeError('KUBE_CONFIG', `${what} must be namespace/name or namespace/name/key, got "${text}"`);
  return { namespace, name, ...(key !== undefined ? { key } : {}) };
}

export function defaultKubeClient(): KubeClient {
  const kc = new KubeConfig();
  try {
    kc.loadFromDefault();
  } catch (cause) {
    throw new KubeError('KUBE_CONFIG', `no usable kubeconfig: ${(cause as Error).message}`, { cause });
  }
  return kubeClientFromConfig(kc);
}

export function startKubernetesConfig(client: KubeClient, options: Omit<KubernetesSourceOptions, 'client'> = {}): Promise<KubernetesConfigSource> {
  return watchKubernetesConfig({ ...options, client });
}

/** Gatekeeper's CA written to `file`; throws KubeError when it cannot be read at start (the listener needs the file). */
export async function startGatekeeperCaFile(client: KubeClient, ref: SecretKeyRef, file: string, onError: (error: KubeError) => void): Promise<GatekeeperCa> {
  const errors: KubeError[] = [];
  const ca = await watchGatekeeperCa({
    client,
    namespace: ref.namespace,
    name: ref.name,
    ...(ref.key !== undefined ? { key: ref.key } : {}),
    file,
    onError: (e) => {
      errors.push(e);
      onError(e);
    },
  });
  if (ca.current() === undefined) {
    await ca.close();
    const why = errors.at(-1)?.message ?? 'no answer from the Kubernetes API';
    throw new KubeError('KUBE_SECRET', `cannot read Gatekeeper's CA from Secret ${ref.namespace}/${ref.name}: ${why}`);
  }
  return ca;
}
