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

/** Annotation notation puts on signature manifests: JSON array of the hex SHA-256 thumbprints of the chain, leaf first. */
export const ANNOTATION_THUMBPRINTS = 'io.cncf.notary.x509chain.thumbprint#S256';

/** The `{}` config blob notation pushes with the signature config media type. */
export const SIGNATURE_CONFIG_CONTENT = new TextEncoder().encode('{}');

/**
 * The signature manifest exactly as notation (notation-go 1.x, oras PackManifest 1.1-rc4 packing) lays it out: an OCI
 * image manifest in the OCI 1.0 form, config `{}` with media type application/vnd.cncf.notary.signature, one envelope
 * layer, the subject's mediaType/digest/size, and annotations sorted by key (as Go marshals maps) including
 * org.opencontainers.image.created (RFC 3339, seconds, UTC).
 */
export function packSignatureManifest(input: {
  readonly subject: Descriptor;
  readonly envelope: Descriptor;
  readonly config: Descriptor;
  readonly annotations: Readonly<Record<string, string>>;
}): Uint8Array {
  const plain = (d: Descriptor): Record<string, unknown> => ({ mediaType: d.mediaType, digest: d.digest, size: d.size });
  const annotations = Object.fromEntries(Object.entries(input.annotations).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_OCI_MANIFEST,
    config: plain(input.config),
    layers: [plain(input.envelope)],
    subject: plain(input.subject),
    annotations,
  };
  return new TextEncoder().encode(JSON.stringify(manifest));
}
