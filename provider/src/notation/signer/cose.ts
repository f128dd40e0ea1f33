/**
 * Builds a COSE_Sign1_Tagged envelope as notation-core-go (go-cose) does: protected header {alg, crit, cty,
 * signingScheme, signingTime | authenticSigningTime, expiry?} with times as CBOR tag 1 integers, maps in canonical key
 * order, the signature over Sig_structure ["Signature1", protected, h'', payload], and an unprotected header with
 * x5chain (label 33), the signing agent and the optional timestamp token.
 */
import { COSE_LABEL, HEADER, Tag, CBOR_TAG, coseSigStructure, encodeCbor } from '../envelope/index.js';
import { MEDIA_TYPE_PAYLOAD } from '../types.js';
import type { SigningInput } from './request.js';

function epoch(date: Date): Tag {
  return new Tag(Math.floor(date.getTime() / 1000), CBOR_TAG.epochTime);
}

export async function buildCose(input: SigningInput): Promise<Uint8Array> {
  const { algorithm } = input.signer;
  const authority = input.signingScheme === 'notary.x509.signingAuthority';
  const crit: string[] = [HEADER.signingScheme];
  if (authority) crit.push(HEADER.authenticSigningTime);
  if (input.expiry) crit.push(HEADER.expiry);
  const header = new Map<number | string, unknown>([
    [COSE_LABEL.alg, algorithm.coseId],
    [COSE_LABEL.crit, crit],
    [COSE_LABEL.contentType, MEDIA_TYPE_PAYLOAD],
    [HEADER.signingScheme, input.signingScheme],
    [authority ? HEADER.authenticSigningTime : HEADER.signingTime, epoch(input.signingTime)],
  ]);
  if (input.expiry) header.set(HEADER.expiry, epoch(input.expiry));

  const protectedBytes = encodeCbor(header);
  const { signature, certificateChain } = await input.signer.sign(coseSigStructure(protectedBytes, input.payload));
  const timestamp = input.timestamper ? await input.timestamper(signature) : undefined;

  const unprotected = new Map<number | string, unknown>([[COSE_LABEL.x5chain, certificateChain.map((der) => new Uint8Array(der))]]);
  if (input.signingAgent) unprotected.set(HEADER.signingAgent, input.signingAgent);
  if (timestamp) unprotected.set(HEADER.timestampSignature, new Uint8Array(timestamp));
  return encodeCbor(new Tag([protectedBytes, unprotected, input.payload, signature], CBOR_TAG.coseSign1));
}
