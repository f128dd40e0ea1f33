/**
 * One tag, level-triggered: resolve it now (whatever an event said), leave referrers alone, skip what the baseline
 * holds unchanged (unless backfilling), skip what a verified signature of the rule already covers, else sign the
 * digest the tag names and push the signature (an image index is signed at the index digest, as notation does).
 * Default signatures carry the tag as org.opencontainers.image.ref.name in the signed payload. The check and the signing
 * of one subject (repository and digest, and tag for Default) run one at a time per rule key, so two tags naming one
 * digest under a Simple rule, worked on at once, give one signature: the second finds the first's.
 */
import type { SigningRuleConfig } from '../config/index.js';
import type { EnvelopeSigner } from '../keys/index.js';
import { ANNOTATION_REF_NAME, formatReference, formatRepository, type Descriptor, type Registry, type Repository } from '../oci/index.js';
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

/** Per rule key: the subjects whose coverage check and signing are under way, and the promise of that work. */
const inFlight = new WeakMap<RuleKey, Map<string, Promise<unknown>>>();

/** Runs `work` once no other work on `subject` of this key is under way. */
async function oneAtATime<T>(key: RuleKey, subject: string, work: () => Promise<T>): Promise<T> {
  let running = inFlight.get(key);
  if (running === undefined) inFlight.set(key, (running = new Map()));
  for (let before = running.get(subject); before !== undefined; before = running.get(subject)) await before.catch(() => undefined);
  const mine = work();
  running.set(subject, mine);
  try {
    return await mine;
  } finally {
    if (running.get(subject) === mine) running.delete(subject);
  }
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
  const boundTag = rule.signatureType === 'Default' ? tag : undefined;
  if (!work.includeBaseline && ctx.baseline?.tags[`${repository}:${tag}`] === subject.digest) {
    const skipped = { state: 'skipped', digest: subject.digest, reason: `in the baseline of ${rule.name} (signed only by signgate signer backfill ${rule.name})` } as const;
    // a dry run (status) reports a baseline tag that backfill has signed as covered, not as baseline
    if (!work.dryRun || ctx.key.identity === undefined) return skipped;
    return (await isCovered(repo, subject, boundTag, ctx.key.identity, ctx.clock, ctx.signal)) ? { state: 'covered', digest: subject.digest } : skipped;
  }
  const subjectKey = `${formatRepository(repo)}@${subject.digest}${boundTag === undefined ? '' : `:${boundTag}`}`;
  return oneAtATime(ctx.key, subjectKey, () => signUnlessCovered(work, ctx, repo, subject, boundTag));
}

async function signUnlessCovered(work: TagWork, ctx: ReconcileContext, repo: Repository, subject: Descriptor, boundTag: string | undefined): Promise<TagOutcome> {
  const { rule } = work;
  const options = ctx.signal === undefined ? {} : { signal: ctx.signal };
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
