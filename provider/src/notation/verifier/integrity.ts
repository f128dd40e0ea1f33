import { parseEnvelope } from '../envelope/index.js';
import { NotationError } from '../errors.js';
import { parsePayload, sameContent } from '../payload.js';
import type { Descriptor, EnvelopeContent, Payload } from '../types.js';
import { parseCertificate, validateCodeSigningCertChain, type Certificate } from '../x509/index.js';

export interface IntegrityEvidence {
  readonly content: EnvelopeContent;
  readonly payload: Payload;
  readonly certificateChain: readonly Certificate[];
}

/**
 * Integrity (always enforced): the envelope parses, its signature verifies with the leaf key, its signed attributes
 * and crit are valid, the payload decodes, and the certificate chain follows the Notary Project certificate rules.
 */
export function verifyIntegrity(envelope: { readonly mediaType: string; readonly bytes: Uint8Array }): IntegrityEvidence {
  const content = parseEnvelope(envelope.mediaType, envelope.bytes).verify();
  const payload = parsePayload(content.payload.content);
  const certificateChain = content.signerInfo.certificateChain.map((der) => parseCertificate(der));
  validateCodeSigningCertChain(certificateChain);
  return { content, payload, certificateChain };
}

/**
 * The payload binding (reported as integrity, checked after the other steps as notation does): the signed
 * targetArtifact is the subject the registry resolved, and every required user metadata entry is present.
 */
export function verifyPayloadBinding(
  payload: Payload,
  subject: Descriptor,
  artifactReference: string,
  userMetadata: Readonly<Record<string, string>> | undefined,
): void {
  const target = payload.targetArtifact;
  if (!sameContent(target, subject)) {
    throw new NotationError(
      'CONTENT_DESCRIPTOR_MISMATCH',
      `content descriptor mismatch: the signature was made for ${target.digest} (${target.mediaType}, ${target.size} bytes) ` +
        `but ${artifactReference} resolved to ${subject.digest} (${subject.mediaType}, ${subject.size} bytes); ` +
        'the signature belongs to other content — sign this digest',
    );
  }
  for (const [key, value] of Object.entries(userMetadata ?? {})) {
    if (target.annotations?.[key] !== value) {
      throw new NotationError(
        'USER_METADATA_MISMATCH',
        `unable to find specified metadata in the signature of ${artifactReference}: ${JSON.stringify(key)}=${JSON.stringify(value)} ` +
          'is required but absent; sign with this metadata or drop the requirement',
      );
    }
  }
}
