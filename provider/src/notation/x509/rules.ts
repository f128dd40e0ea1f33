/**
 * The per-certificate requirements of the Notary Project signature specification ("Certificate Requirements"), as
 * notation-core-go enforces them for code signing and for timestamping certificates. Only basicConstraints, keyUsage
 * and extKeyUsage are evaluated; every other extension fails open, as the specification says.
 */
import { NotationError } from '../errors.js';
import type { Certificate, KeyUsageName } from './certificate.js';

export type Profile = 'codeSigning' | 'timestamping';

export const EKU_CODE_SIGNING = '1.3.6.1.5.5.7.3.3';
export const EKU_TIME_STAMPING = '1.3.6.1.5.5.7.3.8';

const EKU_NAMES: Readonly<Record<string, string>> = {
  '2.5.29.37.0': 'anyExtendedKeyUsage',
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  [EKU_CODE_SIGNING]: 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  [EKU_TIME_STAMPING]: 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
};

/**
 * Key purposes a code signing leaf must not have. notation-core-go (codesigning_cert_validations.go) excludes these
 * five; the specification also lists anyExtendedKeyUsage, which notation accepts, and so do we (drop-in behaviour).
 */
const CODE_SIGNING_EXCLUDED = ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2', '1.3.6.1.5.5.7.3.4', EKU_TIME_STAMPING, '1.3.6.1.5.5.7.3.9'];

/** Key usage bits a leaf must not have: it must be "Digital Signature" only (nonRepudiation is tolerated). */
const LEAF_FORBIDDEN_USAGES: readonly KeyUsageName[] = [
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

const RSA_SIZES = new Set([2048, 3072, 4096]);
const EC_CURVES: Readonly<Record<string, number>> = { prime256v1: 256, secp384r1: 384, secp521r1: 521 };

export function ekuName(oid: string): string {
  return EKU_NAMES[oid] ?? oid;
}

function bad(cert: Certificate, requirement: string): NotationError {
  return new NotationError('CERTIFICATE_INVALID', `certificate "${cert.subject}" is invalid: ${requirement}`);
}

function requireKeyUsage(cert: Certificate, profile: Profile): readonly KeyUsageName[] {
  if (!cert.keyUsage) throw bad(cert, 'the keyUsage extension must be present');
  // RFC 3161 TSA certificates are commonly issued with a non-critical keyUsage; notation only requires it for code signing.
  if (profile === 'codeSigning' && !cert.keyUsage.critical) throw bad(cert, 'the keyUsage extension must be marked critical');
  return cert.keyUsage.usages;
}

/** Root and intermediate CA requirements; `depthBelow` is the number of CA certificates between it and the leaf. */
export function validateCACertificate(cert: Certificate, depthBelow: number, profile: Profile): void {
  const bc = cert.basicConstraints;
  if (!bc || !bc.ca) {
    throw bad(cert, 'a CA certificate needs the basicConstraints extension with cA set to true');
  }
  if (bc.pathLen !== undefined && bc.pathLen < depthBelow) {
    throw new NotationError(
      'CERTIFICATE_CHAIN_INVALID',
      `certificate "${cert.subject}" allows a path length of ${bc.pathLen} but ${depthBelow} intermediate CA ` +
        `certificate(s) follow it in the chain; the chain is longer than its CA permits`,
    );
  }
  if (!requireKeyUsage(cert, profile).includes('keyCertSign')) {
    throw bad(cert, 'a CA certificate must have the keyCertSign bit set in keyUsage');
  }
}

function validateKeyLength(cert: Certificate): void {
  const key = cert.publicKey;
  if (key.type === 'rsa') {
    if (key.bits !== undefined && RSA_SIZES.has(key.bits)) return;
    throw bad(cert, `RSA key size ${key.bits ?? 'unknown'} bits is not supported (2048, 3072 or 4096)`);
  }
  if (key.type === 'ec') {
    if (key.curve !== undefined && EC_CURVES[key.curve] !== undefined) return;
    throw bad(cert, `EC curve ${key.curve ?? 'unknown'} is not supported (P-256, P-384 or P-521)`);
  }
  throw bad(cert, `public key type ${key.type} is not supported (RSA or ECDSA)`);
}

function validateExtKeyUsage(cert: Certificate, profile: Profile): void {
  const eku = cert.extKeyUsage;
  if (profile === 'timestamping') {
    // RFC 3161 2.3: exactly one key purpose, id-kp-timeStamping, in a critical extension.
    if (!eku || eku.purposes.length !== 1 || eku.purposes[0] !== EKU_TIME_STAMPING) {
      const found = eku ? eku.purposes.map(ekuName).join(', ') || 'none' : 'no extKeyUsage extension';
      throw bad(cert, `a timestamping certificate must have timeStamping as its only extended key usage (found ${found})`);
    }
    if (!eku.critical) throw bad(cert, 'a timestamping certificate must mark its extKeyUsage extension critical');
    return;
  }
  for (const purpose of eku?.purposes ?? []) {
    if (CODE_SIGNING_EXCLUDED.includes(purpose)) {
      throw bad(cert, `a code signing certificate must not have the ${ekuName(purpose)} extended key usage`);
    }
  }
}

/** Leaf (signing or timestamping certificate) requirements. */
export function validateLeafCertificate(cert: Certificate, profile: Profile): void {
  if (cert.basicConstraints?.ca) {
    throw bad(cert, 'a leaf certificate must not be a CA (basicConstraints cA must be false when present)');
  }
  const usages = requireKeyUsage(cert, profile);
  if (!usages.includes('digitalSignature')) {
    throw bad(cert, 'the keyUsage extension must have the digitalSignature bit set');
  }
  const forbidden = LEAF_FORBIDDEN_USAGES.filter((u) => usages.includes(u));
  if (forbidden.length > 0) {
    throw bad(cert, `keyUsage must be digitalSignature only, but it also has ${forbidden.join(', ')}`);
  }
  validateExtKeyUsage(cert, profile);
  validateKeyLength(cert);
}
