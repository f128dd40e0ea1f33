/**
 * One parsed X.509 certificate: node:crypto's native X509Certificate for keys and signatures, @peculiar/asn1-x509 for
 * the extensions the Notary Project rules read (basicConstraints, keyUsage, extKeyUsage) and their critical flags.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  BasicConstraints,
  Certificate as AsnCertificate,
  ExtendedKeyUsage,
  KeyUsage,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
} from '@peculiar/asn1-x509';
import { NotationError } from '../errors.js';
import type { DistinguishedNameAttribute } from '../types.js';
import { describeSignatureAlgorithm, type HashName } from './algorithms.js';
import { readChildren, readTlv, tlvBytes } from './der.js';
import { formatName } from './name.js';

export type KeyUsageName =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign'
  | 'encipherOnly'
  | 'decipherOnly';

const KEY_USAGE_BITS: readonly KeyUsageName[] = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

export interface PublicKeyInfo {
  /** node's asymmetricKeyType ('rsa', 'ec', 'rsa-pss', 'ed25519', ...), or 'unknown'. */
  readonly type: string;
  /** RSA modulus length in bits. */
  readonly bits?: number;
  /** EC curve as node names it ('prime256v1', 'secp384r1', 'secp521r1', ...). */
  readonly curve?: string;
}

export interface Certificate {
  readonly raw: Uint8Array;
  readonly x509: X509Certificate;
  /** RFC 4514 string, e.g. "CN=a,O=b,ST=WA,C=US" (for messages). */
  readonly subject: string;
  /** Subject attributes in certificate order, with short type names (CN, O, OU, C, ST, L, ...). */
  readonly subjectAttributes: readonly DistinguishedNameAttribute[];
  readonly issuer: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** basicConstraints present with cA true. */
  readonly isCA: boolean;
  /** Issuer name equals subject name (byte for byte) and the certificate's own key verifies its signature. */
  readonly selfSigned: boolean;
  /** Lowercase hex SHA-256 of `raw`. */
  readonly fingerprint256: string;
  /** X.509 version: 1, 2 or 3. */
  readonly version: number;
  /** Serial number as lowercase hex without leading zero octets. */
  readonly serialNumber: string;
  /** DER of the subject and issuer names, for exact linkage. */
  readonly rawSubject: Uint8Array;
  readonly rawIssuer: Uint8Array;
  /** Every extension's OID and critical flag, in certificate order. */
  readonly extensions: readonly { readonly oid: string; readonly critical: boolean }[];
  readonly basicConstraints?: { readonly ca: boolean; readonly pathLen?: number; readonly critical: boolean };
  readonly keyUsage?: { readonly usages: readonly KeyUsageName[]; readonly critical: boolean };
  /** Key purpose OIDs of the extKeyUsage extension. */
  readonly extKeyUsage?: { readonly purposes: readonly string[]; readonly critical: boolean };
  /** e.g. "SHA256-RSA", "ECDSA-SHA384", "SHA256-RSAPSS"; the dotted OID when unknown. */
  readonly signatureAlgorithm: string;
  /** The hash of the issuer's signature over this certificate; undefined for unknown algorithms and EdDSA. */
  readonly signatureHash?: HashName;
  readonly publicKey: PublicKeyInfo;
}

/** Far above any real certificate; bounds the work an untrusted envelope can cause. */
export const MAX_CERTIFICATE_BYTES = 64 * 1024;
const CACHE_LIMIT = 2048;
const cache = new Map<string, Certificate>();

function invalid(label: string, reason: string, cause?: unknown): NotationError {
  return new NotationError(
    'CERTIFICATE_INVALID',
    `${label} is not a valid DER X.509 certificate: ${reason}; supply the certificate as PEM or DER exactly as issued`,
    cause === undefined ? undefined : { cause },
  );
}

function stripZeros(bytes: Uint8Array): string {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return Buffer.from(bytes.subarray(i)).toString('hex');
}

/** The DER of the issuer and subject names: TBSCertificate children after [0] version, serial and signature. */
function rawNames(der: Uint8Array): { issuer: Uint8Array; subject: Uint8Array } | undefined {
  const outer = readTlv(der, 0);
  if (!outer || outer.tag !== 0x30 || outer.end !== der.length) return undefined;
  const tbs = readChildren(der, outer)?.[0];
  if (!tbs || tbs.tag !== 0x30) return undefined;
  const fields = readChildren(der, tbs);
  if (!fields) return undefined;
  const base = fields[0]?.tag === 0xa0 ? 1 : 0;
  const issuer = fields[base + 2];
  const subject = fields[base + 4];
  if (issuer?.tag !== 0x30 || subject?.tag !== 0x30) return undefined;
  return { issuer: tlvBytes(der, issuer), subject: tlvBytes(der, subject) };
}

