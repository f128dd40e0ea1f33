/**
 * Tag binding (Verifier `spec.parameters.verifyTag`, `signgate verify --verify-tag`): a key that names a tag passes
 * only when a signature that VERIFIES under the trust policy carries that tag in its signed payload
 * (`targetArtifact.annotations["org.opencontainers.image.ref.name"]`, exactly equal), as the Default signatures of
 * signgate's signer do. Without it, an older signed image retagged as a newer tag would pass (a rollback). Only the
 * signatures that decided the pass count; an unverified envelope's annotation means nothing, and a Simple signature
 * (digest only) binds no tag.
 *
 * Which tag: the key's tag (`app:v2` and `app:v2@sha256:...` both ask for v2); `latest` for a key with neither tag nor
 * digest (what a pull of `app` resolves). A key by digest only (`app@sha256:...`) names no tag: nothing can be bound,
 * the deployer pinned exact content, and its signatures decide as without verifyTag. Gatekeeper's signgate mutation
 * keeps the tag (`app:v2@sha256:...`), so the binding still applies after mutation unless `--mutate-drop-tag` is set.
 *
 * Because the verdict then depends on the tag, the verdict cache keys (local and shared) carry it (`keyTag`), and
 * in-flight work is keyed by the reference as given: a pass for `app:v2@D` never answers `app:v1` resolving to D.
 */
import { ANNOTATION_REF_NAME, type Reference } from '../oci/index.js';
import type { ScopeConfig } from '../config/types.js';
import type { ArtifactVerification } from './executor.js';
import { makeVerdict, report, type Verdict, type VerdictContext } from './verdict.js';

/** The errorReason of a verdict refused by the tag binding. */
export const TAG_NOT_SIGNED = 'TAG_NOT_SIGNED';

const REMEDIATION =
  'Deploy the tag that the image\'s signatures name, or, if this digest really is that tag, sign it for the tag ' +
  '(a Default signature: push the tag into a namespace a SigningRule signs, or sign with the tag in the payload). ' +
  'Simple (digest-only) signatures bind no tag; a key by digest is not subject to the binding.';

/** The tag a key asks for: its tag; `latest` when it names neither tag nor digest; none for a digest-only key. */
export function requestedTag(reference: Reference): string | undefined {
  if (reference.tag !== undefined) return reference.tag;
  return reference.digest === undefined ? 'latest' : undefined;
}

/**
 * The tag verdict cache and in-flight keys carry (verdictCache.ts `verdictKey`, local and shared): the tag the key asks
 * for when a verifier of the scope binds tags, else none (the digest alone decides).
 */
export function keyTag(scope: ScopeConfig, reference: Reference): string | undefined {
  return scope.verifiers.some((v) => v.verifyTag === true) ? requestedTag(reference) : undefined;
}

/** The tags the verified signatures of `result` bind (empty for digest-only signatures), in discovery order. */
function boundTags(result: ArtifactVerification): string[] {
  if (result.kind !== 'verified' && result.kind !== 'failed') return [];
  const tags = result.signatures.filter((s) => s.outcome.error === undefined).map((s) => s.outcome.payload?.targetArtifact.annotations?.[ANNOTATION_REF_NAME]);
  return [...new Set(tags.filter((t): t is string => t !== undefined))];
}

/**
 * One verifier's verdict with the binding of `tag` applied: a failing verdict or a skipped verification (trust policy
 * level skip) is returned as it is; a pass without a verified signature that binds `tag` becomes a fail with one more
 * report, TAG_NOT_SIGNED, naming the tag, the digest and the tags the verified signatures do bind.
 */
export function bindTag(verdict: Verdict, result: ArtifactVerification, tag: string, ctx: VerdictContext): Verdict {
  if (!verdict.isSuccess || result.kind !== 'verified') return verdict;
  const bound = boundTags(result);
  if (bound.includes(tag)) return verdict;
  const verified = result.signatures.filter((s) => s.outcome.error === undefined).length;
  const binds = bound.length > 0 ? `they bind the tag${bound.length === 1 ? '' : 's'} ${bound.map((t) => `"${t}"`).join(', ')} only` : 'they bind no tag (digest-only signatures)';
  const message =
    `tag "${tag}" is not signed: ${ctx.subject} has ${verified} verified signature${verified === 1 ? '' : 's'}, but ${binds}; ` +
    'an image retagged after signing (an older image under a newer tag) is refused when the Verifier binds tags (verifyTag)';
  const refusal = report(ctx, { isSuccess: false, message, errorReason: TAG_NOT_SIGNED, remediation: REMEDIATION, extensions: { tag, boundTags: bound } });
  return makeVerdict({ isSuccess: false, traceID: verdict.traceID, now: ctx.now, verifierReports: [...verdict.verifierReports, refusal] });
}
