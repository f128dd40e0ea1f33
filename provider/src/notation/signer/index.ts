/**
 * The signer: the inverse of ../envelope. Produces JWS or COSE envelopes that notation itself accepts, through the
 * key-signer seam (keySigner.ts); the algorithm comes from the key spec (the same table the parser uses).
 */
import { NotationError } from '../errors.js';
import { MEDIA_TYPE_COSE, MEDIA_TYPE_JWS, type EnvelopeMediaType } from '../types.js';
import { buildCose } from './cose.js';
import { buildJws } from './jws.js';
import { validateSignRequest, type SignRequest } from './request.js';

export { DEFAULT_SIGNING_AGENT, type SignRequest } from './request.js';
export { checkGeneratedEnvelope } from './generatedEnvelope.js';
export { serializePayload } from './payload.js';
export { KEY_SPECS, algorithmForKeySpec, keySpecName, privateKeySigner, type KeySignature, type KeySigner, type KeySpec } from './keySigner.js';
export type { AlgorithmSpec } from '../envelope/index.js';

/**
 * Signs `req.payload`. Throws NotationError SIGN_REQUEST_INVALID for an unusable request, ALGORITHM_UNSUPPORTED for
 * a key outside RSA 2048/3072/4096 and EC P-256/384/521, ALGORITHM_MISMATCH when a key signer's key spec is not its
 * leaf certificate's, and SIGNATURE_INVALID when a key signer's signature does not verify (nothing is returned then).
 */
export async function signEnvelope(req: SignRequest): Promise<{ mediaType: EnvelopeMediaType; envelope: Uint8Array }> {
  if (req.format !== 'jws' && req.format !== 'cose') {
    throw new NotationError('SIGN_REQUEST_INVALID', `cannot sign: format ${JSON.stringify(req.format)} is not "jws" or "cose"`);
  }
  const input = validateSignRequest(req);
  return req.format === 'jws'
    ? { mediaType: MEDIA_TYPE_JWS, envelope: await buildJws(input) }
    : { mediaType: MEDIA_TYPE_COSE, envelope: await buildCose(input) };
}
