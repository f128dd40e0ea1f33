/**
 * The running Pods of every namespace, for the audit (`signgate serve --kubernetes --audit-interval`): an informer over
 * `/api/v1/pods`, each Pod turned into the images its containers, init containers and ephemeral containers run. A
 * container's digest comes from its status (`imageID`, as the kubelet reports what it pulled) when there is one; the
 * names are passed on as written (oci/ canonicalises them, not this module).
 */
import type { KubeClient } from './client.js';
import type { KubeError } from './errors.js';
import { startInformer, type KubeObject } from './informer.js';

export type ContainerKind = 'container' | 'initContainer' | 'ephemeralContainer';

export interface PodContainerImage {
  readonly container: string;
  readonly kind: ContainerKind;
  /** `spec.*containers[].image`, as written. */
  readonly image: string;
  /** `sha256:<hex>` from the status's `imageID`, when reported. */
  readonly imageDigest?: string;
}

export interface RunningPod {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly images: readonly PodContainerImage[];
}

export interface PodWatch {
  /** The Pods that are not finished (phase other than Succeeded and Failed), as last seen. */
  pods(): readonly RunningPod[];
  /** Resolves true at the first successful list, false after `timeoutMs`. */
  waitForSync(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

const KINDS: readonly (readonly [string, string, ContainerKind])[] = [
  ['containers', 'containerStatuses', 'container'],
  ['initContainers', 'initContainerStatuses', 'initContainer'],
  ['ephemeralContainers', 'ephemeralContainerStatuses', 'ephemeralContainer'],
];
/** A digest at the end of an imageID: `docker-pullable://host/repo@sha256:…`, `host/repo@sha256:…` or `sha256:…`. */
const IMAGE_ID_DIGEST = /(?:^|@)(sha256:[0-9a-f]{64})$/;
/** Bound on one image string (a reference is far shorter; oci/ checks it in full). */
const MAX_IMAGE_LENGTH = 4096;

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' && value.length <= MAX_IMAGE_LENGTH ? value : undefined;
}

function list(value: unknown): readonly Record<string, unknown>[] {
  return Array.isArray(value) ? value.map(record).filter((r): r is Record<string, unknown> => r !== undefined) : [];
}

/** The images of a Pod that is not finished; undefined for a finished Pod or one without name, namespace or uid. */
export function runningPodOf(object: KubeObject): RunningPod | undefined {
  const metadata = record(object.metadata);
  const spec = record(object.spec);
  const status = record(object.status) ?? {};
  const namespace = text(metadata?.namespace);
  const name = text(metadata?.name);
  const uid = text(metadata?.uid);
  if (!spec || namespace === undefined || name === undefined || uid === undefined) return undefined;
  if (status.phase === 'Succeeded' || status.phase === 'Failed') return undefined;
  const images: PodContainerImage[] = [];
  for (const [specField, statusField, kind] of KINDS) {
    const statuses = new Map(list(status[statusField]).map((s) => [s.name, s]));
    for (const c of list(spec[specField])) {
      const container = text(c.name);
      const image = text(c.image);
      if (container === undefined || image === undefined) continue;
      const imageDigest = IMAGE_ID_DIGEST.exec(text(statuses.get(container)?.imageID) ?? '')?.[1];
      images.push({ container, kind, image, ...(imageDigest !== undefined ? { imageDigest } : {}) });
    }
  }
  return { namespace, name, uid, images };
}

/** Lists and watches the Pods of all namespaces; `onChange` after each list and each change. */
export function watchRunningPods(options: { readonly client: KubeClient; readonly onChange?: () => void; readonly onError?: (error: KubeError) => void }): PodWatch {
  let cached: readonly RunningPod[] | undefined;
  const informer = startInformer({
    client: options.client,
    path: '/api/v1/pods',
    onChange: () => {
      cached = undefined;
      options.onChange?.();
    },
    ...(options.onError ? { onError: options.onError } : {}),
  });
  return {
    pods: () => (cached ??= informer.items().map(runningPodOf).filter((p): p is RunningPod => p !== undefined)),
    waitForSync: (timeoutMs) => informer.waitForSync(timeoutMs),
    close: () => informer.close(),
  };
}
