/**
 * One tag, level-triggered: resolve it now (whatever an event said), leave referrers alone, skip what the baseline
 * holds unchanged (unless backfilling), skip what a verified signature of the rule already covers, else sign the
 * digest the tag names and push the signature (an image index is signed at the index digest, as notation does).
 * Default signatures carry the tag as org.opencontainers.image.ref.name in the signed payload.
 */
import type { SigningRuleConfig } from '../config/index.js';
import type { EnvelopeSigner } from '../keys/index.js';
import { ANNOTATION_REF_NAME, formatReference, type Registry } from '../oci/index.js';
import type { Baseline } from './baseline.js';
import { SigningError } from './errors.js';
import { ANNOTATION_THUMBPRINTS, isCovered, signerIdentity, thumbprintsOf, type SignerIdentity } from './coverage.js';

/** A rule's key, and its certificate once known (from the key source, else from its first signature). */
export interface RuleKey {
  readonly signer: EnvelopeSigner;
  identity: SignerIdentity | undefined;
}

export type TagOutcome =
  | { readonly state: 'signed'; readonly digest: string; readonly thumbprint: string }
  | { readonly state: 'covered'; readonly digest: string }
  | { readonly state: 'skipped'; readonly digest?: string; readonly reason: string }
  | { readonly state: 'would-sign'; readonly digest: string };

export interface TagWork {
  readonly rule: SigningRuleConfig;
  readonly repository: string;
  readonly tag: string;
  /** The digest a push event says the tag was pushed with: until the tag names it, the work is retried. */
  readonly pushedDigest?: string;
  /** Sign baseline tags too (backfill). */
  readonly includeBaseline: boolean;
  readonly dryRun: boolean;
}

export interface ReconcileContext {
  readonly registry: Registry;
  readonly key: RuleKey;
  readonly baseline: Baseline | undefined;
  readonly clock: () => Date;
  readonly signal?: AbortSignal;
}

export async function reconcileTag(work: TagWork, ctx: ReconcileContext): Promise<TagOutcome> {
  const { rule, repository, tag } = work;
  const options = ctx.signal === undefined ? {} : { signal: ctx.signal };
  const repo = ctx.registry.repository({ registry: rule.registry, repository, tag });
  const subject = await repo.resolve(tag, options);
  if (work.pushedDigest !== undefined && work.pushedDigest !== subject.digest) {
    throw new SigningError('TAG_NOT_UPDATED', `${tagName(rule, repository, tag)} names ${subject.digest}, not ${work.pushedDigest} that its push event announced; the registry has not moved the tag yet, or it moved again (its next push event and the resync sign what it names)`);
  }
  const { manifest } = await repo.fetchManifest(subject, options);
  if (manifest.subject !== undefined) return { state: 'skipped', digest: subject.digest, reason: 'a referrer (signature, SBOM, ...) is never signed' };
  if (!work.includeBaseline && ctx.baseline?.tags[`${repository}:${tag}`] === subject.digest) {
    return { state: 'skipped', digest: subject.digest, reason: `in the baseline of ${rule.name} (signed only by signgate signer backfill ${rule.name})` };
  }
  const boundTag = rule.signatureType === 'Default' ? tag : undefined;
  if (ctx.key.identity !== undefined && (await isCovered(repo, subject, boundTag, ctx.key.identity, ctx.clock, ctx.signal))) {
    return { state: 'covered', digest: subject.digest };
  }
  if (work.dryRun) return { state: 'would-sign', digest: subject.digest };
  const now = ctx.clock();
  const signed = await ctx.key.signer.sign({
    format: rule.envelope,
    payload: {
      targetArtifact: {
        mediaType: subject.mediaType,
        digest: subject.digest,
        size: subject.size,
        ...(boundTag === undefined ? {} : { annotations: { [ANNOTATION_REF_NAME]: boundTag } }),
      },
    },
    signingScheme: 'notary.x509',
    signingTime: now,
    ...(rule.expirySeconds === undefined ? {} : { expiry: new Date(now.getTime() + rule.expirySeconds * 1000) }),
  });
  const thumbprints = thumbprintsOf(signed.certificateChain);
  ctx.key.identity ??= signerIdentity(rule.name, signed.certificateChain);
  await repo.pushSignature(
    { subject, envelope: signed.envelope, envelopeMediaType: signed.mediaType, annotations: { ...signed.annotations, [ANNOTATION_THUMBPRINTS]: JSON.stringify(thumbprints) } },
    options,
  );
  return { state: 'signed', digest: subject.digest, thumbprint: thumbprints[0] ?? '' };
}

/** `registry/repository:tag`, as messages name a tag. */
export function tagName(rule: SigningRuleConfig, repository: string, tag: string): string {
  return formatReference({ registry: rule.registry, repository, tag });
}
