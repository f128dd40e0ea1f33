/**
 * removeSignaturesOnDelete (TCR's behaviour when a signing policy is deleted; opt-in here): when a SigningRule is
 * deleted, the signatures made with its certificate are deleted from its registry namespace, and nothing else.
 *
 * - Which images: every repository of the catalog under `namespace/`; in each, the digest of every tag and every
 *   subject of a referrers tag-schema index (`sha256-<hex>`), so signatures of images whose tag moved on are found too.
 *   A referrers index whose image is gone is left alone (nothing can run that image).
 * - Which signatures: each Notary signature manifest of those images is verified by notation's verifier against a trust
 *   store holding only the rule's root, at level permissive (integrity and authenticity enforced; expiry, timestamp
 *   and revocation only logged, so old signatures are removed too), and is the rule's when its signing certificate is
 *   the rule's leaf. Annotations are never trusted: another signer's signature (other key, other leaf of the same CA),
 *   a broken envelope or an image is never deleted (and a broken one does not stop the removal).
 * - How: `DELETE /v2/<repo>/manifests/<digest>` per signature, then the subject's `<alg>-<hex>` index re-pushed without
 *   them (and the old index manifest deleted), or deleted when empty, as oras-go does. Unlike oras (index first), the
 *   manifests go first: a registry that refuses deletes then stops the removal before anything changed, and a reader
 *   that meets an index entry whose manifest is gone skips it (oci `signatureManifests`).
 * - The rule's certificate must be known: a plugin key shows it only once it has signed (SIGNER_IDENTITY_UNKNOWN).
 * - Refusals are reported, never hidden: deletes not enabled (405 UNSUPPORTED), 401/403 → REGISTRY_DELETE_REFUSED;
 *   other registry errors → SIGNATURE_REMOVAL_FAILED; both say what was removed before the stop. Running it again is
 *   safe: what is gone is not found again.
 * - Limits: the registry's catalog/tag bounds, and per image the first 100 signature manifests the registry lists
 *   (oci's maxReferrers). Another writer updating the same referrers index at the same moment can race the
 *   read-modify-write of the index (distribution has no conditional PUT; oras shares this).
 */
import type { SigningRuleConfig } from '../config/index.js';
import { isTransientOciError, OciError, parseReferrersTag, type Descriptor, type Registry, type Repository, type SignatureManifest } from '../oci/index.js';
import { signedByRule, type SignerIdentity } from './coverage.js';
import { SigningError } from './errors.js';
import type { RuleKey } from './reconcile.js';
import { ruleScope } from './rules.js';

export interface RemovalInput {
  readonly rule: SigningRuleConfig;
  readonly registry: Registry;
  /** The rule's key: its certificate's leaf decides which signatures are the rule's. */
  readonly key: RuleKey;
  readonly clock: () => Date;
  readonly signal?: AbortSignal;
}

export interface RemovedSignature {
  /** registry/repository@digest of the signed image. */
  readonly image: string;
  /** The deleted signature manifest's digest. */
  readonly signature: string;
}

export interface RemovalSummary {
  readonly rule: string;
  /** registry/namespace */
  readonly scope: string;
  readonly repositories: number;
  /** Images (distinct digests) whose signatures were examined. */
  readonly images: number;
  readonly removed: readonly RemovedSignature[];
  /** Signatures of other signers (or that do not verify) left in place. */
  readonly kept: number;
  /** Referrers tag-schema indexes re-pushed without the removed signatures, and deleted because nothing was left. */
  readonly indexesUpdated: number;
  readonly indexesDeleted: number;
}

const REFUSALS = new Set(['DELETE_UNSUPPORTED', 'UNAUTHORIZED', 'DENIED']);

