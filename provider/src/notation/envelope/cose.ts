/**
 * COSE envelope parser (signature-envelope-cose.md): COSE_Sign1_Tagged (CBOR tag 18) only, protected header a
 * serialized map with int / text labels, alg as a COSE int, content type label 3, crit label 2, signed attributes
 * under text labels with CBOR tag 1 times; unprotected x5chain (label 33, array of DER byte strings, leaf first),
 * io.cncf.notary.signingAgent and io.cncf.notary.timestampSignature. Unknown unprotected labels are ignored, as
 * notation-core-go does. The signature covers Sig_structure ["Signature1", protected, h'', payload].
 */
import { algorithmByCoseId } from './algorithms.js';
import { Tag, coseSigStructure, decodeCbor } from './cbor.js';
import { CBOR_TAG, COSE_LABEL, HEADER, LIMITS } from './constants.js';
import { envelopeInvalid } from './encoding.js';
import type { EnvelopeParts } from './integrity.js';
import type { ProtectedHeaderView } from './signedAttributes.js';

const WHERE = 'COSE envelope';

type HeaderMap = ReadonlyMap<number | string, unknown>;

function isBytes(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array;
}

/** A header_map: a CBOR map whose labels are integers or text (RFC 9052 §3). */
function headerMap(value: unknown, where: string): HeaderMap {
  if (!(value instanceof Map)) envelopeInvalid(where, 'must be a CBOR map');
  for (const label of (value as Map<unknown, unknown>).keys()) {
    if (!(typeof label === 'string' || (typeof label === 'number' && Number.isSafeInteger(label)))) {
      envelopeInvalid(where, 'has a label that is neither an integer nor a text string');
    }
  }
  return value as HeaderMap;
}

function protectedView(header: HeaderMap): ProtectedHeaderView {
  return {
    format: 'COSE',
    crit: header.get(COSE_LABEL.crit),
    contentType: header.get(COSE_LABEL.contentType),
    get: (name) => header.get(name),
    has: (name) => header.has(name),
    // text labels are never registered COSE parameters (those are integers)
    isRegistered: () => false,
    readTime: (value) => (value instanceof Date && !Number.isNaN(value.getTime()) ? value : undefined),
    timeEncoding: 'a CBOR tag 1 epoch time',
  };
}

function certificateChain(value: unknown): Uint8Array[] {
  const where = `${WHERE}: unprotected x5chain (label 33)`;
  if (value === undefined) envelopeInvalid(WHERE, 'the unprotected header has no certificate chain (x5chain, label 33)');
  if (!Array.isArray(value) || value.length === 0) envelopeInvalid(where, 'must be a non-empty array of DER byte strings');
  if (value.length > LIMITS.certificates) envelopeInvalid(where, `has more than ${LIMITS.certificates} certificates`);
  return value.map((cert: unknown, i) => {
    if (!isBytes(cert) || cert.byteLength === 0) envelopeInvalid(`${where}[${i}]`, 'must be a non-empty byte string');
    return new Uint8Array(cert);
  });
}

/** Parses a COSE_Sign1_Tagged envelope's structure; semantic checks and the signature check happen in verifyParts. */
export function parseCose(bytes: Uint8Array): EnvelopeParts {
  const first = bytes[0];
  if (first === undefined) envelopeInvalid(WHERE, 'is empty');
  if (first >> 5 !== 6) envelopeInvalid(WHERE, 'is not COSE_Sign1_Tagged: the CBOR item is untagged (tag 18 is required)');
  if (first !== 0xc0 + CBOR_TAG.coseSign1) {
    envelopeInvalid(WHERE, 'is not COSE_Sign1_Tagged: its CBOR tag is not 18 (COSE_Sign and other COSE structures are not supported)');
  }
  const root = decodeCbor(bytes, WHERE);
  const message: unknown = root instanceof Tag ? root.value : undefined;
  if (!Array.isArray(message) || message.length !== 4) envelopeInvalid(WHERE, 'COSE_Sign1 must be an array of 4 items');
  const [protectedBytes, unprotectedValue, payload, signature] = message as [unknown, unknown, unknown, unknown];

  if (!isBytes(protectedBytes)) envelopeInvalid(WHERE, 'the protected header must be a byte string');
  const protectedWhere = `${WHERE}: protected header`;
  const protectedHeader =
    protectedBytes.byteLength === 0 ? new Map() : headerMap(decodeCbor(protectedBytes, protectedWhere), protectedWhere);
  const unprotected = headerMap(unprotectedValue, `${WHERE}: unprotected header`);
  if (unprotected.has(COSE_LABEL.crit)) envelopeInvalid(WHERE, 'crit (label 2) is not allowed in the unprotected header');
  if (payload === null) envelopeInvalid(WHERE, 'has a detached payload, which Notary Project signatures do not use');
  if (!isBytes(payload)) envelopeInvalid(WHERE, 'the payload must be a byte string');
  if (!isBytes(signature) || signature.byteLength === 0) envelopeInvalid(WHERE, 'the signature must be a non-empty byte string');

  const signingAgent = unprotected.get(HEADER.signingAgent);
  if (signingAgent !== undefined && typeof signingAgent !== 'string') {
    envelopeInvalid(`${WHERE}: unprotected "${HEADER.signingAgent}"`, 'must be a text string');
  }
  const timestampSignature = unprotected.get(HEADER.timestampSignature);
  if (timestampSignature !== undefined && !isBytes(timestampSignature)) {
    envelopeInvalid(`${WHERE}: unprotected "${HEADER.timestampSignature}"`, 'must be a byte string');
  }
  const alg = protectedHeader.get(COSE_LABEL.alg);
  return {
    view: protectedView(protectedHeader),
    alg,
    algorithm: algorithmByCoseId(alg),
    signingInput: coseSigStructure(protectedBytes, payload),
    signature: new Uint8Array(signature),
    certificateChain: certificateChain(unprotected.get(COSE_LABEL.x5chain)),
    payload: new Uint8Array(payload),
    ...(signingAgent !== undefined ? { signingAgent } : {}),
    ...(timestampSignature !== undefined ? { timestampSignature: new Uint8Array(timestampSignature) } : {}),
  };
}
