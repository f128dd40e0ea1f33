/**
 * One repository on a registry (OCI distribution spec): resolve a tag or digest to a descriptor, fetch manifests and
 * blobs (digest-checked, size-capped, cached by digest), list referrers (referrers.ts) and signature manifests, push
 * (push.ts). Every request goes through the Authenticator and the Transport given by the Registry.
 */
import type { LRUCache } from 'lru-cache';
import { OciError } from './errors.js';
import { readBody } from './body.js';
import { clip, computeDigest, isDigest, parseDigest, verifyContent } from './digest.js';
import type { Descriptor } from './descriptor.js';
import { statusError } from './httpError.js';
import { parseManifest, type Manifest } from './manifest.js';
import { isSingleManifestMediaType, MANIFEST_MEDIA_TYPES, ARTIFACT_TYPE_NOTARY_SIGNATURE } from './mediaTypes.js';
import { toSignatureManifest, type SignatureManifest } from './signatureManifest.js';
import { listReferrers } from './referrers.js';
import { listPaged } from './listing.js';
import { pushBlob, pushManifest, pushSignature, type PushSignatureInput, type PushedSignature } from './push.js';
import { deleteManifest, removeFromReferrersIndex, type ReferrersIndexChange } from './deletion.js';
import type { Authenticator } from './auth.js';
import { tagKey, type RegistryCaches } from './cache.js';
import type { Sent, Transport } from './transport.js';

export interface RequestOptions {
  /** The caller's deadline; every retry and wait stays inside it. */
  readonly signal?: AbortSignal;
}

export interface RegistryLimits {
  readonly maxManifestBytes: number;
  readonly maxReferrerPages: number;
  readonly maxReferrers: number;
}

/** What a Repository shares with its Registry. */
export interface RepositoryContext {
  readonly transport: Transport;
  readonly auth: Authenticator;
  readonly caches: RegistryCaches;
  readonly limits: RegistryLimits;
  readonly clock: () => Date;
  /** Per registry: true = referrers API works, false = use the tag schema; absent = not yet known (cache.ts registryMemory). */
  readonly referrersSupport: Pick<LRUCache<string, boolean>, 'get' | 'set'>;
}

export interface FetchedManifest {
  readonly descriptor: Descriptor;
  readonly bytes: Uint8Array;
  readonly manifest: Manifest;
}

const ACCEPT_MANIFESTS = MANIFEST_MEDIA_TYPES.join(', ');

