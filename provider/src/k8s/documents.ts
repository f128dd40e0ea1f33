/**
 * Watched objects -> the loader's SourceDocuments: only apiVersion, kind, metadata.name/namespace and spec are kept
 * (status, managedFields, annotations and the rest are the API server's or other tools'). Registry credentials are a
 * Store's spec (`parameters.authProvider`), resolved by the loader through the SecretResolver.
 */
import type { SourceDocument } from '../config/index.js';
import type { KubeObject } from './informer.js';
import { GROUP, VERSION, type WatchedKind } from './kinds.js';

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
  return [keyOf(w), meta.generation, w.object.spec];
}

function docOf(w: WatchedObject): SourceDocument {
  const { name, namespace } = identity(w);
  const metadata = w.kind.namespaced ? { name, namespace } : { name };
  const where = w.kind.namespaced ? `namespaces/${namespace ?? ''}/` : '';
  return {
    file: `kubernetes ${where}${w.kind.plural}/${name}`,
    document: 1,
    value: { apiVersion: `${GROUP}/${VERSION}`, kind: w.kind.kind, metadata, spec: w.object.spec },
  };
}

/** The loader's documents of the watched objects. */
export function documentsOf(objects: readonly WatchedObject[]): SourceDocument[] {
  return objects.map(docOf);
}
