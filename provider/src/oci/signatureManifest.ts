/**
 * Recognizes Notary Project signature manifests in their three forms (OCI 1.1 image manifest with artifactType,
 * OCI 1.0 image manifest with the signature config media type, legacy OCI artifact manifest) and checks their subject.
 */
import { sameContent, type Descriptor } from './descriptor.js';
import type { Manifest } from './manifest.js';
import { ARTIFACT_TYPE_NOTARY_SIGNATURE, MEDIA_TYPE_OCI_EMPTY, MEDIA_TYPE_OCI_MANIFEST } from './mediaTypes.js';

export type SignatureManifestForm = 'oci-1.1' | 'oci-1.0' | 'artifact';

export interface SignatureManifest {
  /** Of the signature manifest itself, with the manifest's artifact type and annotations (as a referrers list shows it). */
  readonly descriptor: Descriptor;
  readonly form: SignatureManifestForm;
  /** layers (image manifest) or blobs (artifact manifest), as listed; one envelope each in a well-formed signature. */
  readonly blobs: readonly Descriptor[];
}

/** Which signature form `manifest` is, or undefined when it is not a Notary Project signature manifest. */
export function signatureManifestForm(manifest: Manifest): SignatureManifestForm | undefined {
  if (manifest.kind === 'artifact') return manifest.artifactType === ARTIFACT_TYPE_NOTARY_SIGNATURE ? 'artifact' : undefined;
  if (manifest.kind !== 'image' || manifest.mediaType !== MEDIA_TYPE_OCI_MANIFEST) return undefined;
  if (manifest.artifactType === ARTIFACT_TYPE_NOTARY_SIGNATURE && manifest.config.mediaType === MEDIA_TYPE_OCI_EMPTY) return 'oci-1.1';
  if (manifest.artifactType === undefined && manifest.config.mediaType === ARTIFACT_TYPE_NOTARY_SIGNATURE) return 'oci-1.0';
  return undefined;
}

/**
 * The SignatureManifest for `manifest` (addressed by `descriptor`) when it is a signature manifest whose subject equals
 * `subject` in mediaType, digest and size; undefined otherwise.
 */
export function toSignatureManifest(descriptor: Descriptor, manifest: Manifest, subject: Descriptor): SignatureManifest | undefined {
  const form = signatureManifestForm(manifest);
  if (form === undefined || manifest.subject === undefined || !sameContent(manifest.subject, subject)) return undefined;
  if (manifest.kind === 'index') return undefined;
  const own: { mediaType: string; digest: string; size: number; artifactType: string; annotations?: Readonly<Record<string, string>> } = {
    mediaType: descriptor.mediaType,
    digest: descriptor.digest,
    size: descriptor.size,
    artifactType: ARTIFACT_TYPE_NOTARY_SIGNATURE,
  };
  if (manifest.annotations !== undefined) own.annotations = manifest.annotations;
  const blobs = manifest.kind === 'image' ? manifest.layers : manifest.blobs;
  return Object.freeze({ descriptor: Object.freeze(own), form, blobs });
}
