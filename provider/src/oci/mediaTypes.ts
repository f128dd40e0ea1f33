/** Media types, artifact types and annotation keys the oci layer reads or writes (OCI image spec 1.1, Docker v2). */

export const MEDIA_TYPE_OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const MEDIA_TYPE_OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
/** The OCI artifact manifest of image-spec 1.1.0-rc1..rc2, removed from 1.1.0 but still found in old registries and layouts. */
export const MEDIA_TYPE_OCI_ARTIFACT_MANIFEST = 'application/vnd.oci.artifact.manifest.v1+json';
export const MEDIA_TYPE_DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const MEDIA_TYPE_DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const MEDIA_TYPE_OCI_EMPTY = 'application/vnd.oci.empty.v1+json';

/** The artifact type (OCI 1.1) or config media type (OCI 1.0) of a Notary Project signature manifest. */
export const ARTIFACT_TYPE_NOTARY_SIGNATURE = 'application/vnd.cncf.notary.signature';

export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';
export const ANNOTATION_CREATED = 'org.opencontainers.image.created';

/** Every manifest media type the client resolves, in the order of the Accept header it sends. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  MEDIA_TYPE_OCI_MANIFEST,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_DOCKER_MANIFEST,
  MEDIA_TYPE_DOCKER_MANIFEST_LIST,
  MEDIA_TYPE_OCI_ARTIFACT_MANIFEST,
];

/** Manifests of a single artifact (as opposed to indexes that list other manifests). */
export function isSingleManifestMediaType(mediaType: string): boolean {
  return mediaType === MEDIA_TYPE_OCI_MANIFEST || mediaType === MEDIA_TYPE_DOCKER_MANIFEST || mediaType === MEDIA_TYPE_OCI_ARTIFACT_MANIFEST;
}

export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MEDIA_TYPE_OCI_INDEX || mediaType === MEDIA_TYPE_DOCKER_MANIFEST_LIST;
}

/** Size cap for any manifest or index read from a layout or a registry (oras-go's MaxMetadataBytes). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
