/**
 * One SignerInfo of the token (RFC 5652 5.3-5.6, RFC 3161 2.4.1): the signing certificate named by the ESS
 * signing-certificate attribute (or by the sid when it carries no issuerSerial), the signature over the DER signed
 * attributes, and the contentType / messageDigest attributes.
 */
import { constants, createHash, timingSafeEqual, verify, type VerifyKeyObjectInput } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import type { Attribute, SignerInfo } from '@peculiar/asn1-cms';
import { MessageDigest, SigningTime } from '@peculiar/asn1-cms';
import type { Name } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import { NotationError } from '../errors.js';
import type { Certificate } from '../x509/index.js';
import { timestampInvalid } from './errors.js';
import type { ParsedToken, TokenSigner } from './cms.js';
import { SigningCertificate, SigningCertificateV2, type IssuerSerial } from './ess.js';
import { DIGESTS, OID, signatureSchemeOf, type DigestName } from './oids.js';

const sameBytes = (a: Uint8Array | ArrayBuffer, b: Uint8Array | ArrayBuffer): boolean => {
  const x = Buffer.from(a instanceof ArrayBuffer ? new Uint8Array(a) : a);
  const y = Buffer.from(b instanceof ArrayBuffer ? new Uint8Array(b) : b);
  return x.length === y.length && timingSafeEqual(x, y);
};

function serialHex(serial: ArrayBuffer): string {
  const bytes = new Uint8Array(serial);
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return Buffer.from(bytes.subarray(i)).toString('hex');
}

/** The single value of a signed attribute; absent, repeated or multi-valued attributes are refused where needed. */
function attribute(attrs: readonly Attribute[], oid: string): ArrayBuffer | undefined {
  const found = attrs.filter((a) => a.attrType === oid);
  if (found.length === 0) return undefined;
  const values = found[0]?.attrValues ?? [];
  if (found.length > 1 || values.length !== 1) throw timestampInvalid(`signed attribute ${oid} must appear once with one value`);
  return values[0];
}

function findCertificate(token: ParsedToken, issuer: Name, serial: ArrayBuffer): Certificate | undefined {
  const issuerDer = new Uint8Array(AsnConvert.serialize(issuer));
  const hex = serialHex(serial);
  return token.certificates.find((c) => c.serialNumber === hex && sameBytes(c.rawIssuer, issuerDer));
}

function byIssuerSerial(token: ParsedToken, ref: IssuerSerial): Certificate | undefined {
  const name = ref.issuer.find((g) => g.directoryName)?.directoryName;
  if (!name) throw timestampInvalid('the issuerSerial of its signing-certificate attribute has no directory name');
  return findCertificate(token, name, ref.serialNumber);
}

/** The TSA certificate: located by issuer and serial, then checked against the attribute's certificate hash. */
export function signingCertificateOf(token: ParsedToken, signer: TokenSigner): Certificate {
  const attrs = signer.info.signedAttrs ?? [];
  const v2 = attribute(attrs, OID.signingCertificateV2);
  const v1 = v2 ? undefined : attribute(attrs, OID.signingCertificate);
  if (!v2 && !v1) {
    throw timestampInvalid('its signer has neither the signingCertificateV2 nor the signingCertificate signed attribute');
  }
  let essId: { certHash: ArrayBuffer; hash: string; issuerSerial?: IssuerSerial } | undefined;
  try {
    if (v2) {
      const id = AsnConvert.parse(v2, SigningCertificateV2).certs[0];
      const hashOid = id?.hashAlgorithm?.algorithm ?? '2.16.840.1.101.3.4.2.1';
      const hash = DIGESTS[hashOid];
      if (id && !hash) throw timestampInvalid(`its signingCertificateV2 attribute uses unsupported hash ${hashOid}`);
      if (id && hash) essId = { certHash: id.certHash.buffer, hash, ...(id.issuerSerial ? { issuerSerial: id.issuerSerial } : {}) };
    } else if (v1) {
      const id = AsnConvert.parse(v1, SigningCertificate).certs[0];
      if (id) essId = { certHash: id.certHash.buffer, hash: 'sha1', ...(id.issuerSerial ? { issuerSerial: id.issuerSerial } : {}) };
    }
  } catch (err) {
    if (err instanceof NotationError) throw err;
    throw timestampInvalid('its signing-certificate attribute does not decode', err);
  }
  if (!essId) throw timestampInvalid('its signing-certificate attribute names no certificate');
  let cert: Certificate | undefined;
  if (essId.issuerSerial) {
    cert = byIssuerSerial(token, essId.issuerSerial);
  } else {
    const sid = signer.info.sid.issuerAndSerialNumber;
    if (!sid) throw timestampInvalid('its signer is identified by subjectKeyIdentifier; only issuerAndSerialNumber is supported');
    cert = findCertificate(token, sid.issuer, sid.serialNumber);
  }
  if (!cert) {
    throw timestampInvalid(
      'the TSA signing certificate was not found in the timestamp token; the token must embed the TSA certificate chain ' +
        '(request it with certReq set to true)',
    );
  }
  if (!sameBytes(createHash(essId.hash).update(cert.raw).digest(), essId.certHash)) {
    throw timestampInvalid(`the hash of TSA certificate "${cert.subject}" does not match the certHash of its signing-certificate attribute`);
  }
  return cert;
}