function publicKeyOf(x509: X509Certificate): PublicKeyInfo {
  try {
    const key = x509.publicKey;
    const details = key.asymmetricKeyDetails ?? {};
    return {
      type: key.asymmetricKeyType ?? 'unknown',
      ...(details.modulusLength !== undefined ? { bits: details.modulusLength } : {}),
      ...(details.namedCurve !== undefined ? { curve: details.namedCurve } : {}),
    };
  } catch {
    return { type: 'unknown' };
  }
}

function parseExtensions(asn: AsnCertificate, label: string): Pick<
  Certificate,
  'extensions' | 'basicConstraints' | 'keyUsage' | 'extKeyUsage'
> {
  const extensions: { oid: string; critical: boolean }[] = [];
  let basicConstraints: Certificate['basicConstraints'];
  let keyUsage: Certificate['keyUsage'];
  let extKeyUsage: Certificate['extKeyUsage'];
  for (const ext of asn.tbsCertificate.extensions ?? []) {
    if (extensions.some((e) => e.oid === ext.extnID)) throw invalid(label, `it repeats extension ${ext.extnID}`);
    extensions.push(Object.freeze({ oid: ext.extnID, critical: ext.critical }));
    const value = ext.extnValue.buffer;
    try {
      if (ext.extnID === id_ce_basicConstraints) {
        const bc = AsnConvert.parse(value, BasicConstraints);
        if (bc.pathLenConstraint !== undefined && bc.pathLenConstraint < 0) throw new Error('negative pathLenConstraint');
        basicConstraints = Object.freeze({
          ca: bc.cA,
          critical: ext.critical,
          ...(bc.pathLenConstraint !== undefined ? { pathLen: bc.pathLenConstraint } : {}),
        });
      } else if (ext.extnID === id_ce_keyUsage) {
        const bits = AsnConvert.parse(value, KeyUsage).toNumber();
        const usages = KEY_USAGE_BITS.filter((_, i) => (bits & (1 << i)) !== 0);
        keyUsage = Object.freeze({ usages: Object.freeze(usages), critical: ext.critical });
      } else if (ext.extnID === id_ce_extKeyUsage) {
        const purposes = [...AsnConvert.parse(value, ExtendedKeyUsage)];
        extKeyUsage = Object.freeze({ purposes: Object.freeze(purposes), critical: ext.critical });
      }
    } catch (err) {
      if (err instanceof NotationError) throw err;
      throw invalid(label, `its extension ${ext.extnID} is malformed`, err);
    }
  }
  return { extensions: Object.freeze(extensions), basicConstraints, keyUsage, extKeyUsage };
}

function build(der: Uint8Array, fingerprint256: string, label: string): Certificate {
  const names = rawNames(der);
  if (!names) throw invalid(label, 'the bytes are not one DER-encoded certificate');
  let asn: AsnCertificate;
  let x509: X509Certificate;
  try {
    asn = AsnConvert.parse(der, AsnCertificate);
    x509 = new X509Certificate(der);
  } catch (err) {
    throw invalid(label, err instanceof Error ? err.message : String(err), err);
  }
  const tbs = asn.tbsCertificate;
  const subject = formatName(tbs.subject);
  const issuer = formatName(tbs.issuer);
  const ext = parseExtensions(asn, label);
  const alg = describeSignatureAlgorithm(asn.signatureAlgorithm);
  let selfSigned = false;
  if (Buffer.from(names.subject).equals(names.issuer)) {
    try {
      selfSigned = x509.verify(x509.publicKey);
    } catch {
      selfSigned = false;
    }
  }
  return Object.freeze({
    raw: der,
    x509,
    subject: subject.text,
    subjectAttributes: subject.attributes,
    issuer: issuer.text,
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    isCA: ext.basicConstraints?.ca === true,
    selfSigned,
    fingerprint256,
    version: tbs.version + 1,
    serialNumber: stripZeros(new Uint8Array(tbs.serialNumber)),
    rawSubject: names.subject,
    rawIssuer: names.issuer,
    ...ext,
    signatureAlgorithm: alg.name,
    ...(alg.hash ? { signatureHash: alg.hash } : {}),
    publicKey: Object.freeze(publicKeyOf(x509)),
  });
}

/**
 * Parses one DER certificate. Results are shared through a bounded cache keyed by SHA-256 (a certificate is
 * immutable), so the chains of repeated verifications are parsed once. `label` names the certificate in messages.
 */
export function parseCertificate(der: Uint8Array, label = 'the certificate'): Certificate {
  if (der.byteLength === 0) throw invalid(label, 'it is empty');
  if (der.byteLength > MAX_CERTIFICATE_BYTES) {
    throw invalid(label, `it is ${der.byteLength} bytes, more than the ${MAX_CERTIFICATE_BYTES}-byte limit`);
  }
  const fingerprint256 = createHash('sha256').update(der).digest('hex');
  const hit = cache.get(fingerprint256);
  if (hit) return hit;
  const cert = build(new Uint8Array(der), fingerprint256, label);
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(fingerprint256, cert);
  return cert;
}
