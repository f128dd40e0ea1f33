/**
 * Documents -> typed resources. Each document is checked against its kind's CRD schema first; what the schema cannot
 * say (metadata names, the parameters each `type` needs, duplicates) is checked here. A document with any problem is
 * left out, so later checks do not repeat its error as a dangling reference.
 */
import { API_VERSION, schemaViolations, type CrdCatalog } from './crds.js';
import type { DocumentOrigin, IssueList } from './errors.js';
import { describeValue } from './schemaErrors.js';
import { checkAuthProvider } from './registryCredentials.js';
import { checkSigningRule, type SigningRuleSpec } from './signingRules.js';
import type { SourceDocument } from './sources.js';

export type BaseKind = 'KeyManagementProvider' | 'Verifier' | 'Store' | 'Policy' | 'SigningRule';
export type TrustStoreTypeName = 'ca' | 'signingAuthority' | 'tsa';

export interface KmpSpec {
  readonly type: 'inline' | 'file' | 'secret';
  readonly refreshInterval?: string;
  readonly parameters?: {
    readonly contentType?: 'certificate';
    readonly value?: string;
    readonly paths?: readonly string[];
    readonly trustStorePath?: string;
    readonly secretRef?: { readonly name: string; readonly namespace?: string; readonly keys?: readonly string[] };
  };
}

export interface VerifierSpec {
  readonly type: 'notation';
  readonly artifactTypes?: readonly string[];
  readonly parameters: {
    readonly verificationCertStores?: Partial<Record<TrustStoreTypeName, Readonly<Record<string, readonly string[]>>>>;
    /** CRL files or folders supplied for revocation checking (used before any network fetch). */
    readonly revocation?: { readonly crlFiles?: readonly string[] };
    /** Require a verified signature that binds the key's tag (verify/tagBinding.ts). */
    readonly verifyTag?: boolean;
    /** Schema-checked here; Notation's own parser validates it in full when the Verifier is built. */
    readonly trustPolicyDoc: { readonly trustPolicies: readonly { readonly trustStores?: readonly string[] }[] };
  };
}

export interface StoreSpec {
  readonly type: 'oras';
  readonly parameters?: {
    readonly cacheEnabled?: boolean;
    readonly ttl?: number;
    readonly plainHttp?: readonly string[];
    readonly allowedTokenRealms?: readonly string[];
    readonly caFile?: string;
    readonly caBundle?: string;
    readonly dockerConfig?: string;
    /** Ratify's ORAS-store shape; Secrets are read through a SecretResolver (Kubernetes only). */
    readonly authProvider?: StoreAuthProvider;
    readonly maxBlobBytes?: number;
  };
}

export interface StoreAuthProvider {
  readonly name: 'k8Secrets';
  /** Ratify reads this ServiceAccount's imagePullSecrets; signgate rejects it (see checkStore). */
  readonly serviceAccountName?: string;
  readonly secrets: readonly { readonly secretName: string; readonly namespace?: string }[];
}

export interface PolicySpec {
  readonly type: 'config-policy';
  readonly parameters?: { readonly artifactVerificationPolicies?: Readonly<Record<string, 'all' | 'any'>> };
}

interface ResourceBase {
  readonly name: string;
  /** Set exactly for the Namespaced* kinds. */
  readonly namespace?: string;
  readonly origin: DocumentOrigin;
  readonly baseDir?: string;
  /** The untouched document, for the trust policy parser. */
  readonly raw: Readonly<Record<string, unknown>>;
}

