/**
 * Envelope integrity, shared by both formats once they are parsed into `EnvelopeParts`: the leaf key decides the
 * algorithm, `alg` must name it, the signature must verify over the format's signing input, and the signed
 * attributes must be valid. Cost: one crypto.verify, plus one key import per distinct leaf certificate.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { NotationError } from '../errors.js';
import type { EnvelopeContent, SignerInfo } from '../types.js';
import { algorithmForKey, describeKey, verifySignatureBytes, type AlgorithmSpec } from './algorithms.js';
import { validateSignedAttributes, type ProtectedHeaderView } from './signedAttributes.js';

/** What a format parser extracts from an envelope; nothing here is trusted yet. */
export interface EnvelopeParts {
  readonly view: ProtectedHeaderView;
  /** The raw `alg` header value, and the table entry it names (undefined when it names none). */
  readonly alg: unknown;
  readonly algorithm: AlgorithmSpec | undefined;
  /** The bytes the signature covers (JWS signing input, COSE Sig_structure). */
  readonly signingInput: Uint8Array;
  readonly signature: Uint8Array;
  /** DER certificates, leaf first, at least one. */
  readonly certificateChain: readonly Uint8Array[];
  readonly payload: Uint8Array;
  readonly signingAgent?: string;
  readonly timestampSignature?: Uint8Array;
}

/**
 * Leaf public keys by certificate DER. Importing a key costs several times a signature check, and the same signing
 * certificates recur across images, so parsed keys are memoized (a pure function of the DER; bounded, LRU).
 */
const leafKeys = new Map<string, KeyObject>();
const LEAF_KEY_CACHE_SIZE = 256;

function leafKey(parts: EnvelopeParts): KeyObject {
  const der = parts.certificateChain[0];
  const where = `${parts.view.format} envelope`;
  if (!der || der[0] !== 0x30) {
    throw new NotationError('CERTIFICATE_INVALID', `${where}: the signing (leaf) certificate is not a DER certificate; re-sign with a valid certificate chain`);
  }
  const id = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('latin1');
  let key = leafKeys.get(id);
  if (key) {
    leafKeys.delete(id);
  } else {
    try {
      key = new X509Certificate(der).publicKey;
    } catch (cause) {
      throw new NotationError(
        'CERTIFICATE_INVALID',
        `${where}: the signing (leaf) certificate does not parse (${(cause as Error).message}); re-sign with a valid certificate chain`,
        { cause },
      );
    }
    if (leafKeys.size >= LEAF_KEY_CACHE_SIZE) leafKeys.delete(leafKeys.keys().next().value as string);
  }
  leafKeys.set(id, key);
  return key;
}

function describeAlg(alg: unknown): string {
  return typeof alg === 'string' || typeof alg === 'number' ? JSON.stringify(alg) : `a ${alg === null ? 'null' : typeof alg} value`;
}

/** Integrity of one parsed envelope; returns its content, or throws a NotationError with a specific code. */
export function verifyParts(parts: EnvelopeParts): EnvelopeContent {
  const where = `${parts.view.format} envelope`;
  if (!parts.algorithm) {
    throw new NotationError(
      'ALGORITHM_UNSUPPORTED',
      `${where}: signature algorithm ${describeAlg(parts.alg)} is not one of PS256, PS384, PS512, ES256, ES384, ES512; ` +
        're-sign with a Notary Project algorithm',
    );
  }
  const key = leafKey(parts);
  const expected = algorithmForKey(key);
  if (expected !== parts.algorithm) {
    throw new NotationError(
      'ALGORITHM_MISMATCH',
      `${where}: the envelope says ${parts.algorithm.name} but the signing certificate's ${describeKey(key)} key requires ` +
        `${expected.name}; the envelope was altered or made by a non-conforming signer — re-sign the artifact`,
    );
  }
  if (!verifySignatureBytes(expected, key, parts.signingInput, parts.signature)) {
    throw new NotationError(
      'SIGNATURE_INVALID',
      `${where}: the ${expected.name} signature does not verify with the signing certificate's key; the payload or signed ` +
        'attributes were altered after signing, or the signature was made with another key — re-sign the artifact',
    );
  }
  const attributes = validateSignedAttributes(parts.view);
  if (parts.payload.byteLength === 0) {
    throw new NotationError('PAYLOAD_INVALID', `${where}: the payload is empty; re-sign the artifact`);
  }
  const signerInfo: SignerInfo = Object.freeze({
    signatureAlgorithm: expected.name,
    signingScheme: attributes.signingScheme,
    ...(attributes.signingTime ? { signingTime: attributes.signingTime } : {}),
    ...(attributes.authenticSigningTime ? { authenticSigningTime: attributes.authenticSigningTime } : {}),
    ...(attributes.expiry ? { expiry: attributes.expiry } : {}),
    certificateChain: Object.freeze([...parts.certificateChain]),
    signature: parts.signature,
    unsignedAttributes: Object.freeze({
      ...(parts.signingAgent !== undefined ? { signingAgent: parts.signingAgent } : {}),
      ...(parts.timestampSignature ? { timestampSignature: parts.timestampSignature } : {}),
    }),
  });
  return Object.freeze({
    signerInfo,
    payload: Object.freeze({ contentType: attributes.contentType, content: parts.payload }),
  });
}
