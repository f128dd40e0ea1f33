/**
 * The registry-backed SignatureSource: an oci Repository bound to one deadline signal. Subjects are resolved through the
 * Registry's tag cache (short TTL); referrers are the Notary Project signature manifests the registry lists (referrers
 * API or tag schema), kept only when a verifier handles their artifact type; blobs are digest-checked and size-capped.
 */
import { ARTIFACT_TYPE_NOTARY_SIGNATURE, type Descriptor, type Reference, type Registry, type Repository } from '../oci/index.js';
import type { SignatureManifestRef, SignatureSource } from './executor.js';

/** The part of an oci Registry the provider uses (a real Registry in production and tests). */
export type RegistryLike = Pick<Registry, 'repository'>;

export interface ResolvedSubject {
  readonly repository: Repository;
  readonly subject: Descriptor;
  /** host/repo@sha256:... */
  readonly subjectReference: string;
}

/** Resolves a reference (its digest, else tag, else `latest`) to the subject manifest descriptor. */
export async function resolveSubject(registry: RegistryLike, reference: Reference, signal: AbortSignal): Promise<ResolvedSubject> {
  const repository = registry.repository(reference);
  const subject = await repository.resolve(undefined, { signal });
  return { repository, subject, subjectReference: `${repository.name}@${subject.digest}` };
}

export class RegistrySignatureSource implements SignatureSource {
  constructor(
    private readonly repository: Repository,
    private readonly signal: AbortSignal,
    /** The artifact types the configured verifiers handle; signature manifests of other types are ignored. */
    private readonly artifactTypes: readonly string[],
  ) {}

  async signatureManifests(subject: Descriptor): Promise<readonly SignatureManifestRef[]> {
    if (!this.artifactTypes.includes(ARTIFACT_TYPE_NOTARY_SIGNATURE)) return [];
    const found = await this.repository.signatureManifests(subject, { signal: this.signal });
    return found.map((m) => ({ descriptor: m.descriptor, blobs: m.blobs }));
  }

  fetchBlob(descriptor: Descriptor, maxBytes: number): Promise<Uint8Array> {
    return this.repository.fetchBlob(descriptor, maxBytes, { signal: this.signal });
  }
}
