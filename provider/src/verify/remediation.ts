import type { NotationErrorCode } from '../notation/index.js';

/** What a user can do about each failure, shown as a verdict report's `remediation`. */
const REMEDIATION: Readonly<Record<NotationErrorCode, string>> = {
  ENVELOPE_INVALID: 'The signature blob is not a valid Notation envelope: re-sign the image with notation or signgate sign.',
  ENVELOPE_UNSUPPORTED: 'Only application/jose+json and application/cose envelopes are supported: re-sign with one of them.',
  SIGNATURE_INVALID: 'The signature does not match its content (tampered or corrupt): re-sign the image and remove the bad signature.',
  ALGORITHM_MISMATCH: 'The signing algorithm does not fit the signing key: re-sign with the algorithm the key requires.',
  ALGORITHM_UNSUPPORTED: 'Use RSA 2048/3072/4096 (PS256/384/512) or EC P-256/384/521 (ES256/384/512) signing keys.',
  CRIT_INVALID: 'The envelope\'s critical headers are malformed: re-sign with a Notation-compatible signer.',
  UNSUPPORTED_CRITICAL_ATTRIBUTE: 'The signature requires an extension signgate does not understand: re-sign without it.',
  PLUGIN_REQUIRED: 'The signature requires a Notation verification plugin, which signgate does not run: re-sign without a verification plugin.',
  SIGNED_ATTRIBUTE_INVALID: 'A signed attribute (signing time, expiry, signing scheme) is invalid: re-sign the image.',
  PAYLOAD_INVALID: 'The signature payload is not a Notation payload: re-sign the image.',
  CERTIFICATE_INVALID: 'A certificate of the signing chain breaks the Notary Project certificate requirements: issue a compliant signing certificate.',
  CERTIFICATE_CHAIN_INVALID: 'The signing certificate chain is out of order or broken: sign with the full chain, leaf first, ending at the root.',
  TRUST_STORE_INVALID: 'Fix the trust store folder named in the message (one level of certificate files, CA or self-signed certificates only).',
  TRUST_STORE_NOT_FOUND: 'Create the trust store the trust policy names, or correct the name in the trust policy.',
  TRUST_POLICY_INVALID: 'Fix the trust policy document as the message says.',
  TRUST_POLICY_NOT_APPLICABLE: 'Add a trust policy statement whose registryScopes covers this repository, or a "*" statement.',
  UNTRUSTED_SIGNER: 'Add the signer\'s root certificate to a trust store the trust policy statement names, if this signer is trusted.',
  UNTRUSTED_IDENTITY: 'Add the signing certificate\'s subject to the statement\'s trustedIdentities, if this signer is trusted.',
  SIGNATURE_EXPIRED: 'The signature has expired: sign the image again.',
  CERTIFICATE_NOT_VALID_AT_TIME: 'A certificate was not valid at the time that counts: re-sign with a valid certificate, or timestamp signatures.',
  TIMESTAMP_MISSING: 'Sign with a timestamp authority (RFC 3161), or remove the tsa store from the trust policy statement.',
  TIMESTAMP_INVALID: 'The timestamp countersignature could not be verified: check the tsa trust store, or re-sign with a trusted TSA.',
  REVOCATION_NOT_CHECKED: 'Revocation was not checked (no revocation checker is configured); run signgate serve or verify, which check OCSP and CRLs.',
  CERTIFICATE_REVOKED: 'A certificate of the signing chain is revoked: re-sign the image with a certificate that is not revoked, and delete signatures made with the revoked one.',
  REVOCATION_STATUS_UNKNOWN: 'Make the OCSP responder or CRL distribution point named in the message reachable from signgate, or supply the CRL as a file (Verifier spec.parameters.revocation.crlFiles, or --crl-file); set the trust policy override "revocation" to "log" or "skip" only if you accept unchecked certificates.',
  REVOCATION_LIST_INVALID: 'Supply the CRL as PEM (X509 CRL) or DER exactly as the CA published it.',
  CONTENT_DESCRIPTOR_MISMATCH: 'The signature was made for other content: sign this image digest.',
  USER_METADATA_MISMATCH: 'Sign the image with the required metadata (notation sign --user-metadata key=value).',
  SIGN_REQUEST_INVALID: 'Fix the signing request as the message says (key, certificate chain, times).',
  TOO_MANY_SIGNATURES: 'Delete stale signature manifests of this image (a policy of "all" verifies at most 50).',
  SIGNATURE_NOT_FOUND: 'Sign the image (notation sign or signgate sign) and push the signature to the same repository.',
};

export function remediationFor(code: NotationErrorCode): string {
  return REMEDIATION[code];
}
