/**
 * A throwaway PKI minted at test time: key pairs, roots, intermediates, leaves and TSA certificates with exactly the
 * extensions a test asks for. Nothing here is committed key material; every run makes its own.
 */
import 'reflect-metadata';
import { webcrypto, createPrivateKey, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export type KeyKind = 'rsa-2048' | 'rsa-3072' | 'rsa-4096' | 'rsa-1024' | 'ec-p256' | 'ec-p384' | 'ec-p521';

export interface KeyPair {
  readonly kind: KeyKind;
  readonly keys: CryptoKeyPair;
  /** The private key as a node KeyObject (for the signer). */
  readonly privateKey: KeyObject;
}

const keyCache = new Map<KeyKind, Promise<KeyPair>>();

function algorithmFor(kind: KeyKind, hash = 'SHA-256'): RsaHashedKeyGenParams | EcKeyGenParams {
  if (kind.startsWith('rsa-')) {
    return { name: 'RSASSA-PKCS1-v1_5', modulusLength: Number(kind.slice(4)), publicExponent: new Uint8Array([1, 0, 1]), hash };
  }
  const curve = { 'ec-p256': 'P-256', 'ec-p384': 'P-384', 'ec-p521': 'P-521' }[kind as 'ec-p256'];
  return { name: 'ECDSA', namedCurve: curve };
}

/** A fresh key pair. With `shared: true` one pair per kind is reused across the run (RSA generation is slow). */
export async function createKeyPair(kind: KeyKind, options: { shared?: boolean } = {}): Promise<KeyPair> {
  const make = async (): Promise<KeyPair> => {
    const keys = (await webcrypto.subtle.generateKey(algorithmFor(kind), true, ['sign', 'verify'])) as CryptoKeyPair;
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    return { kind, keys, privateKey: createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }) };
  };
  if (!options.shared) return make();
  let p = keyCache.get(kind);
  if (!p) {
    p = make();
    keyCache.set(kind, p);
  }
  return p;
}

export interface IssuedCertificate {
  readonly cert: x509.X509Certificate;
  readonly der: Uint8Array;
  readonly pem: string;
  readonly key: KeyPair;
}

export interface CertificateOptions {
  /** RFC 4514-ish DN, e.g. "CN=leaf,O=Notary,ST=WA,C=US". */
  readonly subject: string;
  readonly key: KeyPair;
  /** Absent: self-signed. */
  readonly issuer?: IssuedCertificate;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** basicConstraints; absent means no extension. */
  readonly basicConstraints?: { readonly ca: boolean; readonly pathLength?: number; readonly critical?: boolean };
  /** keyUsage bits as @peculiar/x509 names them; absent means no extension. */
  readonly keyUsages?: readonly (keyof typeof x509.KeyUsageFlags)[];
  readonly keyUsageCritical?: boolean;
  /** extKeyUsage OIDs; absent means no extension. */
  readonly extendedKeyUsages?: readonly string[];
  readonly extendedKeyUsageCritical?: boolean;
  /** Hash of the issuer's signature over this certificate (default SHA-256; SHA-1 to test its rejection). */
  readonly signatureHash?: 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';
  readonly serialNumber?: string;
}

export const EKU = {
  codeSigning: '1.3.6.1.5.5.7.3.3',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  emailProtection: '1.3.6.1.5.5.7.3.4',
} as const;

let serial = 1;

function signingAlgorithm(key: KeyPair, hash: string): Algorithm {
  if (key.kind.startsWith('rsa-')) return { name: 'RSASSA-PKCS1-v1_5', hash } as Algorithm;
  return { name: 'ECDSA', hash } as Algorithm;
}

export async function issueCertificate(o: CertificateOptions): Promise<IssuedCertificate> {
  const extensions: x509.Extension[] = [];
  if (o.basicConstraints) {
    extensions.push(
      new x509.BasicConstraintsExtension(o.basicConstraints.ca, o.basicConstraints.pathLength, o.basicConstraints.critical ?? true),
    );
  }
  if (o.keyUsages) {
    let flags = 0;
    for (const u of o.keyUsages) flags |= x509.KeyUsageFlags[u];
    extensions.push(new x509.KeyUsagesExtension(flags, o.keyUsageCritical ?? true));
  }
  if (o.extendedKeyUsages) {
    extensions.push(new x509.ExtendedKeyUsageExtension([...o.extendedKeyUsages], o.extendedKeyUsageCritical ?? false));
  }
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(o.key.keys.publicKey));
  const signer = o.issuer?.key ?? o.key;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: o.serialNumber ?? (serial++).toString(16).padStart(2, '0'),
    subject: o.subject,
    issuer: o.issuer ? o.issuer.cert.subject : o.subject,
    notBefore: o.notBefore,
    notAfter: o.notAfter,
    signingAlgorithm: signingAlgorithm(signer, o.signatureHash ?? 'SHA-256'),
    publicKey: o.key.keys.publicKey,
    signingKey: signer.keys.privateKey,
    extensions,
  });
  return { cert, der: new Uint8Array(cert.rawData), pem: cert.toString('pem'), key: o.key };
}

