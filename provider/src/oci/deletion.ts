/**
 * Deleting from a registry (distribution-spec "Deleting manifests"): a manifest by digest, and the referrers tag
 * schema's bookkeeping for it. On a registry without the referrers API the `<alg>-<hex>` index of a subject lists its
 * referrers; when referrers are deleted the index is re-pushed without them and the old index manifest is deleted, or,
 * with nothing left, the index is deleted (which removes its tag) — what oras-go does (`updateReferrersIndex`, with
 * referrers GC on). A registry that does not allow deletes answers 405 (distribution: UNSUPPORTED): DELETE_UNSUPPORTED.
 */
import { OciError } from './errors.js';
import { readBody } from './body.js';
import { computeDigest, parseDigest } from './digest.js';
import type { Descriptor } from './descriptor.js';
import { statusError } from './httpError.js';
import { decodeJson, parseImageIndex } from './manifest.js';
import { MEDIA_TYPE_OCI_INDEX } from './mediaTypes.js';
import { forgetReferrers, referrersTag } from './referrers.js';
import { discard } from './transport.js';
import type { Repository } from './repository.js';

/** What happened to a subject's referrers tag-schema index. */
export type ReferrersIndexChange = 'absent' | 'unchanged' | 'updated' | 'deleted';

/** The `<alg>-<hex>` index of a subject, read with push scope (it is about to be rewritten); undefined when there is none. */
export async function readReferrersIndex(repo: Repository, subjectDigest: string, signal?: AbortSignal): Promise<{ readonly digest: string; readonly manifests: readonly Descriptor[] } | undefined> {
  parseDigest(subjectDigest);
  const tag = referrersTag(subjectDigest);
  const what = `referrers tag ${tag} of ${repo.name}`;
  const got = await repo.request('GET', `manifests/${tag}`, { actions: 'pull,push', headers: { accept: MEDIA_TYPE_OCI_INDEX } }, signal);
  if (got.response.status === 404) {
    await discard(got.response);
    return undefined;
  }
  if (got.response.status !== 200) throw await statusError(got, what);
  const bytes = await readBody(got, { cap: repo.context.limits.maxManifestBytes, what });
  return { digest: computeDigest(bytes), manifests: parseImageIndex(decodeJson(bytes, what), MEDIA_TYPE_OCI_INDEX, what).manifests };
}

/** Puts `manifests` as the subject's `<alg>-<hex>` index. */
export async function putReferrersIndex(repo: Repository, subjectDigest: string, manifests: readonly Descriptor[], signal?: AbortSignal): Promise<void> {
  const tag = referrersTag(subjectDigest);
  const bytes = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPE_OCI_INDEX, manifests }));
  const put = await repo.request('PUT', `manifests/${tag}`, { actions: 'pull,push', body: bytes, headers: { 'content-type': MEDIA_TYPE_OCI_INDEX } }, signal);
  if (put.response.status !== 201) throw await statusError(put, `updating referrers tag ${tag} of ${repo.name}`);
  await discard(put.response);
}

/** DELETE /v2/<repository>/manifests/<digest>. Tags naming the manifest go with it (distribution untags them). */
export async function deleteManifest(repo: Repository, descriptor: Descriptor, signal?: AbortSignal): Promise<void> {
  parseDigest(descriptor.digest);
  const what = `deleting manifest ${descriptor.digest} of ${repo.name}`;
  const sent = await repo.request('DELETE', `manifests/${descriptor.digest}`, { actions: 'pull,delete' }, signal);
  const status = sent.response.status;
  if (status === 202 || status === 200 || status === 204) {
    await discard(sent.response);
    repo.context.caches.content.delete(`${repo.name}@${descriptor.digest}`);
    return;
  }
  const error = await statusError(sent, what);
  if (status === 405 || /\bUNSUPPORTED\b/.test(error.message)) {
    throw new OciError(
      'DELETE_UNSUPPORTED',
      `${error.message}; the registry ${repo.registry} does not allow deleting manifests: enable deletes (docker-registry / CNCF distribution: storage.delete.enabled: true) and try again`,
      { cause: error },
    );
  }
  throw error;
}

/**
 * Drops `removed` (digests) from the subject's `<alg>-<hex>` index: re-pushes it without them and deletes the old
 * index manifest, or deletes the index when nothing is left. Absent or unaffected indexes are left alone.
 */
export async function removeFromReferrersIndex(repo: Repository, subjectDigest: string, removed: ReadonlySet<string>, signal?: AbortSignal): Promise<ReferrersIndexChange> {
  const index = await readReferrersIndex(repo, subjectDigest, signal);
  if (index === undefined) return 'absent';
  const kept = index.manifests.filter((d) => !removed.has(d.digest));
  if (kept.length === index.manifests.length) return 'unchanged';
  if (kept.length > 0) await putReferrersIndex(repo, subjectDigest, kept, signal);
  await deleteManifest(repo, { mediaType: MEDIA_TYPE_OCI_INDEX, digest: index.digest, size: 0 }, signal);
  repo.context.caches.invalidate({ kind: 'tag', name: repo.name, tag: referrersTag(subjectDigest) });
  forgetReferrers(repo, subjectDigest);
  return kept.length > 0 ? 'updated' : 'deleted';
}
