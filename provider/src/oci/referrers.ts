/**
 * Referrers of a subject (distribution-spec "Listing Referrers"): the referrers API with Link pagination (same origin
 * only, bounded pages), the artifactType filter and OCI-Filters-Applied, and the referrers tag schema
 * (`<alg>-<hex>` index) for registries that answer 404. Which one works is remembered per registry.
 */
import { OciError } from './errors.js';
import { readBody } from './body.js';
import { computeDigest, parseDigest } from './digest.js';
import { referrersKey } from './cache.js';
import type { Descriptor } from './descriptor.js';
import { statusError } from './httpError.js';
import { decodeJson, parseImageIndex } from './manifest.js';
import { MEDIA_TYPE_OCI_INDEX } from './mediaTypes.js';
import { safeUrl, type Sent } from './transport.js';
import type { Repository } from './repository.js';

/** The referrers tag schema: `<alg>-<hex>`, alg truncated to 32 and hex to 64 characters. */
export function referrersTag(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `${algorithm.slice(0, 32)}-${hex.slice(0, 64)}`;
}

/**
 * Whether `tag` is a referrers tag (`sha256-<64 hex>`, `sha512-<64 hex>`), and the subject digest it stands for
 * when the tag holds all of it (sha256; a sha512 digest is truncated in its tag). Undefined for any other tag.
 */
export function parseReferrersTag(tag: string): { readonly subjectDigest?: string } | undefined {
  const m = /^(sha256|sha512)-([a-f0-9]{64})$/.exec(tag);
  if (m === null) return undefined;
  return m[1] === 'sha256' ? { subjectDigest: `sha256:${m[2] ?? ''}` } : {};
}

/** The rel="next" target of a Link header, resolved against `base`; a different origin is refused (SSRF). */
export function parseLinkNext(header: string | null, base: string): string | undefined {
  if (header === null) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (!m || !/(?:^|;)\s*rel\s*=\s*"?next"?\s*(?:;|$)/i.test(m[2] ?? '')) continue;
    let next: URL;
    try {
      next = new URL(m[1] ?? '', base);
    } catch (cause) {
      throw new OciError('RESPONSE_INVALID', `${safeUrl(base)}: the Link header's next page is not a URL`, { cause });
    }
    if (next.origin !== new URL(base).origin) {
      throw new OciError('RESPONSE_INVALID', `${safeUrl(base)}: the Link header points to another origin (${next.origin}); refusing to follow it`);
    }
    return next.href;
  }
  return undefined;
}

function keep(descriptors: readonly Descriptor[], artifactType: string | undefined): readonly Descriptor[] {
  if (artifactType === undefined) return descriptors;
  return descriptors.filter((d) => d.artifactType === undefined || d.artifactType === artifactType);
}

async function readIndex(repo: Repository, sent: Sent, what: string): Promise<readonly Descriptor[]> {
  const bytes = await readBody(sent, { cap: repo.context.limits.maxManifestBytes, what });
  const headerDigest = sent.response.headers.get('docker-content-digest')?.trim();
  if (headerDigest !== undefined && headerDigest.startsWith('sha256:') && computeDigest(bytes) !== headerDigest) {
    throw new OciError('DIGEST_MISMATCH', `${what}: the content does not hash to the Docker-Content-Digest ${headerDigest}`);
  }
  return parseImageIndex(decodeJson(bytes, what), MEDIA_TYPE_OCI_INDEX, what).manifests;
}

