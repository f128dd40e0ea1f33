/**
 * Watched objects -> the loader's SourceDocuments: only apiVersion, kind, metadata.name/namespace and spec are kept
 * (status, managedFields and the rest are the API server's). A Store may name `kubernetes.io/dockerconfigjson` Secrets
 * in the annotation `config.signgate.dev/docker-config-secrets` ("namespace/name,..."; a NamespacedStore may give bare
 * names from its own namespace); their credentials are merged into a file under the state folder, named by content,
 * and the Store's `dockerConfig` points at it.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfigIssue, SourceDocument } from '../config/index.js';
import type { KubeObject } from './informer.js';
import { GROUP, VERSION, type WatchedKind } from './kinds.js';
import { dockerConfigFromSecrets, type SecretWatch } from './secrets.js';

export const DOCKER_SECRETS_ANNOTATION = 'config.signgate.dev/docker-config-secrets';

export interface WatchedObject {
  readonly kind: WatchedKind;
  readonly object: KubeObject;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function identity(w: WatchedObject): { name: string; namespace: string | undefined } {
  const meta = record(w.object.metadata);
  return { name: String(meta.name ?? ''), namespace: typeof meta.namespace === 'string' ? meta.namespace : undefined };
}

/** `Kind/namespace/name`, the same key a ConfigIssue's kind/namespace/name give. */
export function resourceKey(kind: string, namespace: string | undefined, name: string | undefined): string {
  return `${kind}/${namespace ?? ''}/${name ?? ''}`;
}

export function keyOf(w: WatchedObject): string {
  const { name, namespace } = identity(w);
  return resourceKey(w.kind.kind, w.kind.namespaced ? namespace : undefined, name);
}

/** What the configuration depends on in an object: a change of anything else (status) needs no rebuild. */
export function fingerprintOf(w: WatchedObject): unknown {
  const meta = record(w.object.metadata);
  return [keyOf(w), meta.generation, w.object.spec, record(meta.annotations)[DOCKER_SECRETS_ANNOTATION]];
}

function docOf(w: WatchedObject, spec: unknown): SourceDocument {
  const { name, namespace } = identity(w);
  const metadata = w.kind.namespaced ? { name, namespace } : { name };
  const where = w.kind.namespaced ? `namespaces/${namespace ?? ''}/` : '';
  return {
    file: `kubernetes ${where}${w.kind.plural}/${name}`,
    document: 1,
    value: { apiVersion: `${GROUP}/${VERSION}`, kind: w.kind.kind, metadata, spec },
  };
}

function dockerRefs(w: WatchedObject, text: string): { namespace: string; name: string }[] | string {
  const own = identity(w).namespace;
  const refs: { namespace: string; name: string }[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const [a, b, extra] = part.split('/');
    if (extra !== undefined || a === undefined || a === '') return `"${part}" is not namespace/name`;
    if (b === undefined) {
      if (!w.kind.namespaced || own === undefined) return `"${part}" needs a namespace (namespace/name) on a cluster-wide Store`;
      refs.push({ namespace: own, name: a });
    } else {
      refs.push({ namespace: a, name: b });
    }
  }
  return refs.length > 0 ? refs : 'names no Secret';
}

export interface PreparedDocuments {
  readonly documents: SourceDocument[];
  /** Problems found here (Secret references), in the loader's ConfigIssue shape. */
  readonly issues: ConfigIssue[];
  /** Secrets read (`namespace/name`). */
  readonly secrets: Set<string>;
  /** Docker config files written. */
  readonly files: Set<string>;
}

export async function prepareDocuments(objects: readonly WatchedObject[], secrets: SecretWatch, stateDir: string): Promise<PreparedDocuments> {
  const out: PreparedDocuments = { documents: [], issues: [], secrets: new Set(), files: new Set() };
  for (const w of objects) {
    const annotation = record(record(w.object.metadata).annotations)[DOCKER_SECRETS_ANNOTATION];
    if (typeof annotation !== 'string' || !w.kind.kind.endsWith('Store')) {
      out.documents.push(docOf(w, w.object.spec));
      continue;
    }
    const { name, namespace } = identity(w);
    const issue = (reason: string): void => {
      out.issues.push({
        code: 'CONFIG_UNREADABLE',
        file: docOf(w, undefined).file,
        kind: w.kind.kind,
        ...(w.kind.namespaced && namespace !== undefined ? { namespace } : {}),
        name,
        path: `metadata.annotations["${DOCKER_SECRETS_ANNOTATION}"]`,
        reason,
      });
    };
    const refs = dockerRefs(w, annotation);
    const spec = record(w.object.spec);
    const parameters = record(spec.parameters);
    if (typeof refs === 'string') {
      issue(refs);
      continue;
    }
    if (parameters.dockerConfig !== undefined) {
      issue('cannot be combined with spec.parameters.dockerConfig; use one of them');
      continue;
    }
    for (const r of refs) out.secrets.add(`${r.namespace}/${r.name}`);
    try {
      const json = await dockerConfigFromSecrets(secrets, refs);
      const file = join(stateDir, `docker-config-${createHash('sha256').update(json).digest('hex').slice(0, 16)}.json`);
      await mkdir(stateDir, { recursive: true, mode: 0o700 });
      await writeFile(file, json, { mode: 0o600 });
      await chmod(file, 0o600);
      out.files.add(file);
      out.documents.push(docOf(w, { ...spec, parameters: { ...parameters, dockerConfig: file } }));
    } catch (err) {
      issue((err as Error).message);
    }
  }
  return out;
}

/** Removes docker config files of earlier loads that the current one does not use. */
export async function removeStaleFiles(stateDir: string, keep: ReadonlySet<string>): Promise<void> {
  let names: string[];
  try {
    names = await readdir(stateDir);
  } catch {
    return;
  }
  for (const n of names) {
    const file = join(stateDir, n);
    if (n.startsWith('docker-config-') && !keep.has(file)) await rm(file, { force: true });
  }
}
