/**
 * The one algorithm table of the Notary Project signature specification ("Algorithm Selection"): signature algorithm
 * <-> JWS `alg` <-> COSE alg id <-> key type and size <-> hash. The leaf key decides the algorithm; the envelope's
 * `alg` must equal it (algorithm substitution defence). Crypto goes through node:crypto directly.
 */
import { constants, sign, verify, type KeyObject } from 'node:crypto';
import { NotationError } from '../errors.js';
import type { SignatureAlgorithm } from '../types.js';

export type HashName = 'sha256' | 'sha384' | 'sha512';

export interface AlgorithmSpec {
  /** The JWS `alg` value, also the spec's algorithm name. */
  readonly name: SignatureAlgorithm;
  /** The COSE `alg` value (RFC 9053 / IANA COSE Algorithms). */
  readonly coseId: number;
  readonly keyType: 'rsa' | 'ec';
  /** RSA modulus bits, or EC curve size in bits. */
  readonly keySize: number;
  /** node:crypto's curve name (EC only). */
  readonly namedCurve?: string;
  readonly hash: HashName;
  /** Hash output length in bytes: the RSA-PSS salt length, and half the ECDSA r||s length is the curve size. */
  readonly hashBytes: number;
}

export const ALGORITHMS: readonly AlgorithmSpec[] = Object.freeze([
  { name: 'PS256', coseId: -37, keyType: 'rsa', keySize: 2048, hash: 'sha256', hashBytes: 32 },
  { name: 'PS384', coseId: -38, keyType: 'rsa', keySize: 3072, hash: 'sha384', hashBytes: 48 },
  { name: 'PS512', coseId: -39, keyType: 'rsa', keySize: 4096, hash: 'sha512', hashBytes: 64 },
  { name: 'ES256', coseId: -7, keyType: 'ec', keySize: 256, namedCurve: 'prime256v1', hash: 'sha256', hashBytes: 32 },
  { name: 'ES384', coseId: -35, keyType: 'ec', keySize: 384, namedCurve: 'secp384r1', hash: 'sha384', hashBytes: 48 },
  { name: 'ES512', coseId: -36, keyType: 'ec', keySize: 521, namedCurve: 'secp521r1', hash: 'sha512', hashBytes: 64 },
] satisfies AlgorithmSpec[]);

export function algorithmByJwsName(alg: unknown): AlgorithmSpec | undefined {
  return ALGORITHMS.find((a) => a.name === alg);
}

export function algorithmByCoseId(alg: unknown): AlgorithmSpec | undefined {
  return ALGORITHMS.find((a) => a.coseId === alg);
}

/** "RSA 2048-bit", "EC P-256", ... for messages. */
export function describeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') return `RSA ${details.modulusLength ?? '?'}-bit`;
  if (key.asymmetricKeyType === 'ec') return `EC ${details.namedCurve ?? '?'}`;
  return `${key.asymmetricKeyType ?? 'unknown'} key`;
}

/**
 * The algorithm a (public or private) key must sign with. Throws ALGORITHM_UNSUPPORTED for any other key type or
 * size (RSA-PSS-only SPKI, Ed25519, RSA-1024, P-224, ...).
 */
export function algorithmForKey(key: KeyObject, role = 'the signing certificate'): AlgorithmSpec {
  const details = key.asymmetricKeyDetails ?? {};
  const spec =
    key.asymmetricKeyType === 'rsa'
      ? ALGORITHMS.find((a) => a.keyType === 'rsa' && a.keySize === details.modulusLength)
      : key.asymmetricKeyType === 'ec'
        ? ALGORITHMS.find((a) => a.keyType === 'ec' && a.namedCurve === details.namedCurve)
        : undefined;
  if (!spec) {
    throw new NotationError(
      'ALGORITHM_UNSUPPORTED',
      `${role} has a ${describeKey(key)} key; Notary Project signatures allow only RSA 2048/3072/4096-bit ` +
        '(PS256/384/512) and EC P-256/P-384/P-521 (ES256/384/512) keys — use a certificate with one of these keys',
    );
  }
  return spec;
}

function signatureOptions(spec: AlgorithmSpec, key: KeyObject) {
  return spec.keyType === 'rsa'
    ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.hashBytes }
    : { key, dsaEncoding: 'ieee-p1363' as const };
}

/** Raw r||s length of an ECDSA signature for the spec's curve. */
function ecSignatureBytes(spec: AlgorithmSpec): number {
  return 2 * Math.ceil(spec.keySize / 8);
}

/**
 * Verifies `signature` over `data`: RSASSA-PSS (MGF1 with the same hash, salt length = hash length) or ECDSA with a
 * raw r||s signature (JWS RFC 7518 §3.4, COSE RFC 9053 §2.1). Never throws: malformed signatures are `false`.
 */
export function verifySignatureBytes(spec: AlgorithmSpec, key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  if (spec.keyType === 'ec' && signature.byteLength !== ecSignatureBytes(spec)) return false;
  try {
    return verify(spec.hash, data, signatureOptions(spec, key), signature);
  } catch {
    return false;
  }
}

/** Signs `data` with the spec's scheme; ECDSA output is raw r||s. */
export function createSignatureBytes(spec: AlgorithmSpec, privateKey: KeyObject, data: Uint8Array): Uint8Array {
  return new Uint8Array(sign(spec.hash, data, signatureOptions(spec, privateKey)));
}