function isIndexResponse(sent: Sent): boolean {
  return (sent.response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() === MEDIA_TYPE_OCI_INDEX;
}

/** Referrers API; undefined when the registry does not implement it. */
async function byApi(repo: Repository, subject: Descriptor, artifactType: string | undefined, signal?: AbortSignal): Promise<readonly Descriptor[] | undefined> {
  const { limits } = repo.context;
  const what = `referrers of ${repo.name}@${subject.digest}`;
  const query = artifactType !== undefined ? `?artifactType=${encodeURIComponent(artifactType)}` : '';
  let url: string | undefined = `${repo.context.transport.baseUrl(repo.registry)}/v2/${repo.repository}/referrers/${subject.digest}${query}`;
  const out: Descriptor[] = [];
  let filtered = true;
  for (let page = 0; url !== undefined; page++) {
    if (page >= limits.maxReferrerPages) {
      throw new OciError('RESPONSE_INVALID', `${what}: more than ${limits.maxReferrerPages} pages; the registry may be misbehaving`);
    }
    const sent = await repo.request('GET', '', { url, headers: { accept: MEDIA_TYPE_OCI_INDEX } }, signal);
    const status = sent.response.status;
    if (page === 0 && (status === 404 || (status === 200 && !isIndexResponse(sent)))) {
      const err = status === 404 ? await statusError(sent, what) : undefined;
      // NAME_UNKNOWN: the repository itself is unknown, which the tag schema cannot fix either
      if (err !== undefined && /NAME_UNKNOWN/.test(err.message)) throw err;
      return undefined;
    }
    if (status !== 200) throw await statusError(sent, what);
    if (!isIndexResponse(sent)) throw new OciError('RESPONSE_INVALID', `${what}: page ${page + 1} is not an OCI image index`);
    const applied = (sent.response.headers.get('oci-filters-applied') ?? '').split(',').map((s) => s.trim());
    if (!applied.includes('artifactType')) filtered = false;
    out.push(...(await readIndex(repo, sent, what)));
    if (out.length > limits.maxReferrers * 20) throw new OciError('RESPONSE_INVALID', `${what}: more than ${limits.maxReferrers * 20} referrers listed`);
    url = parseLinkNext(sent.response.headers.get('link'), sent.url);
  }
  return filtered ? out : keep(out, artifactType);
}

/** Referrers tag schema: the index tagged `<alg>-<hex>`; none means no referrers. */
async function byTagSchema(repo: Repository, subject: Descriptor, artifactType: string | undefined, signal?: AbortSignal): Promise<readonly Descriptor[]> {
  const tag = referrersTag(subject.digest);
  const what = `referrers tag ${tag} of ${repo.name}`;
  const sent = await repo.request('GET', `manifests/${tag}`, { headers: { accept: MEDIA_TYPE_OCI_INDEX } }, signal);
  if (sent.response.status === 404) return [];
  if (sent.response.status !== 200) throw await statusError(sent, what);
  if (!isIndexResponse(sent)) throw new OciError('RESPONSE_INVALID', `${what}: the tag names something other than an OCI image index`);
  return keep(await readIndex(repo, sent, what), artifactType);
}

export async function listReferrers(repo: Repository, subject: Descriptor, artifactType: string | undefined, signal?: AbortSignal): Promise<readonly Descriptor[]> {
  const { caches, referrersSupport } = repo.context;
  const key = referrersKey(repo.name, subject.digest, artifactType);
  const cached = caches.referrers.get(key);
  if (cached !== undefined) return cached;
  let list: readonly Descriptor[] | undefined;
  const supported = referrersSupport.get(repo.registry);
  if (supported === undefined) {
    // first contact: ask the API and the tag schema at once, so a registry without the API costs no extra wait
    const fallback = byTagSchema(repo, subject, artifactType, signal).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    list = await byApi(repo, subject, artifactType, signal);
    referrersSupport.set(repo.registry, list !== undefined);
    if (list === undefined) {
      const answer = await fallback;
      if ('error' in answer) throw answer.error;
      list = answer.value;
    }
  } else if (supported) {
    list = await byApi(repo, subject, artifactType, signal);
  }
  list ??= await byTagSchema(repo, subject, artifactType, signal);
  const frozen = Object.freeze([...list]);
  caches.referrers.set(key, frozen);
  return frozen;
}

/** Drops cached referrer lists of `subject` (after a push). */
export function forgetReferrers(repo: Repository, subjectDigest: string): void {
  repo.context.caches.invalidate({ kind: 'subject', name: repo.name, digest: subjectDigest });
}
