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
  | 'TAG_AMBIGUOUS' // a tag names more than one manifest in index.json
  // registry client
  | 'MANIFEST_NOT_FOUND' // the registry has no manifest for that tag or digest
  | 'REGISTRY_UNREACHABLE' // connection refused / DNS / TLS failure / connection reset after retries
  | 'REGISTRY_TIMEOUT' // no (complete) answer within the per-request timeout or the caller's deadline
  | 'RATE_LIMITED' // 429 after every retry
  | 'UNAUTHORIZED' // 401: credentials missing or rejected
  | 'DENIED' // 403: authenticated but not allowed
  | 'REGISTRY_ERROR' // 5xx after retries, or an unexpected status
  | 'REGISTRY_REJECTED' // 4xx for a well-formed request (e.g. a pushed manifest the registry refuses)
  | 'RESPONSE_INVALID' // a response breaks the distribution spec (headers, redirects, token answer, pagination)
  | 'CREDENTIALS_INVALID' // a Docker config.json or credential option cannot be read
  | 'CONFIG_INVALID' // a registry client option is invalid (CA bundle, host list, limits)
  | 'TOKEN_REALM_REFUSED' // a bearer challenge names a token realm on another site that may not receive the registry's credentials
  | 'DELETE_UNSUPPORTED'; // the registry does not allow deleting manifests (405, distribution's UNSUPPORTED)

export class OciError extends SigngateError<OciErrorCode> {}

/** Codes that mean "could not decide right now" (network, timeouts, rate limits, 5xx): never cache a verdict on them. */
const TRANSIENT: ReadonlySet<OciErrorCode> = new Set<OciErrorCode>(['REGISTRY_UNREACHABLE', 'REGISTRY_TIMEOUT', 'RATE_LIMITED', 'REGISTRY_ERROR']);

export function isTransientOciError(error: unknown): boolean {
  return error instanceof OciError && TRANSIENT.has(error.code);
}
