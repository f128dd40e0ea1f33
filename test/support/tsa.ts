/**
 * A test-time RFC 3161 timestamping authority: a root -> intermediate -> TSA leaf PKI minted with test/support/pki.ts,
 * and a `timestamp()` that builds DER TimeStampTokens (CMS SignedData over a TSTInfo, RFC 3161 2.4.2 / RFC 5652) with
 * @peculiar/asn1-cms, @peculiar/asn1-tsp and node:crypto. Tamper options produce the broken tokens the tests need.
 * Nothing is committed key material; every run mints its own.
 */
import { constants, createHash, sign, type KeyObject, type SignKeyObjectInput } from 'node:crypto';
import * as asn1js from 'asn1js';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  Attribute,
  CertificateChoices,
  CertificateSet,
  ContentInfo,
  DigestAlgorithmIdentifiers,
  EncapsulatedContent,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
} from '@peculiar/asn1-cms';
import { AlgorithmIdentifier, Certificate as AsnCertificate } from '@peculiar/asn1-x509';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';
import { Accuracy, MessageImprint, TSTInfo } from '@peculiar/asn1-tsp';
import {
  EKU,
  YEAR_MS,
  createCaPair,
  createKeyPair,
  issueCertificate,
  type CertificateOptions,
  type IssuedCertificate,
  type KeyKind,
} from './pki.js';

export type TsaHash = 'SHA-256' | 'SHA-384' | 'SHA-512';

const HASH: Record<TsaHash, { node: string; oid: string; bytes: number }> = {
  'SHA-256': { node: 'sha256', oid: '2.16.840.1.101.3.4.2.1', bytes: 32 },
  'SHA-384': { node: 'sha384', oid: '2.16.840.1.101.3.4.2.2', bytes: 48 },
  'SHA-512': { node: 'sha512', oid: '2.16.840.1.101.3.4.2.3', bytes: 64 },
};

export const TSA_OID = {
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  baselinePolicy: '0.4.0.2023.1.1',
  testPolicy: '1.3.6.1.4.1.99999.1',
} as const;

export interface TimestampOptions {
  readonly genTime: Date;
  /** TSTInfo accuracy in seconds; 0 leaves the accuracy out. Default 1. */
  readonly accuracySeconds?: number;
  /** The messageImprint hash (and the CMS digest). Default SHA-256. */
  readonly hash?: TsaHash;
  /** TSTInfo policy OID (default a private test policy; TSA_OID.baselinePolicy implies a one-second accuracy). */
  readonly policy?: string;
  /** Which ESS attribute names the TSA certificate: v2 (default, SHA-256), v1 (SHA-1), or none. */
  readonly ess?: 'v1' | 'v2' | 'none';
  /** Put the root certificate into the token too (default true). */
  readonly includeRoot?: boolean;
  readonly tamper?: {
    /** The imprint covers other bytes than the signature. */
    readonly imprint?: boolean;
    /** The TSTInfo is replaced after signing (genTime moved back a year): messageDigest no longer matches. */
    readonly tstInfo?: boolean;
    /** The encapsulated content type (and the contentType attribute) is this OID instead of id-ct-TSTInfo. */
    readonly contentType?: string;
    /** The token carries no certificates. */
    readonly omitCertificates?: boolean;
    /** One bit of the CMS signature is flipped. */
    readonly signature?: boolean;
    /** The ESS certHash is of another certificate. */
    readonly essCertHash?: boolean;
    /** Sign with this key instead of the TSA leaf's. */
    readonly signWith?: KeyObject;
  };
}

export interface TestTsa {
  readonly root: IssuedCertificate;
  readonly intermediate: IssuedCertificate;
  readonly leaf: IssuedCertificate;
  /** Builds a DER TimeStampToken over `signature` (the bytes an envelope's timestamp covers). */
  timestamp(signature: Uint8Array, options: TimestampOptions): Uint8Array;
}

/** The TSA leaf profile the Notary Project requires: digitalSignature, EKU timeStamping only and critical. */
export const TSA_LEAF_PRESET: Partial<CertificateOptions> = {
  basicConstraints: { ca: false, critical: true },
  keyUsages: ['digitalSignature'],
  extendedKeyUsages: [EKU.timeStamping],
  extendedKeyUsageCritical: true,
};

