import { SigngateError } from '../errors.js';

/** Every failure the oci layer reports. Append new codes; never rename one. */
export type OciErrorCode =
  // references and digests
  | 'REFERENCE_INVALID' // an image reference does not follow the distribution/reference grammar
  | 'DIGEST_INVALID' // a digest string is malformed or uses an unsupported algorithm
  | 'DIGEST_MISMATCH' // content does not hash to the digest it was addressed by
  | 'SIZE_MISMATCH' // content length differs from the descriptor's size
  | 'SIZE_LIMIT_EXCEEDED' // a manifest, blob or response is larger than the cap allows
  // manifests
  | 'MANIFEST_INVALID' // a manifest, index or descriptor does not validate
  | 'MANIFEST_UNSUPPORTED' // a manifest media type this client does not read
  // OCI image layouts
  | 'LAYOUT_NOT_FOUND' // the layout folder or its oci-layout file is absent
  | 'LAYOUT_INVALID' // oci-layout or index.json is malformed, or the layout version is unsupported
  | 'BLOB_NOT_FOUND' // a blob the layout or registry references is absent
  | 'TAG_NOT_FOUND' // a tag (or digest) is not listed
  | 'TAG_AMBIGUOUS'; // a tag names more than one manifest in index.json

export class OciError extends SigngateError<OciErrorCode> {}
