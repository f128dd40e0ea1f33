/**
 * A Verifier resource -> VerifierConfig: the trust policy document parsed by notation's own parser, every
 * `verificationCertStores` entry resolved to the certificates of the KeyManagementProviders it names, every trust
 * store the policy names checked to be defined there, and the result held in an in-memory trust store.
 */
import {
  ARTIFACT_TYPE_SIGNATURE,
  createMemoryTrustStore,
  parseTrustPolicyDocument,
  type MemoryTrustStoreEntry,
  type TrustPolicyDocument,
} from '../notation/index.js';
import type { IssueList } from './errors.js';
import type { InputTracker } from './inputs.js';
import type { ConfigResource, TrustStoreTypeName } from './kinds.js';
import type { ResolvedKmp } from './kmp.js';
import { verifierDigest } from './digest.js';
import { readCrlFiles } from './revocation.js';
import type { VerifierConfig } from './types.js';

type VerifierResource = Extract<ConfigResource, { kind: 'Verifier' }>;

/** A KMP by name as a Verifier of some scope sees it: resolved, `invalid` (its own error is reported), or undefined. */
export type KmpLookup = (name: string) => ResolvedKmp | 'invalid' | undefined;

const STORE_TYPES: readonly TrustStoreTypeName[] = ['ca', 'signingAuthority', 'tsa'];
const STORE_NAME = /^[a-zA-Z0-9_.-]+$/;
const PARAMS = ['spec', 'parameters'] as const;

function missingKmpReason(resource: VerifierResource, name: string): string {
  if (resource.namespace === undefined) {
    return (
      `names KeyManagementProvider "${name}", which is not defined; define a KeyManagementProvider with ` +
      `metadata.name ${name} or correct the name`
    );
  }
  return (
    `names "${name}", but neither a NamespacedKeyManagementProvider "${name}" in namespace ${resource.namespace} nor a ` +
    `cluster-wide KeyManagementProvider "${name}" is defined; define one or correct the name`
  );
}

function parsePolicy(resource: VerifierResource, issues: IssueList): TrustPolicyDocument | undefined {
  try {
    return parseTrustPolicyDocument(resource.spec.parameters.trustPolicyDoc);
  } catch (err) {
    issues.add('CONFIG_TRUST_POLICY', resource.origin, [...PARAMS, 'trustPolicyDoc'], (err as Error).message);
    return undefined;
  }
}

async function storeEntries(resource: VerifierResource, lookup: KmpLookup, issues: IssueList): Promise<MemoryTrustStoreEntry[]> {
  const entries: MemoryTrustStoreEntry[] = [];
  const stores = resource.spec.parameters.verificationCertStores ?? {};
  for (const type of STORE_TYPES) {
    for (const [storeName, kmpNames] of Object.entries(stores[type] ?? {})) {
      const at = [...PARAMS, 'verificationCertStores', type, storeName];
      if (!STORE_NAME.test(storeName) || storeName === '.' || storeName === '..') {
        issues.add('CONFIG_INVALID', resource.origin, at, 'is not a valid trust store name; use letters, digits, "_", "." and "-"');
        continue;
      }
      const certificates = [];
      const hints: string[] = [];
      for (const [i, kmpName] of kmpNames.entries()) {
        const kmp = lookup(kmpName);
        if (kmp === 'invalid') continue;
        if (kmp === undefined) {
          issues.add('CONFIG_REFERENCE', resource.origin, [...at, i], missingKmpReason(resource, kmpName));
          continue;
        }
        hints.push(kmp.hint);
        try {
          certificates.push(...(await kmp.certificatesFor(type, storeName)));
        } catch (err) {
          issues.add('CONFIG_CERTIFICATE', resource.origin, [...at, i], (err as Error).message);
        }
      }
      const emptyHint =
        hints.length > 0 ? hints.join('; ') : `list a KeyManagementProvider in spec.parameters.verificationCertStores.${type}.${storeName}`;
      entries.push({ type, name: storeName, certificates, emptyHint });
    }
  }
  return entries;
}

/** Every trust store a statement names must be defined in verificationCertStores. */
function checkPolicyStores(resource: VerifierResource, entries: readonly MemoryTrustStoreEntry[], issues: IssueList): void {
  const defined = new Set(entries.map((e) => `${e.type}:${e.name}`));
  const statements = resource.spec.parameters.trustPolicyDoc.trustPolicies;
  for (const [i, statement] of statements.entries()) {
    for (const [j, ref] of (statement.trustStores ?? []).entries()) {
      if (defined.has(ref)) continue;
      const [type = '', ...rest] = ref.split(':');
      const name = rest.join(':');
      issues.add(
        'CONFIG_REFERENCE',
        resource.origin,
        [...PARAMS, 'trustPolicyDoc', 'trustPolicies', i, 'trustStores', j],
        `names trust store "${ref}", which verificationCertStores does not define; add ` +
          `spec.parameters.verificationCertStores.${type}.${name}: [<KeyManagementProvider names>] or correct the name`,
      );
    }
  }
}

export async function buildVerifier(
  resource: VerifierResource,
  lookup: KmpLookup,
  issues: IssueList,
  tracker: InputTracker,
): Promise<VerifierConfig | undefined> {
  const before = issues.items.length;
  const trustPolicy = parsePolicy(resource, issues);
  const entries = await storeEntries(resource, lookup, issues);
  const crls = await readCrlFiles(resource, tracker, issues);
  if (trustPolicy) checkPolicyStores(resource, entries, issues);
  if (!trustPolicy || issues.items.length > before) return undefined;
  let trustStore;
  try {
    trustStore = createMemoryTrustStore(entries);
  } catch (err) {
    issues.add('CONFIG_CERTIFICATE', resource.origin, [...PARAMS, 'verificationCertStores'], (err as Error).message);
    return undefined;
  }
  const artifactTypes = [...new Set(resource.spec.artifactTypes ?? [ARTIFACT_TYPE_SIGNATURE])];
  const digest = verifierDigest({
    name: resource.name,
    artifactTypes,
    trustPolicy,
    trustStores: entries.map((e) => ({ type: e.type, name: e.name, fingerprints: e.certificates.map((c) => c.fingerprint256) })),
    crlFingerprints: crls.map((c) => c.fingerprint256),
    ...(resource.spec.parameters.verifyTag === true ? { verifyTag: true } : {}),
  });
  return Object.freeze({
    name: resource.name,
    type: 'notation',
    artifactTypes: Object.freeze(artifactTypes),
    trustPolicy,
    trustStore,
    certificateCount: trustStore.certificateCount,
    ...(crls.length > 0 ? { crls: Object.freeze(crls) } : {}),
    ...(resource.spec.parameters.verifyTag === true ? { verifyTag: true as const } : {}),
    digest,
  });
}