function der(value: unknown): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(value));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function tlv(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), content]);
}

function attribute(type: string, value: Uint8Array): Attribute {
  return new Attribute({ attrType: type, attrValues: [value.slice().buffer] });
}

function essAttribute(kind: 'v1' | 'v2', certDer: Uint8Array, wrongHash: boolean): Attribute {
  const hashed = wrongHash ? Buffer.concat([Buffer.from(certDer), Buffer.from([0])]) : certDer;
  const hash = createHash(kind === 'v1' ? 'sha1' : 'sha256').update(hashed).digest();
  // ESSCertID(v2) ::= SEQUENCE { [hashAlgorithm DEFAULT sha256,] certHash, issuerSerial OPTIONAL } (omitted: sid is used)
  const essCertId = new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: hash })] });
  const value = new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [essCertId] })] });
  const oid = kind === 'v1' ? '1.2.840.113549.1.9.16.2.12' : '1.2.840.113549.1.9.16.2.47';
  return attribute(oid, new Uint8Array(value.toBER()));
}

function signatureAlgorithm(key: KeyObject, hash: TsaHash, pss: boolean): { alg: AlgorithmIdentifier; input: SignKeyObjectInput } {
  if (key.asymmetricKeyType === 'ec') {
    const oid = { 'SHA-256': '1.2.840.10045.4.3.2', 'SHA-384': '1.2.840.10045.4.3.3', 'SHA-512': '1.2.840.10045.4.3.4' }[hash];
    return { alg: new AlgorithmIdentifier({ algorithm: oid }), input: { key, dsaEncoding: 'der' } };
  }
  if (pss) {
    const hashAlg = new AlgorithmIdentifier({ algorithm: HASH[hash].oid, parameters: null });
    const params = new RsaSaPssParams({
      hashAlgorithm: hashAlg,
      maskGenAlgorithm: new AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.8', parameters: der(hashAlg).buffer as ArrayBuffer }),
      saltLength: HASH[hash].bytes,
    });
    return {
      alg: new AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.10', parameters: der(params).buffer as ArrayBuffer }),
      input: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH[hash].bytes },
    };
  }
  // rsaEncryption with the digest from digestAlgorithm, as most TSAs write it.
  return { alg: new AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.1', parameters: null }), input: { key } };
}

/**
 * Mints a TSA PKI valid around `at` (root and intermediate: two years either side; leaf: one year) and returns a
 * token factory. `key` picks the TSA leaf key kind (default ec-p256), `pss` signs RSA tokens with RSASSA-PSS, and
 * `leaf` overrides any leaf option (to mint bad TSA certificates). The CA key is shared across the run unless
 * `freshCaKey` asks for a new one (a TSA that no other test TSA's root can vouch for).
 */
export async function createTestTsa(options: {
  at: Date;
  key?: KeyKind;
  pss?: boolean;
  leaf?: Partial<CertificateOptions>;
  freshCaKey?: boolean;
}): Promise<TestTsa> {
  const at = options.at.getTime();
  const { root, intermediate } = await createCaPair({
    at: options.at,
    caKey: await createKeyPair('ec-p384', { shared: !options.freshCaKey }),
    name: 'CN=signgate test TSA root,O=signgate,C=US',
    intermediateName: 'CN=signgate test TSA CA,O=signgate,C=US',
  });
  const leaf = await issueCertificate({
    subject: 'CN=signgate test TSA,O=signgate,C=US',
    key: await createKeyPair(options.key ?? 'ec-p256', { shared: true }),
    issuer: intermediate,
    notBefore: new Date(at - YEAR_MS),
    notAfter: new Date(at + YEAR_MS),
    ...TSA_LEAF_PRESET,
    ...options.leaf,
  });
  const pss = options.pss ?? false;
  return { root, intermediate, leaf, timestamp: (signature, o) => mintToken(signature, o, { root, intermediate, leaf, pss }) };
}

