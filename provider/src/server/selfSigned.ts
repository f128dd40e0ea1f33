/**
 * A development TLS certificate made at start when none is configured: a throwaway EC P-256 CA and a serving
 * certificate it issues (localhost, 127.0.0.1, ::1 and the given names), built with @peculiar/asn1-x509 and signed
 * with node:crypto. The CA's PEM, base64-encoded, is what a Gatekeeper Provider's `caBundle` takes.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  GeneralName,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  id_kp_serverAuth,
} from '@peculiar/asn1-x509';

const ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const COMMON_NAME = '2.5.4.3';
const ORGANIZATION = '2.5.4.10';

export interface DevCertificate {
  /** Serving certificate then CA, PEM. */
  readonly certPem: string;
  readonly keyPem: string;
  readonly caPem: string;
  /** base64 of caPem: a Provider's spec.caBundle. */
  readonly caBundle: string;
}

function name(cn: string): Name {
  const attr = (type: string, value: string) => new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value: new AttributeValue({ utf8String: value }) })]);
  return new Name([attr(ORGANIZATION, 'signgate development'), attr(COMMON_NAME, cn)]);
}

function ext(id: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID: id, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

function pem(der: ArrayBuffer | Uint8Array): string {
  const b64 = Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der)).toString('base64');
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
}

/**
 * A DER-valid positive serial number from random bytes: the top bit cleared (positive) and the next one set, so the
 * first byte is never 0x00 — a leading zero before a byte below 0x80 is "illegal padding" and OpenSSL refuses the
 * certificate (about one start in 500 without this).
 */
export function certificateSerial(random: Uint8Array): Uint8Array {
  const serial = Uint8Array.from(random);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x40;
  return serial;
}

function issue(o: { subject: string; issuer: string; publicKey: KeyObject; signer: KeyObject; notBefore: Date; notAfter: Date; extensions: Extension[] }): Uint8Array {
  const spki = AsnConvert.parse(o.publicKey.export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo);
  const serial = certificateSerial(randomBytes(16));
  const skid = createHash('sha1').update(new Uint8Array(spki.subjectPublicKey)).digest();
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: new Uint8Array(serial).buffer,
    signature: new AlgorithmIdentifier({ algorithm: ECDSA_SHA256 }),
    issuer: name(o.issuer),
    validity: new Validity({ notBefore: o.notBefore, notAfter: o.notAfter }),
    subject: name(o.subject),
    subjectPublicKeyInfo: spki,
    extensions: new Extensions([...o.extensions, ext(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(new Uint8Array(skid)))]),
  });
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const signature = sign('sha256', tbsDer, o.signer);
  const cert = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: new AlgorithmIdentifier({ algorithm: ECDSA_SHA256 }), signatureValue: new Uint8Array(signature).buffer });
  return new Uint8Array(AsnConvert.serialize(cert));
}

/** Makes a CA and a serving certificate valid from an hour before `now` for `days` days. */
export function createDevCertificate(options: { now: Date; hosts?: readonly string[]; days?: number }): DevCertificate {
  const notBefore = new Date(options.now.getTime() - 3600_000);
  const notAfter = new Date(options.now.getTime() + (options.days ?? 365) * 86_400_000);
  const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const leaf = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const caDer = issue({
    subject: 'signgate development CA',
    issuer: 'signgate development CA',
    publicKey: ca.publicKey,
    signer: ca.privateKey,
    notBefore,
    notAfter,
    extensions: [
      ext(id_ce_basicConstraints, true, new BasicConstraints({ cA: true, pathLenConstraint: 0 })),
      ext(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)),
    ],
  });
  const hosts = [...new Set(['localhost', '127.0.0.1', '::1', ...(options.hosts ?? [])])];
  const names = hosts.map((h) => (isIP(h) ? new GeneralName({ iPAddress: h }) : new GeneralName({ dNSName: h })));
  const leafDer = issue({
    subject: 'signgate provider',
    issuer: 'signgate development CA',
    publicKey: leaf.publicKey,
    signer: ca.privateKey,
    notBefore,
    notAfter,
    extensions: [
      ext(id_ce_basicConstraints, true, new BasicConstraints({ cA: false })),
      ext(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.digitalSignature)),
      ext(id_ce_extKeyUsage, false, new ExtendedKeyUsage([id_kp_serverAuth])),
      ext(id_ce_subjectAltName, false, new SubjectAlternativeName(names)),
    ],
  });
  const caPem = pem(caDer);
  return {
    certPem: pem(leafDer) + caPem,
    keyPem: leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    caPem,
    caBundle: Buffer.from(caPem).toString('base64'),
  };
}