function keyInput(cert: Certificate, scheme: 'pkcs1' | 'pss' | 'ecdsa'): VerifyKeyObjectInput {
  const key = cert.x509.publicKey;
  if (scheme === 'pss') return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO };
  if (scheme === 'pkcs1') return { key, padding: constants.RSA_PKCS1_PADDING };
  return { key, dsaEncoding: 'der' };
}

/** Verifies the signature over the signed attributes and the contentType and messageDigest attributes. */
export function verifySignerInfo(token: ParsedToken, signer: TokenSigner, cert: Certificate): void {
  const info: SignerInfo = signer.info;
  if (info.version !== 1) {
    throw timestampInvalid(`its SignerInfo version is ${info.version}; only version 1 (issuerAndSerialNumber) is supported`);
  }
  const digest = DIGESTS[info.digestAlgorithm.algorithm];
  const alg = signatureSchemeOf(info.digestAlgorithm.algorithm, info.signatureAlgorithm.algorithm);
  if (!alg || !digest) {
    throw timestampInvalid(
      `its signature algorithm (digest ${info.digestAlgorithm.algorithm}, signature ${info.signatureAlgorithm.algorithm}) ` +
        'is not supported; use RSA PKCS#1 v1.5, RSASSA-PSS or ECDSA with SHA-256, SHA-384 or SHA-512',
    );
  }
  const keyType = cert.publicKey.type;
  if ((alg.scheme === 'ecdsa') !== (keyType === 'ec') || (alg.scheme !== 'ecdsa' && keyType !== 'rsa')) {
    throw timestampInvalid(`its signature algorithm does not fit the ${keyType} key of TSA certificate "${cert.subject}"`);
  }
  if (!signer.signedAttrsDer) {
    throw timestampInvalid('its SignerInfo has no signed attributes, which CMS requires when the content is a TSTInfo');
  }
  let valid: boolean;
  try {
    valid = verify(alg.hash, signer.signedAttrsDer, keyInput(cert, alg.scheme), new Uint8Array(info.signature.buffer));
  } catch (err) {
    throw timestampInvalid(`its CMS signature cannot be checked with TSA certificate "${cert.subject}"`, err);
  }
  if (!valid) throw timestampInvalid(`its CMS signature does not verify with TSA certificate "${cert.subject}"`);
  checkSignedAttributes(token, info, digest);
}

function checkSignedAttributes(token: ParsedToken, info: SignerInfo, digest: DigestName): void {
  const attrs = info.signedAttrs ?? [];
  const contentType = attribute(attrs, OID.contentType);
  const ct = contentType ? asn1js.fromBER(contentType).result : undefined;
  if (!(ct instanceof asn1js.ObjectIdentifier) || ct.valueBlock.toString() !== token.eContentType) {
    throw timestampInvalid('its contentType signed attribute is missing or differs from the encapsulated content type');
  }
  const md = attribute(attrs, OID.messageDigest);
  if (!md) throw timestampInvalid('its messageDigest signed attribute is missing');
  const expected = AsnConvert.parse(md, MessageDigest).buffer;
  const actual = createHash(digest).update(token.eContent ?? new Uint8Array()).digest();
  if (!sameBytes(actual, expected)) {
    throw timestampInvalid('its messageDigest signed attribute does not match the TSTInfo: the token was altered after signing');
  }
}

/** The optional signingTime signed attribute. */
export function signingTimeOf(info: SignerInfo): Date | undefined {
  const value = attribute(info.signedAttrs ?? [], OID.signingTime);
  return value ? AsnConvert.parse(value, SigningTime).getTime() : undefined;
}
