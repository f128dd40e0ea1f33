/**
 * Pushing to a registry (distribution-spec "Push"): blobs by monolithic upload (POST then PUT ?digest=), manifests by
 * PUT, and for a manifest with a subject on a registry without the referrers API (no OCI-Subject header in the
 * answer), the referrers tag-schema index `<alg>-<hex>` updated to list it.
 */
import { OciError } from './errors.js';
import { computeDigest } from './digest.js';
import type { Descriptor } from './descriptor.js';
import { statusError } from './httpError.js';
import { parseManifest } from './manifest.js';
import { ANNOTATION_CREATED, ARTIFACT_TYPE_NOTARY_SIGNATURE, MEDIA_TYPE_OCI_MANIFEST } from './mediaTypes.js';
import { readReferrersIndex, putReferrersIndex } from './deletion.js';
import { forgetReferrers } from './referrers.js';
import { packSignatureManifest, SIGNATURE_CONFIG_CONTENT } from './signatureManifest.js';
import { discard, safeUrl } from './transport.js';
import type { Repository } from './repository.js';

async function checkDigestHeader(headers: { get(n: string): string | null }, expected: string, what: string): Promise<void> {
  const said = headers.get('docker-content-digest')?.trim();
  if (said !== undefined && said !== expected) {
    throw new OciError('DIGEST_MISMATCH', `${what}: the registry stored it as ${said.slice(0, 140)}, not ${expected}`);
  }
}

export async function pushBlob(repo: Repository, content: Uint8Array, mediaType: string, signal?: AbortSignal): Promise<Descriptor> {
  const digest = computeDigest(content);
  const descriptor: Descriptor = Object.freeze({ mediaType, digest, size: content.byteLength });
  const what = `blob ${digest} to ${repo.name}`;
  const head = await repo.request('HEAD', `blobs/${digest}`, { actions: 'pull,push' }, signal);
  await discard(head.response);
  if (head.response.status === 200) return descriptor;
  if (head.response.status !== 404) throw await statusError(head, what, 'BLOB_NOT_FOUND');

  const start = await repo.request('POST', 'blobs/uploads/', { actions: 'pull,push', headers: { 'content-length': '0' } }, signal);
  if (start.response.status !== 202) throw await statusError(start, `starting upload of ${what}`);
  await discard(start.response);
  const location = start.response.headers.get('location');
  if (location === null) throw new OciError('RESPONSE_INVALID', `starting upload of ${what}: the registry sent no Location header`);
  const target = new URL(location, start.url);
  if (target.origin !== new URL(start.url).origin) {
    throw new OciError('RESPONSE_INVALID', `starting upload of ${what}: the upload location ${safeUrl(target.href)} is on another origin; refusing to send credentials there`);
  }
  target.searchParams.set('digest', digest);
  const put = await repo.request(
    'PUT',
    '',
    { url: target.href, actions: 'pull,push', body: content, headers: { 'content-type': 'application/octet-stream', 'content-length': String(content.byteLength) } },
    signal,
  );
  if (put.response.status !== 201) throw await statusError(put, `uploading ${what}`, 'BLOB_NOT_FOUND');
  await discard(put.response);
  await checkDigestHeader(put.response.headers, digest, `uploading ${what}`);
  return descriptor;
}