/** The images of `repo` by digest: what its tags name, and the subjects of its referrers indexes that still exist. */
async function imagesOf(repo: Repository, signal: AbortSignal | undefined): Promise<Descriptor[]> {
  const options = signal === undefined ? {} : { signal };
  const byDigest = new Map<string, Descriptor>();
  for (const tag of [...(await repo.tags(options))].sort()) {
    const referrers = parseReferrersTag(tag);
    if (referrers !== undefined && referrers.subjectDigest === undefined) continue; // a sha512 subject: the tag keeps only 64 of its 128 hex digits
    try {
      const image = await repo.resolve(referrers?.subjectDigest ?? tag, options);
      byDigest.set(image.digest, image);
    } catch (error) {
      // a tag deleted since the listing, or a referrers index whose image is gone
      if (!(error instanceof OciError && error.code === 'MANIFEST_NOT_FOUND')) throw error;
    }
  }
  return [...byDigest.values()];
}

/**
 * Whether `signature` was made with the rule's certificate. An envelope that cannot be read for good (missing blob,
 * digest or size mismatch) is nobody's proven signature: kept, so that a broken signature of another signer cannot stop
 * the removal. Transient and permission errors propagate.
 */
async function isRules(repo: Repository, image: Descriptor, signature: SignatureManifest, identity: SignerIdentity, clock: () => Date, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    return (await signedByRule(repo, image, signature, identity, identity.authorship, clock, signal)) !== undefined;
  } catch (error) {
    if (error instanceof OciError && !isTransientOciError(error) && !REFUSALS.has(error.code)) return false;
    throw error;
  }
}

/** Deletes the signatures made with the rule's certificate from its namespace (see the file header). */
export async function removeRuleSignatures(input: RemovalInput): Promise<RemovalSummary> {
  const { rule, registry, clock, signal } = input;
  const identity = input.key.identity;
  if (identity === undefined) {
    throw new SigningError(
      'SIGNER_IDENTITY_UNKNOWN',
      `SigningRule ${rule.name} signs with ${input.key.signer.description}, whose certificate is known only once it has signed, and it has not signed since the start; ` +
        `nothing was removed from ${ruleScope(rule)}: give the rule a certificateChain, or delete its signatures with the registry's own tools`,
    );
  }
  const options = signal === undefined ? {} : { signal };
  const removed: RemovedSignature[] = [];
  const counts = { repositories: 0, images: 0, kept: 0, indexesUpdated: 0, indexesDeleted: 0 };
  try {
    const repositories = (await registry.catalog(rule.registry, options)).filter((r) => r.startsWith(`${rule.namespace}/`)).sort();
    for (const repository of repositories) {
      counts.repositories++;
      const repo = registry.repository({ registry: rule.registry, repository });
      for (const image of await imagesOf(repo, signal)) {
        counts.images++;
        const ours: Descriptor[] = [];
        for (const signature of await repo.signatureManifests(image, options)) {
          if (await isRules(repo, image, signature, identity, clock, signal)) ours.push(signature.descriptor);
          else counts.kept++;
        }
        for (const signature of ours) {
          await repo.deleteManifest(signature, options);
          removed.push({ image: `${repo.name}@${image.digest}`, signature: signature.digest });
        }
        if (ours.length === 0) continue;
        const index = await repo.removeFromReferrersIndex(image.digest, new Set(ours.map((d) => d.digest)), options);
        if (index === 'updated') counts.indexesUpdated++;
        if (index === 'deleted') counts.indexesDeleted++;
      }
    }
  } catch (error) {
    if (!(error instanceof OciError)) throw error;
    const done = `${removed.length} signature(s) of SigningRule ${rule.name} were removed before it stopped`;
    if (REFUSALS.has(error.code)) {
      throw new SigningError(
        'REGISTRY_DELETE_REFUSED',
        `removing the signatures of SigningRule ${rule.name} from ${ruleScope(rule)}: the registry refused (${error.message}); ${done}. ` +
          'Allow the signer to delete manifests in that registry (enable deletes, grant delete permission), then delete the rule again',
        { cause: error },
      );
    }
    throw new SigningError('SIGNATURE_REMOVAL_FAILED', `removing the signatures of SigningRule ${rule.name} from ${ruleScope(rule)} failed (${error.message}); ${done}. Try again: removal starts over safely`, { cause: error });
  }
  return { rule: rule.name, scope: ruleScope(rule), ...counts, removed };
}