export type ConfigResource =
  | (ResourceBase & { readonly kind: 'KeyManagementProvider'; readonly spec: KmpSpec })
  | (ResourceBase & { readonly kind: 'Verifier'; readonly spec: VerifierSpec })
  | (ResourceBase & { readonly kind: 'Store'; readonly spec: StoreSpec })
  | (ResourceBase & { readonly kind: 'Policy'; readonly spec: PolicySpec })
  | (ResourceBase & { readonly kind: 'SigningRule'; readonly spec: SigningRuleSpec });

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const RATIFY_GROUPS = ['config.ratify.deislabs.io', 'config.ratify.dev'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function baseKindOf(kind: string): BaseKind {
  return (kind.startsWith('Namespaced') ? kind.slice('Namespaced'.length) : kind) as BaseKind;
}

function checkEnvelope(doc: SourceDocument, catalog: CrdCatalog, issues: IssueList, at: DocumentOrigin): boolean {
  const value = doc.value as Record<string, unknown>;
  let ok = true;
  const apiVersion = value.apiVersion;
  if (apiVersion !== API_VERSION) {
    ok = false;
    const group = typeof apiVersion === 'string' ? apiVersion.split('/')[0] ?? '' : '';
    const hint = RATIFY_GROUPS.includes(group) ? ` (a Ratify resource: change its apiVersion to ${API_VERSION})` : '';
    issues.add(
      'CONFIG_SCHEMA',
      at,
      ['apiVersion'],
      apiVersion === undefined
        ? `is required: set apiVersion: ${API_VERSION}`
        : `must be ${API_VERSION}, got ${describeValue(apiVersion)}${hint}`,
    );
  }
  if (typeof value.kind !== 'string' || !catalog.kinds.has(value.kind)) {
    ok = false;
    const known = [...catalog.kinds.keys()].join(', ');
    issues.add(
      'CONFIG_SCHEMA',
      at,
      ['kind'],
      value.kind === undefined
        ? `is required; one of ${known}`
        : `${describeValue(value.kind)} is not a kind signgate reads; one of ${known}`,
    );
  }
  return ok;
}

function checkMetadata(value: Record<string, unknown>, namespaced: boolean, issues: IssueList, at: DocumentOrigin): boolean {
  const metadata = value.metadata;
  if (!isRecord(metadata)) {
    issues.add('CONFIG_SCHEMA', at, ['metadata'], `must be a mapping with a name, got ${describeValue(metadata)}`);
    return false;
  }
  let ok = true;
  const { name, namespace } = metadata;
  if (typeof name !== 'string' || name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    ok = false;
    issues.add(
      'CONFIG_SCHEMA',
      at,
      ['metadata', 'name'],
      name === undefined
        ? 'is required'
        : `must be a lowercase DNS subdomain name (a-z, 0-9, "-", ".", at most 253 characters), got ${describeValue(name)}`,
    );
  }
  if (namespaced && (typeof namespace !== 'string' || namespace.length > 63 || !DNS_LABEL.test(namespace))) {
    ok = false;
    issues.add(
      'CONFIG_SCHEMA',
      at,
      ['metadata', 'namespace'],
      namespace === undefined
        ? `is required for ${String(value.kind)}: name the namespace whose image keys ("[namespace]image") it applies to`
        : `must be a DNS label (a-z, 0-9, "-", at most 63 characters), got ${describeValue(namespace)}`,
    );
  }
  if (!namespaced && namespace !== undefined) {
    ok = false;
    issues.add(
      'CONFIG_SCHEMA',
      at,
      ['metadata', 'namespace'],
      `is set, but ${String(value.kind)} is cluster-wide; remove it, or use Namespaced${String(value.kind)} for one namespace`,
    );
  }
  return ok;
}

/** The parameters each KeyManagementProvider type needs, and only those. */
function checkKmp(spec: KmpSpec, issues: IssueList, at: DocumentOrigin): boolean {
  const p = spec.parameters ?? {};
  const set = (['value', 'paths', 'trustStorePath', 'secretRef'] as const).filter((k) => p[k] !== undefined);
  const allowed: Record<KmpSpec['type'], readonly string[]> = {
    inline: ['value'],
    file: ['paths', 'trustStorePath'],
    secret: ['secretRef'],
  };
  let ok = true;
  for (const key of set) {
    if (!allowed[spec.type].includes(key)) {
      ok = false;
      const takes = allowed[spec.type].join(' or ');
      issues.add('CONFIG_INVALID', at, ['spec', 'parameters', key], `is not a parameter of type ${spec.type}; it takes ${takes}`);
    }
  }
  const need: Record<KmpSpec['type'], string> = {
    inline: 'value (PEM certificates)',
    file: 'paths (certificate files or folders) or trustStorePath (a Notation trust-store folder)',
    secret: 'secretRef (the Secret with the certificates)',
  };
  const present = set.filter((k) => allowed[spec.type].includes(k));
  if (present.length === 0) {
    ok = false;
    issues.add('CONFIG_INVALID', at, ['spec', 'parameters'], `type ${spec.type} needs ${need[spec.type]}`);
  } else if (spec.type === 'file' && present.length > 1) {
    ok = false;
    const reason = 'cannot be combined with paths; use one KeyManagementProvider for each';
    issues.add('CONFIG_INVALID', at, ['spec', 'parameters', 'trustStorePath'], reason);
  }
  return ok;
}

function checkStore(spec: StoreSpec, namespace: string | undefined, issues: IssueList, at: DocumentOrigin): boolean {
  const p = spec.parameters ?? {};
  let ok = true;
  if (p.caFile !== undefined && p.caBundle !== undefined) {
    ok = false;
    issues.add('CONFIG_INVALID', at, ['spec', 'parameters', 'caBundle'], 'cannot be combined with caFile; use one of them');
  }
  const auth = p.authProvider;
  if (auth === undefined) return ok;
  const where = ['spec', 'parameters', 'authProvider'];
  if (!checkAuthProvider(auth, p.dockerConfig !== undefined, issues, at, where)) ok = false;
  for (const [i, ref] of auth.secrets.entries()) {
    const path = [...where, 'secrets', i, 'namespace'];
    if (namespace === undefined && ref.namespace === undefined) {
      ok = false;
      issues.add('CONFIG_INVALID', at, path, `is required on a cluster-wide Store: name the namespace of Secret "${ref.secretName}"`);
    } else if (namespace !== undefined && ref.namespace !== undefined && ref.namespace !== namespace) {
      ok = false;
      const reason = `is ${ref.namespace}, but a NamespacedStore reads Secrets of its own namespace (${namespace}) only; copy the Secret there or use a cluster-wide Store`;
      issues.add('CONFIG_INVALID', at, path, reason);
    }
  }
  return ok;
}

/** Validated, typed resources of `documents`; every problem is added to `issues`. */
export function parseResources(documents: readonly SourceDocument[], catalog: CrdCatalog, issues: IssueList): ConfigResource[] {
  const out: ConfigResource[] = [];
  const seen = new Map<string, DocumentOrigin>();
  for (const doc of documents) {
    const base: DocumentOrigin = { file: doc.file, document: doc.document, ...(doc.lineOf ? { lineOf: doc.lineOf } : {}) };
    if (!isRecord(doc.value)) {
      issues.add('CONFIG_SCHEMA', base, [], `must be a mapping with apiVersion, kind, metadata and spec, got ${describeValue(doc.value)}`);
      continue;
    }
    const value = doc.value;
    const metadata = isRecord(value.metadata) ? value.metadata : {};
    const at: DocumentOrigin = {
      ...base,
      ...(typeof value.kind === 'string' ? { kind: value.kind } : {}),
      ...(typeof metadata.name === 'string' ? { name: metadata.name } : {}),
      ...(typeof metadata.namespace === 'string' ? { namespace: metadata.namespace } : {}),
    };
    if (!checkEnvelope(doc, catalog, issues, at)) continue;
    const schema = catalog.kinds.get(value.kind as string);
    if (!schema) continue;
    const lineOf = (path: readonly (string | number)[]): number => doc.lineOf?.(path) ?? 0;
    const violations = schemaViolations(schema, value).sort((a, b) => lineOf(a.path) - lineOf(b.path));
    for (const v of violations) issues.add('CONFIG_SCHEMA', at, v.path, v.reason);
    const metadataOk = checkMetadata(value, schema.namespaced, issues, at);
    if (violations.length > 0 || !metadataOk) continue;

    const kind = baseKindOf(schema.kind);
    const spec = value.spec as Record<string, unknown>;
    if (kind === 'KeyManagementProvider' && !checkKmp(spec as unknown as KmpSpec, issues, at)) continue;
    const own = schema.namespaced ? (metadata.namespace as string) : undefined;
    if (kind === 'Store' && !checkStore(spec as unknown as StoreSpec, own, issues, at)) continue;
    if (kind === 'SigningRule' && !checkSigningRule(spec as unknown as SigningRuleSpec, issues, at)) continue;

    const name = metadata.name as string;
    const namespace = schema.namespaced ? (metadata.namespace as string) : undefined;
    const key = `${schema.kind}/${namespace ?? ''}/${name}`;
    const earlier = seen.get(key);
    if (earlier) {
      const line = earlier.lineOf?.([]);
      const other = `${earlier.file}${line === undefined ? '' : `:${line}`}`;
      issues.add('CONFIG_INVALID', at, ['metadata', 'name'], `${schema.kind} "${name}" is defined twice; the other one is in ${other}`);
      continue;
    }
    seen.set(key, at);
    out.push({
      kind,
      name,
      ...(namespace === undefined ? {} : { namespace }),
      origin: at,
      ...(doc.baseDir === undefined ? {} : { baseDir: doc.baseDir }),
      raw: value,
      spec,
    } as unknown as ConfigResource);
  }
  return out;
}
