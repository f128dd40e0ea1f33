/**
 * Notary Project signature envelopes (JWS and COSE): parse untrusted bytes, then verify integrity (signature with the
 * leaf certificate's key, algorithm, signed attributes, crit, payload content type). Certificate-chain rules are not
 * checked here (see ../x509).
 */
import { NotationError } from '../errors.js';
import { MEDIA_TYPE_COSE, MEDIA_TYPE_JWS, type EnvelopeContent, type EnvelopeMediaType } from '../types.js';
import { LIMITS } from './constants.js';
import { parseCose } from './cose.js';
import { envelopeInvalid } from './encoding.js';
import { verifyParts, type EnvelopeParts } from './integrity.js';
import { parseJws } from './jws.js';

export { ALGORITHMS, algorithmForKey, createSignatureBytes, verifySignatureBytes, type AlgorithmSpec } from './algorithms.js';
export { Tag, coseSigStructure, encodeCbor } from './cbor.js';
export { CBOR_TAG, COSE_LABEL, HEADER, JWS_HEADER } from './constants.js';

export interface ParsedEnvelope {
  readonly mediaType: EnvelopeMediaType;
  /** Integrity: verifies the signature with the leaf certificate's key and validates all signed attributes. */
  verify(): EnvelopeContent;
}

class Envelope implements ParsedEnvelope {
  #result: { content: EnvelopeContent } | { error: unknown } | undefined;

  constructor(
    readonly mediaType: EnvelopeMediaType,
    private readonly parts: EnvelopeParts,
  ) {}

  /** Verification is deterministic, so its outcome (content or error) is computed once. */
  verify(): EnvelopeContent {
    if (!this.#result) {
      try {
        this.#result = { content: verifyParts(this.parts) };
      } catch (error) {
        this.#result = { error };
      }
    }
    if ('error' in this.#result) throw this.#result.error;
    return this.#result.content;
  }
}

/**
 * Parses an envelope by its media type. Throws NotationError ENVELOPE_UNSUPPORTED for a media type other than
 * application/jose+json and application/cose, and ENVELOPE_INVALID for malformed input or input over the bounds.
 */
export function parseEnvelope(mediaType: string, bytes: Uint8Array): ParsedEnvelope {
  if (mediaType !== MEDIA_TYPE_JWS && mediaType !== MEDIA_TYPE_COSE) {
    throw new NotationError(
      'ENVELOPE_UNSUPPORTED',
      `signature envelope media type ${JSON.stringify(mediaType)} is not supported (expected "${MEDIA_TYPE_JWS}" or ` +
        `"${MEDIA_TYPE_COSE}"); sign the artifact with notation or signgate`,
    );
  }
  const format = mediaType === MEDIA_TYPE_JWS ? 'JWS' : 'COSE';
  if (bytes.byteLength > LIMITS.envelopeBytes) {
    envelopeInvalid(`${format} envelope`, `is ${bytes.byteLength} bytes, more than the ${LIMITS.envelopeBytes}-byte limit`);
  }
  return new Envelope(mediaType, mediaType === MEDIA_TYPE_JWS ? parseJws(bytes) : parseCose(bytes));
}
