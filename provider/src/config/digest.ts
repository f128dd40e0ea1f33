/**
 * The content hash of the effective configuration: what verdict cache keys are made of. Every replica that loaded the
 * same configuration computes the same digest (no paths, file times or per-process counters go in: certificates by
 * their SHA-256 fingerprint, CRLs by theirs, everything else by value), and any change to what a verdict depends on
 * (a certificate, the trust policy, a verifier, the Store, the Policy, a namespace's own configuration) gives another.
 * One canonical JSON form (object keys sorted, arrays in order) under a version tag, hashed with SHA-256.
 */
import { createHash } from 'node:crypto';
import type { TrustPolicyDocument } from '../notation/index.js';
import type { PolicyConfig, ScopeConfig, StoreConfig } from './types.js';

/** Bumped whenever what goes into a digest changes, so that old and new software never share a key by accident. */
const DIGEST_VERSION = 'signgate-config-digest/v1';

type Canonical = string | number | boolean | null | readonly Canonical[] | { readonly [key: string]: Canonical | undefined };

function canonicalJson(value: Canonical | undefined): string {
  if (value === undefined || value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${(value as readonly Canonical[]).map(canonicalJson).join(',')}]`;
  const object = value as { readonly [key: string]: Canonical | undefined };
  const keys = Object.keys(object)
    .filter((k) => object[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(object[k])}`).join(',')}}`;
}

function sha256(kind: string, value: Canonical): string {
  return createHash('sha256').update(`${DIGEST_VERSION}\u0000${kind}\u0000${canonicalJson(value)}`).digest('hex');
}

/** What one notation Verifier's verdicts depend on. */
export interface VerifierDigestInput {
  readonly name: string;
  readonly artifactTypes: readonly string[];
  readonly trustPolicy: TrustPolicyDocument;
  /** Each named trust store with the SHA-256 fingerprints of its certificates, in the order they were read. */
  readonly trustStores: readonly { readonly type: string; readonly name: string; readonly fingerprints: readonly string[] }[];
  /** SHA-256 fingerprints of the Verifier's CRL files. */
  readonly crlFingerprints: readonly string[];
  /** spec.parameters.verifyTag when on (absent when off, so digests of Verifiers without it are unchanged). */
  readonly verifyTag?: true;
}

export function verifierDigest(input: VerifierDigestInput): string {
  return sha256('verifier', {
    name: input.name,
    artifactTypes: input.artifactTypes,
    trustPolicy: input.trustPolicy as unknown as Canonical,
    trustStores: input.trustStores.map((s) => ({ type: s.type, name: s.name, fingerprints: s.fingerprints })),
    crls: input.crlFingerprints,
    verifyTag: input.verifyTag,
  });
}

/**
 * The Store's fields except `dockerConfigPath`: credentials decide whether signatures can be read (a read failure is
 * never cached), not what they mean, and the path of a credentials file differs between replicas.
 */
function storeValue(store: StoreConfig): Canonical {
  return {
    name: store.name,
    cacheEnabled: store.cacheEnabled,
    ttlSeconds: store.ttlSeconds,
    plainHttpHosts: store.plainHttpHosts,
    allowedTokenRealms: store.allowedTokenRealms,
    caBundle: store.caBundle,
    maxBlobBytes: store.maxBlobBytes,
  };
}

function policyValue(policy: PolicyConfig): Canonical {
  return { name: policy.name, artifactVerificationPolicies: policy.artifactVerificationPolicies };
}

/** One scope's digest: its verifiers (each by its own digest, in order), its Store and its Policy. */
export function scopeDigest(scope: Omit<ScopeConfig, 'digest'>): string {
  return sha256('scope', { verifiers: scope.verifiers.map((v) => v.digest), store: storeValue(scope.store), policy: policyValue(scope.policy) });
}

/** The whole configuration's digest (what the log shows, to compare replicas): the cluster scope and every namespace's. */
export function configDigest(cluster: ScopeConfig | undefined, namespaces: ReadonlyMap<string, ScopeConfig>): string {
  const byNamespace = Object.fromEntries([...namespaces].map(([name, s]) => [name, s.digest]));
  return sha256('config', { cluster: cluster?.digest ?? null, namespaces: byNamespace });
}
