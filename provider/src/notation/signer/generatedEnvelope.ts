/**
 * The check of an envelope a Notation plugin generated (plugin specification, SIGNATURE_GENERATOR.ENVELOPE, "Validate
 * the generated signature envelope"): it parses as the requested format, its algorithm is one the spec allows, it
 * verifies with its leaf key, its chain meets the certificate requirements (all of that is `verifyIntegrity`), and its
 * targetArtifact is the descriptor that was asked for — extra annotations allowed, none replaced or dropped.
 */
import { NotationError } from '../errors.js';
import type { Descriptor, EnvelopeMediaType, SignerInfo } from '../types.js';
import { verifyIntegrity } from '../verifier/integrity.js';

function mismatch(who: string, what: string): never {
  throw new NotationError(
    'CONTENT_DESCRIPTOR_MISMATCH',
    `${who} returned an envelope that signs another descriptor: ${what}; the envelope was not used — check the plugin`,
  );
}

/**
 * Checks `bytes` as an envelope of `mediaType` signing `requested`; returns its signer info. Throws the envelope's
 * own NotationError (ENVELOPE_INVALID, SIGNATURE_INVALID, ALGORITHM_*, CERTIFICATE_*) or CONTENT_DESCRIPTOR_MISMATCH.
 */
export function checkGeneratedEnvelope(who: string, mediaType: EnvelopeMediaType, bytes: Uint8Array, requested: Descriptor): SignerInfo {
  const { content, payload } = verifyIntegrity({ mediaType, bytes });
  const got = payload.targetArtifact;
  for (const field of ['mediaType', 'digest', 'size'] as const) {
    if (got[field] !== requested[field]) mismatch(who, `targetArtifact.${field} is ${JSON.stringify(got[field])}, not ${JSON.stringify(requested[field])}`);
  }
  for (const [key, value] of Object.entries(requested.annotations ?? {})) {
    if (got.annotations?.[key] !== value) mismatch(who, `annotation ${JSON.stringify(key)} is not ${JSON.stringify(value)}`);
  }
  return content.signerInfo;
}
