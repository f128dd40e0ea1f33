/**
 * The private key object on the token and what may be read about it: its type and size, its public half (RSA modulus
 * and exponent from the key object, an EC point from the public key object with the same CKA_ID) and the certificate
 * objects on the token. The key's value is never read: the token signs.
 */
import { X509Certificate, createPublicKey, type KeyObject } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { KeyError } from '../errors.js';
import type { Pkcs11Session } from './session.js';
import type { Pkcs11Uri } from './uri.js';

/** Far above any real token: bounds the objects one search returns. */
const MAX_OBJECTS = 64;

/** DER OIDs of CKA_EC_PARAMS for the curves the Notary Project allows, with the JWK curve name. */
const CURVES: readonly { readonly der: string; readonly crv: string; readonly bits: number; readonly bytes: number }[] = [
  { der: '06082a8648ce3d030107', crv: 'P-256', bits: 256, bytes: 32 },
  { der: '06052b81040022', crv: 'P-384', bits: 384, bytes: 48 },
  { der: '06052b81040023', crv: 'P-521', bits: 521, bytes: 66 },
];

export interface TokenKey {
  readonly handle: Buffer;
  /** "RSA-<modulus bits>" or "EC-<curve bits>" (checked against the Notary Project set by the caller). */
  readonly keySpec: string;
  /** CKA_ID, to find the certificate and public key objects of the key. */
  readonly id: Buffer;
  /** The public half, or undefined for an EC key without a public key object (the leaf certificate is trusted then). */
  readonly publicKey?: KeyObject;
}

function find(session: Pkcs11Session, template: pkcs11js.Template): Buffer[] {
  const { lib, handle } = session;
  lib.C_FindObjectsInit(handle, template);
  try {
    return lib.C_FindObjects(handle, MAX_OBJECTS + 1);
  } finally {
    lib.C_FindObjectsFinal(handle);
  }
}

function attribute(session: Pkcs11Session, object: Buffer, type: number): Buffer {
  const [result] = session.lib.C_GetAttributeValue(session.handle, object, [{ type }]);
  return result?.value as Buffer;
}

function ecCurve(params: Buffer, uri: Pkcs11Uri): (typeof CURVES)[number] {
  const curve = CURVES.find((c) => c.der === params.toString('hex'));
  if (!curve) {
    throw new KeyError(
      'PKCS11_KEY_UNSUPPORTED',
      `the EC key of ${uri.redacted} is on curve ${params.toString('hex')}; Notary Project signatures allow only P-256, P-384 and P-521 keys`,
    );
  }
  return curve;
}

function ecPublicKey(session: Pkcs11Session, id: Buffer, curve: (typeof CURVES)[number]): KeyObject | undefined {
  const [pub] = find(session, [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
    { type: pkcs11js.CKA_ID, value: id },
  ]);
  if (pub === undefined) return undefined;
  // CKA_EC_POINT is a DER OCTET STRING around the uncompressed point 04||X||Y (some modules return the bare point)
  const raw = attribute(session, pub, pkcs11js.CKA_EC_POINT);
  const size = 1 + 2 * curve.bytes;
  const point = raw.length === size ? raw : raw.subarray(raw.length - size);
  const header = raw.subarray(0, raw.length - size);
  const wrapped = header.length === 0 || (header[0] === 0x04 && (header.length === 2 || (header.length === 3 && header[1] === 0x81)));
  if (!wrapped || point[0] !== 0x04) return undefined;
  const x = point.subarray(1, 1 + curve.bytes).toString('base64url');
  const y = point.subarray(1 + curve.bytes).toString('base64url');
  return createPublicKey({ key: { kty: 'EC', crv: curve.crv, x, y }, format: 'jwk' });
}

