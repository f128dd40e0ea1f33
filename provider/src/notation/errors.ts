import { SigngateError } from '../errors.js';

/** Every failure the notation layer reports. Append new codes; never rename one. */
export type NotationErrorCode =
  // envelope parsing and integrity
  | 'ENVELOPE_INVALID' // not a well-formed JWS / COSE_Sign1 envelope, or a bound was exceeded
  | 'ENVELOPE_UNSUPPORTED' // unknown envelope media type
  | 'SIGNATURE_INVALID' // the signature does not verify with the leaf key
  | 'ALGORITHM_MISMATCH' // alg is not the one the leaf key type and size require
  | 'ALGORITHM_UNSUPPORTED' // alg or key type/size outside PS256/384/512, ES256/384/512
  | 'CRIT_INVALID' // crit malformed, or misses a required name, or names an absent header
  | 'UNSUPPORTED_CRITICAL_ATTRIBUTE' // crit names an extended attribute this verifier does not understand
  | 'PLUGIN_REQUIRED' // the signature requires a verification plugin; plugins are not supported
  | 'SIGNED_ATTRIBUTE_INVALID' // signingScheme / signingTime / authenticSigningTime / expiry malformed or inconsistent
  | 'PAYLOAD_INVALID' // payload content type or JSON shape
  | 'CERTIFICATE_INVALID' // a certificate does not parse or breaks a leaf / CA / TSA rule
  | 'CERTIFICATE_CHAIN_INVALID' // order, linkage, self-signed root, pathLen
  // trust material
  | 'TRUST_STORE_INVALID' // bad store name, sub-folder, symlink, non-CA non-self-signed cert, empty store
  | 'TRUST_STORE_NOT_FOUND' // a named store is absent
  | 'TRUST_POLICY_INVALID' // the trust policy document breaks a rule
  | 'TRUST_POLICY_NOT_APPLICABLE' // no statement applies to the artifact
  // verification steps
  | 'UNTRUSTED_SIGNER' // authenticity: no chain certificate is in the trust store
  | 'UNTRUSTED_IDENTITY' // trusted identity: leaf subject matches no trusted identity
  | 'SIGNATURE_EXPIRED' // expiry
  | 'CERTIFICATE_NOT_VALID_AT_TIME' // a chain certificate is expired or not yet valid at the time used
  | 'TIMESTAMP_MISSING' // a timestamp is required but absent
  | 'TIMESTAMP_INVALID' // the RFC 3161 token does not parse, verify, or cover the signature
  | 'REVOCATION_NOT_CHECKED' // no revocation checker was configured; recorded as a note, never a failure
  | 'CERTIFICATE_REVOKED' // revocation: a chain certificate is revoked (OCSP or CRL)
  | 'REVOCATION_STATUS_UNKNOWN' // revocation: the status could not be determined (unreachable, stale, wrongly signed, unknown)
  | 'REVOCATION_LIST_INVALID' // a supplied CRL file does not parse or exceeds a bound
  | 'CONTENT_DESCRIPTOR_MISMATCH' // payload targetArtifact differs from the subject
  | 'USER_METADATA_MISMATCH' // required user metadata absent from the payload annotations
  | 'SIGNATURE_NOT_FOUND' // no signature is associated with the artifact
  | 'TOO_MANY_SIGNATURES' // more signatures than a policy of "all" verifies
  | 'SIGN_REQUEST_INVALID'; // signer: the request (key, chain, times, scheme, timestamper) cannot produce a valid signature

export class NotationError extends SigngateError<NotationErrorCode> {}
