/** The eight custom resource kinds of config.signgate.dev/v1alpha1 the controller watches, and their API paths. */
export const GROUP = 'config.signgate.dev';
export const VERSION = 'v1alpha1';

export interface WatchedKind {
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

const base: readonly [string, string][] = [
  ['KeyManagementProvider', 'keymanagementproviders'],
  ['Verifier', 'verifiers'],
  ['Store', 'stores'],
  ['Policy', 'policies'],
];

export const WATCHED_KINDS: readonly WatchedKind[] = Object.freeze([
  ...base.map(([kind, plural]) => ({ kind, plural, namespaced: false })),
  ...base.map(([kind, plural]) => ({ kind: `Namespaced${kind}`, plural: `namespaced${plural}`, namespaced: true })),
]);

/** The collection path of a kind (all namespaces for the namespaced ones). */
export function collectionPath(kind: WatchedKind): string {
  return `/apis/${GROUP}/${VERSION}/${kind.plural}`;
}

/** The path of one object, optionally a subresource of it (`status`). */
export function objectPath(kind: WatchedKind, namespace: string | undefined, name: string, subresource?: string): string {
  const ns = kind.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const sub = subresource === undefined ? '' : `/${subresource}`;
  return `/apis/${GROUP}/${VERSION}${ns}/${kind.plural}/${encodeURIComponent(name)}${sub}`;
}

/** The path of the core/v1 Secrets of a namespace. */
export function secretsPath(namespace: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;
}