export async function pushManifest(repo: Repository, content: Uint8Array, mediaType: string, tag: string | undefined, signal?: AbortSignal): Promise<Descriptor> {
  const digest = computeDigest(content);
  const what = `manifest ${digest} to ${repo.name}${tag !== undefined ? ` as ${tag}` : ''}`;
  const manifest = parseManifest(content, mediaType, what);
  const put = await repo.request('PUT', `manifests/${tag ?? digest}`, { actions: 'pull,push', body: content, headers: { 'content-type': mediaType } }, signal);
  if (put.response.status !== 201) throw await statusError(put, `pushing ${what}`);
  await discard(put.response);
  await checkDigestHeader(put.response.headers, digest, `pushing ${what}`);
  const { caches, referrersSupport } = repo.context;
  if (tag !== undefined) caches.tags.delete(`${repo.name}:${tag}`);

  const artifactType = manifest.artifactType ?? (manifest.kind === 'image' ? manifest.config.mediaType : undefined);
  const descriptor: Descriptor = Object.freeze({
    mediaType,
    digest,
    size: content.byteLength,
    ...(artifactType !== undefined ? { artifactType } : {}),
    ...(manifest.annotations !== undefined ? { annotations: manifest.annotations } : {}),
  });
  if (manifest.subject !== undefined) {
    const subjectHandled = put.response.headers.get('oci-subject') !== null;
    if (subjectHandled) referrersSupport.set(repo.registry, true);
    else {
      if (referrersSupport.get(repo.registry) !== true) referrersSupport.set(repo.registry, false);
      await addToReferrersIndex(repo, manifest.subject.digest, descriptor, signal);
    }
    forgetReferrers(repo, manifest.subject.digest);
  }
  return descriptor;
}

/** Adds `referrer` to the subject's `<alg>-<hex>` index (creating it), as the referrers tag schema says. */
async function addToReferrersIndex(repo: Repository, subjectDigest: string, referrer: Descriptor, signal?: AbortSignal): Promise<void> {
  const listed = (await readReferrersIndex(repo, subjectDigest, signal))?.manifests ?? [];
  if (listed.some((d) => d.digest === referrer.digest)) return;
  await putReferrersIndex(repo, subjectDigest, [...listed, referrer], signal);
}

export interface PushSignatureInput {
  /** The signed manifest (only mediaType, digest and size are written into the signature manifest). */
  readonly subject: Descriptor;
  readonly envelope: Uint8Array;
  /** application/jose+json or application/cose. */
  readonly envelopeMediaType: string;
  /** e.g. io.cncf.notary.x509chain.thumbprint#S256; org.opencontainers.image.created is added from the clock if absent. */
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface PushedSignature {
  readonly manifest: Descriptor;
  readonly envelope: Descriptor;
}

export async function pushSignature(repo: Repository, input: PushSignatureInput, signal?: AbortSignal): Promise<PushedSignature> {
  const envelope = await pushBlob(repo, input.envelope, input.envelopeMediaType, signal);
  const config = await pushBlob(repo, SIGNATURE_CONFIG_CONTENT, ARTIFACT_TYPE_NOTARY_SIGNATURE, signal);
  const created = repo.context.clock().toISOString().replace(/\.\d+Z$/, 'Z');
  const annotations = { [ANNOTATION_CREATED]: created, ...input.annotations };
  const subject = { mediaType: input.subject.mediaType, digest: input.subject.digest, size: input.subject.size };
  const bytes = packSignatureManifest({ subject, envelope, config, annotations });
  let manifest: Descriptor;
  try {
    manifest = await pushManifest(repo, bytes, MEDIA_TYPE_OCI_MANIFEST, undefined, signal);
  } catch (error) {
    // docker-registry 2.8 can refuse a manifest whose blob another client is uploading into the same repository at
    // that moment (400 MANIFEST_BLOB_UNKNOWN; signatures of one repository share their config blob): the blobs are
    // pushed again (HEAD first) and the manifest once more; a second refusal is the registry's answer
    if (!isBlobUnknown(error)) throw error;
    await pushBlob(repo, input.envelope, input.envelopeMediaType, signal);
    await pushBlob(repo, SIGNATURE_CONFIG_CONTENT, ARTIFACT_TYPE_NOTARY_SIGNATURE, signal);
    manifest = await pushManifest(repo, bytes, MEDIA_TYPE_OCI_MANIFEST, undefined, signal);
  }
  return { manifest, envelope };
}

function isBlobUnknown(error: unknown): boolean {
  return error instanceof OciError && error.code === 'REGISTRY_REJECTED' && /\(registry says [^)]*MANIFEST_BLOB_UNKNOWN/.test(error.message);
}
