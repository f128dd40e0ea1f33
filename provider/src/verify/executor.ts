import {
  NotationError,
  selectStatement,
  verifySignature,
  type Descriptor,
  type TrustPolicyDocument,
  type TrustPolicyStatement,
  type RevocationInput,
  type TrustStore,
  type VerificationOutcome,
} from '../notation/index.js';
import { OciError } from '../oci/index.js';

/** A signature manifest as discovered (OCI 1.1, OCI 1.0 or legacy artifact form): its descriptor and its blobs. */
export interface SignatureManifestRef {
  readonly descriptor: Descriptor;
  readonly blobs: readonly Descriptor[];
}

/** Where signatures come from: an OCI image layout or a registry. */
export interface SignatureSource {
  signatureManifests(subject: Descriptor): Promise<readonly SignatureManifestRef[]>;
  fetchBlob(descriptor: Descriptor, maxBytes: number): Promise<Uint8Array>;
}

export interface VerifyArtifactInput {
  readonly source: SignatureSource;
  readonly subject: Descriptor;
  /** host/repo@digest: selects the trust policy statement and names the artifact in messages. */
  readonly artifactReference: string;
  readonly trustPolicy: TrustPolicyDocument;
  readonly trustStore: TrustStore;
  readonly clock: () => Date;
  readonly userMetadata?: Readonly<Record<string, string>>;
  /** Signatures tried at most (notation's MaxSignatureAttempts); default 50. */
  readonly maxSignatures?: number;
  /** Envelope size cap in bytes; default 1 MiB. */
  readonly maxEnvelopeBytes?: number;
  /**
   * `any` (default, notation's rule): the artifact passes when one signature verifies (the first maxSignatures found
   * are tried). `all`: every signature found must verify (more than maxSignatures fails closed). Either way every
   * signature tried is verified and reported, so a pass never hides an untrusted signature beside the trusted one.
   */
  readonly policy?: 'all' | 'any';
  /** Revocation checking (OCSP, CRLs); absent: revocation is recorded as not checked. */
  readonly revocation?: RevocationInput;
}

export interface SignatureVerification {
  readonly manifest: SignatureManifestRef;
  readonly outcome: VerificationOutcome;
}

export type ArtifactVerification =
  | { readonly kind: 'skipped'; readonly statement: TrustPolicyStatement }
  /** Discovery decided the outcome: no signatures at all, or more than `all` can check. */
  | { readonly kind: 'discovery-failed'; readonly statement: TrustPolicyStatement; readonly error: NotationError }
  | {
      readonly kind: 'verified' | 'failed';
      readonly statement: TrustPolicyStatement;
      /** Every signature tried, in discovery order, each with its own outcome. */
      readonly signatures: readonly SignatureVerification[];
    };

const ENVELOPE_TYPES = new Set(['application/jose+json', 'application/cose']);

function integrityFailure(statement: TrustPolicyStatement, error: NotationError): VerificationOutcome {
  return {
    statement: statement.name,
    level: statement.signatureVerification.level,
    results: [{ type: 'integrity', action: 'enforce', error }],
    error,
  };
}

/**
 * Verifies an artifact as notation does: select the statement (throws TRUST_POLICY_NOT_APPLICABLE), return early for
 * level skip without reading anything, discover the signatures, verify each one, and pass when one passes (policy
 * `any`) or only when all pass (policy `all`).
 */
export async function verifyArtifact(input: VerifyArtifactInput): Promise<ArtifactVerification> {
  const statement = selectStatement(input.trustPolicy, input.artifactReference);
  if (statement.signatureVerification.level === 'skip') return { kind: 'skipped', statement };
  const manifests = await input.source.signatureManifests(input.subject);
  if (manifests.length === 0) {
    const error = new NotationError(
      'SIGNATURE_NOT_FOUND',
      `no signatures found: no signature is associated with "${input.artifactReference}", make sure the artifact was signed successfully ` +
        '(notation sign / signgate sign)',
    );
    return { kind: 'discovery-failed', statement, error };
  }
  const max = input.maxSignatures ?? 50;
  const all = input.policy === 'all';
  if (all && manifests.length > max) {
    const error = new NotationError(
      'TOO_MANY_SIGNATURES',
      `"${input.artifactReference}" has ${manifests.length} signatures, more than the ${max} a policy of "all" verifies; ` +
        'remove stale signatures from the repository',
    );
    return { kind: 'discovery-failed', statement, error };
  }
  const signatures: SignatureVerification[] = [];
  let unread: { readonly error: unknown } | undefined;
  for (const manifest of manifests.slice(0, max)) {
    try {
      signatures.push({ manifest, outcome: await verifyOne(input, statement, manifest) });
    } catch (error) {
      // an envelope that cannot be read (an oci error: transport, digest, size) means "could not decide": at once under
      // `all`; under `any` only when no other signature verifies, so an unreadable extra signature cannot block an
      // image that a trusted one admits. Anything else is a fault and propagates.
      if (all || !(error instanceof OciError)) throw error;
      unread ??= { error };
      signatures.push({ manifest, outcome: unreadable(input, statement, manifest, error) });
    }
  }
  const passed = (s: SignatureVerification): boolean => !s.outcome.error;
  const decided = all ? signatures.every(passed) : signatures.some(passed);
  if (!decided && unread) throw unread.error;
  return { kind: decided ? 'verified' : 'failed', statement, signatures };
}

function unreadable(input: VerifyArtifactInput, statement: TrustPolicyStatement, manifest: SignatureManifestRef, error: OciError): VerificationOutcome {
  return integrityFailure(
    statement,
    new NotationError(
      'ENVELOPE_INVALID',
      `signature manifest ${manifest.descriptor.digest} of ${input.artifactReference}: its envelope could not be read (${error.message}); ` +
        'it does not count, another signature verified',
    ),
  );
}

async function verifyOne(
  input: VerifyArtifactInput,
  statement: TrustPolicyStatement,
  manifest: SignatureManifestRef,
): Promise<VerificationOutcome> {
  const where = `signature manifest ${manifest.descriptor.digest} of ${input.artifactReference}`;
  const blob = manifest.blobs.length === 1 ? manifest.blobs[0] : undefined;
  if (!blob) {
    return integrityFailure(
      statement,
      new NotationError(
        'ENVELOPE_INVALID',
        `${where} has ${manifest.blobs.length} layers; a Notation signature manifest has exactly one (the envelope)`,
      ),
    );
  }
  if (!ENVELOPE_TYPES.has(blob.mediaType)) {
    return integrityFailure(
      statement,
      new NotationError(
        'ENVELOPE_UNSUPPORTED',
        `${where}: signature envelope media type "${blob.mediaType}" is not supported; ` +
          'expected application/jose+json or application/cose',
      ),
    );
  }
  // transport and digest errors propagate: they mean "could not decide", never a verdict
  const bytes = await input.source.fetchBlob(blob, input.maxEnvelopeBytes ?? 1024 * 1024);
  return verifySignature({
    envelope: { mediaType: blob.mediaType, bytes },
    subject: input.subject,
    artifactReference: input.artifactReference,
    statement,
    trustStore: input.trustStore,
    clock: input.clock,
    ...(input.userMetadata ? { userMetadata: input.userMetadata } : {}),
    ...(input.revocation ? { revocation: input.revocation } : {}),
  });
}