/** Builds a token with any TSA certificates (revocation tests bring their own, with OCSP and CRL endpoints). */
export function mintToken(
  signature: Uint8Array,
  o: TimestampOptions,
  pki: { root: IssuedCertificate; intermediate: IssuedCertificate; leaf: IssuedCertificate; pss: boolean },
): Uint8Array {
  const t = o.tamper ?? {};
  const hash = HASH[o.hash ?? 'SHA-256'];
  const imprinted = t.imprint ? Buffer.concat([Buffer.from(signature), Buffer.from('other')]) : signature;
  const tstInfo = (genTime: Date): Uint8Array =>
    der(
      new TSTInfo({
        version: 1,
        policy: o.policy ?? TSA_OID.testPolicy,
        messageImprint: new MessageImprint({
          hashAlgorithm: new AlgorithmIdentifier({ algorithm: hash.oid }),
          hashedMessage: new OctetString(createHash(hash.node).update(imprinted).digest()),
        }),
        serialNumber: new Uint8Array([0x01, 0x23, 0x45]).buffer,
        genTime,
        ...((o.accuracySeconds ?? 1) > 0 ? { accuracy: new Accuracy({ seconds: o.accuracySeconds ?? 1 }) } : {}),
      }),
    );
  const content = tstInfo(o.genTime);
  const contentType = t.contentType ?? TSA_OID.tstInfo;
  const leafAsn = AsnConvert.parse(pki.leaf.der, AsnCertificate);
  const attrs = [
    attribute('1.2.840.113549.1.9.3', new Uint8Array(new asn1js.ObjectIdentifier({ value: contentType }).toBER())),
    attribute('1.2.840.113549.1.9.4', der(new OctetString(createHash(hash.node).update(content).digest()))),
    ...(o.ess === 'none' ? [] : [essAttribute(o.ess ?? 'v2', pki.leaf.der, t.essCertHash ?? false)]),
  ].sort((a, b) => compareBytes(der(a), der(b)));
  // The signature covers the DER SET OF the attributes (RFC 5652 5.4): tag 0x31, length, the sorted attributes.
  const setOf = tlv(0x31, Buffer.concat(attrs.map(der)));
  const { alg, input } = signatureAlgorithm(t.signWith ?? pki.leaf.key.privateKey, o.hash ?? 'SHA-256', pki.pss);
  const sig = sign(hash.node, setOf, { ...input, key: t.signWith ?? pki.leaf.key.privateKey });
  if (t.signature) sig[sig.length - 1] = (sig[sig.length - 1] as number) ^ 0x01;
  const certs = t.omitCertificates ? [] : [pki.leaf, pki.intermediate, ...(o.includeRoot === false ? [] : [pki.root])];
  const signedData = new SignedData({
    version: 3,
    digestAlgorithms: new DigestAlgorithmIdentifiers([new AlgorithmIdentifier({ algorithm: hash.oid })]),
    encapContentInfo: new EncapsulatedContentInfo({
      eContentType: contentType,
      eContent: new EncapsulatedContent({ single: new OctetString(t.tstInfo ? tstInfo(new Date(o.genTime.getTime() - YEAR_MS)) : content) }),
    }),
    ...(certs.length > 0
      ? { certificates: new CertificateSet(certs.map((c) => new CertificateChoices({ certificate: AsnConvert.parse(c.der, AsnCertificate) }))) }
      : {}),
    signerInfos: new SignerInfos([
      new SignerInfo({
        version: 1,
        sid: new SignerIdentifier({
          issuerAndSerialNumber: new IssuerAndSerialNumber({
            issuer: leafAsn.tbsCertificate.issuer,
            serialNumber: leafAsn.tbsCertificate.serialNumber,
          }),
        }),
        digestAlgorithm: new AlgorithmIdentifier({ algorithm: hash.oid }),
        signedAttrs: attrs,
        signatureAlgorithm: alg,
        signature: new OctetString(sig),
      }),
    ]),
  });
  return der(new ContentInfo({ contentType: TSA_OID.signedData, content: der(signedData).buffer as ArrayBuffer }));
}