export interface Pki {
  readonly root: IssuedCertificate;
  readonly intermediate: IssuedCertificate;
  readonly leaf: IssuedCertificate;
  /** leaf, intermediate, root: the order an envelope carries. */
  readonly chain: readonly Uint8Array[];
}

export const YEAR_MS = 365 * 24 * 3600 * 1000;

/** A self-signed root and an intermediate (pathLen 0) under it, both valid two years either side of `at`. */
export async function createCaPair(o: {
  at: Date;
  caKey: KeyPair;
  name: string;
  intermediateName: string;
}): Promise<{ root: IssuedCertificate; intermediate: IssuedCertificate }> {
  const at = o.at.getTime();
  const validity = { notBefore: new Date(at - 2 * YEAR_MS), notAfter: new Date(at + 2 * YEAR_MS) };
  const usages: CertificateOptions['keyUsages'] = ['keyCertSign', 'cRLSign'];
  const root = await issueCertificate({ subject: o.name, key: o.caKey, ...validity, basicConstraints: { ca: true, critical: true }, keyUsages: usages });
  const intermediate = await issueCertificate({
    subject: o.intermediateName,
    key: o.caKey,
    issuer: root,
    ...validity,
    basicConstraints: { ca: true, pathLength: 0, critical: true },
    keyUsages: usages,
  });
  return { root, intermediate };
}

/**
 * A root -> intermediate -> leaf code-signing PKI valid around `at` (default validity: one year either side).
 * `leafKey` picks the signing key kind; `leaf` overrides any leaf option (to mint bad leaves).
 */
export async function createPki(options: {
  at: Date;
  leafKey?: KeyKind;
  caKey?: KeyKind;
  leafSubject?: string;
  leaf?: Partial<CertificateOptions>;
}): Promise<Pki> {
  const at = options.at.getTime();
  const { root, intermediate } = await createCaPair({
    at: options.at,
    caKey: await createKeyPair(options.caKey ?? 'ec-p256', { shared: true }),
    name: 'CN=signgate test root,O=signgate,ST=WA,C=US',
    intermediateName: 'CN=signgate test intermediate,O=signgate,ST=WA,C=US',
  });
  const leafKey = await createKeyPair(options.leafKey ?? 'ec-p256', { shared: true });
  const leaf = await issueCertificate({
    subject: options.leafSubject ?? 'CN=signgate test signer,O=signgate,L=Seattle,ST=WA,C=US',
    key: leafKey,
    issuer: intermediate,
    notBefore: new Date(at - YEAR_MS),
    notAfter: new Date(at + YEAR_MS),
    basicConstraints: { ca: false, critical: true },
    keyUsages: ['digitalSignature'],
    extendedKeyUsages: [EKU.codeSigning],
    ...options.leaf,
  });
  return { root, intermediate, leaf, chain: [leaf.der, intermediate.der, root.der] };
}

/** A TLS server certificate for `hosts` (IP addresses or DNS names in subjectAltName), issued by `issuer`. */
export async function issueServerCertificate(o: {
  readonly hosts: readonly string[];
  readonly issuer: IssuedCertificate;
  readonly notBefore: Date;
  readonly notAfter: Date;
}): Promise<IssuedCertificate & { readonly keyPem: string }> {
  const key = await createKeyPair('ec-p256', { shared: true });
  const base = await issueCertificate({
    subject: `CN=${o.hosts[0] ?? 'localhost'}`,
    key,
    issuer: o.issuer,
    notBefore: o.notBefore,
    notAfter: o.notAfter,
    basicConstraints: { ca: false, critical: true },
    keyUsages: ['digitalSignature'],
    extendedKeyUsages: [EKU.serverAuth],
  });
  const san = new x509.SubjectAlternativeNameExtension(
    o.hosts.map((h) => (/^[\d.]+$/.test(h) || h.includes(':') ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h })),
  );
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: base.cert.serialNumber,
    subject: base.cert.subject,
    issuer: o.issuer.cert.subject,
    notBefore: o.notBefore,
    notAfter: o.notAfter,
    signingAlgorithm: signingAlgorithm(o.issuer.key, 'SHA-256'),
    publicKey: key.keys.publicKey,
    signingKey: o.issuer.key.keys.privateKey,
    extensions: [...base.cert.extensions, san],
  });
  const keyPem = key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  return { cert, der: new Uint8Array(cert.rawData), pem: cert.toString('pem'), key, keyPem };
}
