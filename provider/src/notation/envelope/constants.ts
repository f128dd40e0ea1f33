/**
 * Header names, COSE labels and parser bounds of the Notary Project signature envelopes
 * (signature-envelope-jws.md, signature-envelope-cose.md, signature-specification.md).
 */

/** Notary Project header (attribute) names, shared by JWS (header names) and COSE (text labels). */
export const HEADER = {
  signingScheme: 'io.cncf.notary.signingScheme',
  signingTime: 'io.cncf.notary.signingTime',
  authenticSigningTime: 'io.cncf.notary.authenticSigningTime',
  expiry: 'io.cncf.notary.expiry',
  verificationPlugin: 'io.cncf.notary.verificationPlugin',
  verificationPluginMinVersion: 'io.cncf.notary.verificationPluginMinVersion',
  signingAgent: 'io.cncf.notary.signingAgent',
  timestampSignature: 'io.cncf.notary.timestampSignature',
} as const;

/** JOSE registered header names used by the JWS envelope. */
export const JWS_HEADER = { alg: 'alg', cty: 'cty', crit: 'crit', x5c: 'x5c' } as const;

/** JOSE header names registered by RFC 7515 / RFC 7797: never valid inside `crit` (RFC 7515 §4.1.11). */
export const JWS_REGISTERED_HEADERS: ReadonlySet<string> = new Set([
  'alg', 'jku', 'jwk', 'kid', 'x5u', 'x5c', 'x5t', 'x5t#S256', 'typ', 'cty', 'crit', 'b64',
]);

/** The four members of the flattened JWS JSON serialization; no other top-level member is supported. */
export const JWS_MEMBERS: ReadonlySet<string> = new Set(['payload', 'protected', 'header', 'signature']);

/** COSE header labels (IANA "COSE Header Parameters"). */
export const COSE_LABEL = { alg: 1, crit: 2, contentType: 3, x5chain: 33 } as const;

/** CBOR tags the COSE envelope uses. */
export const CBOR_TAG = { epochTime: 1, coseSign1: 18 } as const;

/** The Sig_structure context string of COSE_Sign1 (RFC 9052 §4.4). */
export const COSE_SIGN1_CONTEXT = 'Signature1';

/** Bounds on untrusted envelope input. */
export const LIMITS = {
  /** Largest envelope accepted, in bytes (a timestamped envelope with a full chain is ~10-20 KiB). */
  envelopeBytes: 4 * 1024 * 1024,
  /** Deepest JSON / CBOR nesting accepted (a Notary envelope needs 3-4 levels). */
  depth: 16,
  /** Most CBOR data items in one envelope (keeps hostile item counts from allocating). */
  cborItems: 100_000,
  /** Most certificates in x5c / x5chain. */
  certificates: 32,
} as const;