/** Finds exactly one private key matching the URI's object / id. Throws PKCS11_KEY_NOT_FOUND / PKCS11_KEY_UNSUPPORTED. */
export function findPrivateKey(session: Pkcs11Session, uri: Pkcs11Uri): TokenKey {
  const template: pkcs11js.Template = [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }];
  if (uri.object !== undefined) template.push({ type: pkcs11js.CKA_LABEL, value: uri.object });
  if (uri.id !== undefined) template.push({ type: pkcs11js.CKA_ID, value: Buffer.from(uri.id) });
  const found = find(session, template);
  if (found.length === 0) {
    throw new KeyError(
      'PKCS11_KEY_NOT_FOUND',
      `no private key on the token matches ${uri.redacted}; list the token's keys (pkcs11-tool --list-objects --login) and correct object= / id=`,
    );
  }
  if (found.length > 1) {
    throw new KeyError('PKCS11_KEY_NOT_FOUND', `${found.length > MAX_OBJECTS ? 'many' : found.length} private keys on the token match ${uri.redacted}; add id= to pick one`);
  }
  const handle = found[0] as Buffer;
  const keyType = attribute(session, handle, pkcs11js.CKA_KEY_TYPE).readUIntLE(0, 4);
  const id = attribute(session, handle, pkcs11js.CKA_ID);
  if (keyType === pkcs11js.CKK_RSA) {
    const n = attribute(session, handle, pkcs11js.CKA_MODULUS);
    const e = attribute(session, handle, pkcs11js.CKA_PUBLIC_EXPONENT);
    const publicKey = createPublicKey({ key: { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') }, format: 'jwk' });
    return { handle, keySpec: `RSA-${publicKey.asymmetricKeyDetails?.modulusLength ?? 0}`, id, publicKey };
  }
  if (keyType === pkcs11js.CKK_EC) {
    const curve = ecCurve(attribute(session, handle, pkcs11js.CKA_EC_PARAMS), uri);
    const publicKey = ecPublicKey(session, id, curve);
    return { handle, keySpec: `EC-${curve.bits}`, id, ...(publicKey ? { publicKey } : {}) };
  }
  throw new KeyError(
    'PKCS11_KEY_UNSUPPORTED',
    `the key of ${uri.redacted} has PKCS#11 key type 0x${keyType.toString(16)}; Notary Project signatures need an RSA or EC key`,
  );
}

/**
 * The certificate objects on the token: the one with the key's CKA_ID first, then each issuer found among the others
 * (a chain as far as the token holds it). Throws PKCS11_CERTIFICATE_NOT_FOUND when no certificate has the key's id.
 */
export function tokenCertificateChain(session: Pkcs11Session, key: TokenKey, uri: Pkcs11Uri): Uint8Array[] {
  const all = find(session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE }]).slice(0, MAX_OBJECTS);
  const certs = all.map((object) => ({
    id: attribute(session, object, pkcs11js.CKA_ID),
    der: attribute(session, object, pkcs11js.CKA_VALUE),
  }));
  const leaf = certs.find((c) => c.id.equals(key.id));
  if (!leaf) {
    throw new KeyError(
      'PKCS11_CERTIFICATE_NOT_FOUND',
      `the token holds no certificate with the id of the key ${uri.redacted}; import the certificate with the key's id, or pass --cert CHAIN.pem`,
    );
  }
  const parsed = certs.flatMap((c) => {
    try {
      return [{ der: c.der, x509: new X509Certificate(c.der) }];
    } catch (cause) {
      if (c !== leaf) return []; // another object's garbage does not stop this key
      throw new KeyError('PKCS11_CERTIFICATE_NOT_FOUND', `the certificate object with the id of ${uri.redacted} is not an X.509 certificate; replace it or pass --cert`, { cause });
    }
  });
  const chain = [parsed.find((c) => c.der === leaf.der) as (typeof parsed)[number]];
  for (let current = chain[0]; current && chain.length < MAX_OBJECTS; ) {
    if (current.x509.checkIssued(current.x509)) break; // self-signed: the root
    const issuer = parsed.find((c) => !chain.includes(c) && current?.x509.checkIssued(c.x509) && current.x509.verify(c.x509.publicKey));
    if (!issuer) break;
    chain.push(issuer);
    current = issuer;
  }
  return chain.map((c) => new Uint8Array(c.der));
}