function mediaTypeOf(sent: Sent): string {
  return (sent.response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

export class Repository {
  /** `registry/repository`, as messages and caches name it. */
  readonly name: string;

  constructor(
    readonly registry: string,
    readonly repository: string,
    /** Used by resolve() without an argument: the reference's digest, else its tag, else `latest`. */
    readonly defaultReference: string,
    private readonly ctx: RepositoryContext,
  ) {
    this.name = `${registry}/${repository}`;
  }

  /** @internal Sends a request for `/v2/<repository>/<path>` with pull scope, or the `actions` given (e.g. pull,push). */
  async request(method: string, path: string, init: { headers?: Record<string, string>; body?: Uint8Array; actions?: 'pull,push' | 'pull,delete'; url?: string }, signal?: AbortSignal): Promise<Sent> {
    const url = init.url ?? `${this.ctx.transport.baseUrl(this.registry)}/v2/${this.repository}/${path}`;
    const scope = `repository:${this.repository}:${init.actions ?? 'pull'}`;
    const request = { method, url, ...(init.headers ? { headers: init.headers } : {}), ...(init.body ? { body: init.body } : {}) };
    return this.ctx.auth.send(this.registry, request, [scope], signal);
  }

  /** @internal */
  get context(): RepositoryContext {
    return this.ctx;
  }

  /** Resolves a tag or digest (default: the reference this repository was opened with) to the manifest descriptor. */
  async resolve(reference: string = this.defaultReference, options: RequestOptions = {}): Promise<Descriptor> {
    const key = tagKey(this.name, reference);
    const cached = this.ctx.caches.tags.get(key);
    if (cached !== undefined) return cached;
    let descriptor: Descriptor | undefined;
    if (!isDigest(reference)) descriptor = await this.head(reference, options.signal);
    descriptor ??= (await this.getManifest(reference, undefined, options.signal)).descriptor;
    this.ctx.caches.tags.set(key, descriptor);
    return descriptor;
  }

  /** HEAD by tag: the descriptor from Docker-Content-Digest, Content-Type and Content-Length, or undefined to fall back to GET. */
  private async head(tag: string, signal?: AbortSignal): Promise<Descriptor | undefined> {
    const sent = await this.request('HEAD', `manifests/${tag}`, { headers: { accept: ACCEPT_MANIFESTS } }, signal);
    const { status, headers } = sent.response;
    if (status === 404) throw await statusError(sent, `tag "${clip(tag, 60)}" of ${this.name}`);
    if (status === 401 || status === 403 || status === 429 || status >= 500) throw await statusError(sent, `tag "${clip(tag, 60)}" of ${this.name}`);
    const digest = headers.get('docker-content-digest')?.trim();
    const length = headers.get('content-length')?.trim();
    const mediaType = mediaTypeOf(sent);
    if (status !== 200 || digest === undefined || !isDigest(digest) || length === undefined || !/^\d+$/.test(length) || !MANIFEST_MEDIA_TYPES.includes(mediaType)) {
      return undefined;
    }
    const size = Number(length);
    if (size > this.ctx.limits.maxManifestBytes) {
      throw new OciError('SIZE_LIMIT_EXCEEDED', `tag "${tag}" of ${this.name} names a ${size}-byte manifest, more than the ${this.ctx.limits.maxManifestBytes}-byte limit`);
    }
    return Object.freeze({ mediaType, digest, size });
  }

  /** GET a manifest by tag or digest; by digest the bytes must hash to it, by tag to Docker-Content-Digest when given. */
  private async getManifest(reference: string, expected: Descriptor | undefined, signal?: AbortSignal): Promise<FetchedManifest> {
    const byDigest = isDigest(reference);
    const what = `manifest ${byDigest ? '' : 'tagged '}${clip(reference, 80)} of ${this.name}`;
    const cap = this.ctx.limits.maxManifestBytes;
    if (expected !== undefined && expected.size > cap) {
      throw new OciError('SIZE_LIMIT_EXCEEDED', `${what} is declared as ${expected.size} bytes, more than the ${cap}-byte limit`);
    }
    const accept = expected !== undefined ? `${expected.mediaType}, ${ACCEPT_MANIFESTS}` : ACCEPT_MANIFESTS;
    const sent = await this.request('GET', `manifests/${reference}`, { headers: { accept } }, signal);
    if (sent.response.status !== 200) throw await statusError(sent, what);
    const bytes = await readBody(sent, { cap, what, ...(expected !== undefined ? { expectedSize: expected.size } : {}) });
    const headerDigest = sent.response.headers.get('docker-content-digest')?.trim();
    let digest: string;
    if (byDigest) {
      verifyContent(bytes, { digest: reference, size: bytes.byteLength }, what);
      digest = reference;
    } else {
      const algorithm = headerDigest !== undefined && isDigest(headerDigest) ? parseDigest(headerDigest).algorithm : 'sha256';
      digest = computeDigest(bytes, algorithm);
      if (headerDigest !== undefined && headerDigest !== digest) {
        throw new OciError('DIGEST_MISMATCH', `${what}: the registry says ${clip(headerDigest)} but the content hashes to ${digest}`);
      }
    }
    const mediaType = expected?.mediaType ?? mediaTypeOf(sent);
    if (!MANIFEST_MEDIA_TYPES.includes(mediaType)) {
      throw new OciError('MANIFEST_UNSUPPORTED', `${what}: Content-Type "${clip(mediaType, 80)}" is not an OCI or Docker manifest type`);
    }
    const manifest = parseManifest(bytes, mediaType, what);
    this.ctx.caches.content.set(`${this.name}@${digest}`, bytes);
    return { descriptor: Object.freeze({ mediaType, digest, size: bytes.byteLength }), bytes, manifest };
  }

  /** The manifest `descriptor` addresses, digest- and size-checked, parsed by its media type (cached by digest). */
  async fetchManifest(descriptor: Descriptor, options: RequestOptions = {}): Promise<FetchedManifest> {
    const what = `manifest ${descriptor.digest} of ${this.name}`;
    const cached = this.ctx.caches.content.get(`${this.name}@${descriptor.digest}`);
    if (cached !== undefined && cached.byteLength === descriptor.size) {
      return { descriptor, bytes: cached, manifest: parseManifest(cached, descriptor.mediaType, what) };
    }
    const fetched = await this.getManifest(descriptor.digest, descriptor, options.signal);
    return { ...fetched, descriptor };
  }

  /** The blob's bytes, refused above maxBytes, checked against descriptor.size and digest (cached by digest). */
  async fetchBlob(descriptor: Descriptor, maxBytes: number, options: RequestOptions = {}): Promise<Uint8Array> {
    const what = `blob ${descriptor.digest} of ${this.name}`;
    parseDigest(descriptor.digest, what);
    if (descriptor.size > maxBytes) {
      throw new OciError('SIZE_LIMIT_EXCEEDED', `${what} is declared as ${descriptor.size} bytes, more than the ${maxBytes}-byte limit`);
    }
    const key = `${this.name}@${descriptor.digest}`;
    const cached = this.ctx.caches.content.get(key);
    if (cached !== undefined && cached.byteLength === descriptor.size) return cached;
    const sent = await this.request('GET', `blobs/${descriptor.digest}`, {}, options.signal);
    if (sent.response.status !== 200) throw await statusError(sent, what, 'BLOB_NOT_FOUND');
    const bytes = await readBody(sent, { cap: maxBytes, expectedSize: descriptor.size, what });
    verifyContent(bytes, descriptor, what);
    this.ctx.caches.content.set(key, bytes);
    return bytes;
  }

  /**
   * Descriptors of the manifests that refer to `subject`: the referrers API, or the `<alg>-<hex>` tag schema where the
   * registry lacks it (remembered per registry). With artifactType, others are filtered out (entries without one kept).
   */
  async referrers(subject: Descriptor, options: RequestOptions & { readonly artifactType?: string } = {}): Promise<readonly Descriptor[]> {
    return listReferrers(this, subject, options.artifactType, options.signal);
  }

  /** Notary Project signature manifests whose subject equals `subject` (mediaType, digest, size). */
  async signatureManifests(subject: Descriptor, options: RequestOptions = {}): Promise<readonly SignatureManifest[]> {
    const listed = await this.referrers(subject, { artifactType: ARTIFACT_TYPE_NOTARY_SIGNATURE, ...options });
    const candidates = listed.filter((d) => isSingleManifestMediaType(d.mediaType)).slice(0, this.ctx.limits.maxReferrers);
    const found = await Promise.all(
      candidates.map(async (d) => {
        try {
          return toSignatureManifest(d, (await this.fetchManifest(d, options)).manifest, subject);
        } catch (error) {
          // a referrer deleted after it was listed (a stale tag-schema index) is not a signature
          if (error instanceof OciError && error.code === 'MANIFEST_NOT_FOUND') return undefined;
          throw error;
        }
      }),
    );
    return Object.freeze(found.filter((s): s is SignatureManifest => s !== undefined));
  }

  /** Every tag of the repository (`tags/list`, paginated, bounded); a repository the registry does not know has none. */
  async tags(options: RequestOptions = {}): Promise<readonly string[]> {
    const first = `${this.ctx.transport.baseUrl(this.registry)}/v2/${this.repository}/tags/list`;
    return listPaged(first, 'tags', `tags of ${this.name}`, (url) => this.request('GET', '', { url }, options.signal));
  }

  /** Uploads a blob (skipped when the registry has it) and returns its descriptor. */
  async pushBlob(content: Uint8Array, mediaType: string, options: RequestOptions = {}): Promise<Descriptor> {
    return pushBlob(this, content, mediaType, options.signal);
  }

  /**
   * Puts a manifest under its digest (and `tag` when given). A manifest with a subject on a registry without the
   * referrers API is also added to the subject's `<alg>-<hex>` tag-schema index.
   */
  async pushManifest(content: Uint8Array, mediaType: string, options: RequestOptions & { readonly tag?: string } = {}): Promise<Descriptor> {
    return pushManifest(this, content, mediaType, options.tag, options.signal);
  }

  /** Deletes a manifest by digest (DELETE_UNSUPPORTED when the registry does not allow deletes). */
  async deleteManifest(descriptor: Descriptor, options: RequestOptions = {}): Promise<void> {
    return deleteManifest(this, descriptor, options.signal);
  }

  /** Drops deleted referrers (`removed` digests) from the subject's `<alg>-<hex>` index, deleting it when empty. */
  async removeFromReferrersIndex(subjectDigest: string, removed: ReadonlySet<string>, options: RequestOptions = {}): Promise<ReferrersIndexChange> {
    return removeFromReferrersIndex(this, subjectDigest, removed, options.signal);
  }

  /** Pushes a signature envelope as notation lays it out: envelope blob, empty config, OCI 1.1 manifest with subject. */
  async pushSignature(input: PushSignatureInput, options: RequestOptions = {}): Promise<PushedSignature> {
    return pushSignature(this, input, options.signal);
  }
}
