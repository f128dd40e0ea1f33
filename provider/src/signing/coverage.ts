/**
 * Does a signature by this rule's certificate already cover a manifest (and, for Default, its tag)? Signature
 * manifests whose chain thumbprint annotation names the rule's leaf are candidates; each candidate's envelope is then
 * verified by notation's own verifier against a trust store holding only the rule's chain root, and counts when the
 * signing certificate is the rule's leaf and, for Default, the signed payload's org.opencontainers.image.ref.name is
 * the tag. An annotation alone never counts: a forged one would only stop signing, so it is verified, not trusted.
 */
import { createHash } from 'node:crypto';
import { createMemoryTrustStore, parseTrustPolicyDocument, readTrustedCertificates, verifySignature, type TrustPolicyStatement, type TrustStore, type VerificationOutcome } from '../notation/index.js';
import { ANNOTATION_REF_NAME, formatRepository, type Descriptor, type Repository, type SignatureManifest } from '../oci/index.js';

export const ANNOTATION_THUMBPRINTS = 'io.cncf.notary.x509chain.thumbprint#S256';
const MAX_ENVELOPE_BYTES = 1024 * 1024;
const MAX_CANDIDATES = 16;

/** The certificate a rule signs with, as coverage checks it. */
export interface SignerIdentity {
  /** SHA-256 hex of each certificate, leaf first (the signature manifest's thumbprint annotation). */
  readonly thumbprints: readonly string[];
  /** strict: does a signature of the rule cover an image now (coverage)? */
  readonly statement: TrustPolicyStatement;
  /**
   * permissive: integrity and authenticity enforced, expiry, timestamp and revocation only logged: was a signature
   * made with the rule's key, whatever its age (removal)?
   */
  readonly authorship: TrustPolicyStatement;
  readonly trustStore: TrustStore;
}

export function thumbprintsOf(chain: readonly Uint8Array[]): string[] {
  return chain.map((der) => createHash('sha256').update(der).digest('hex'));
}

/** The identity of `chain` (DER, leaf first): a strict trust policy that trusts only its root. */
export function signerIdentity(rule: string, chain: readonly Uint8Array[]): SignerIdentity {
  const root = chain[chain.length - 1] as Uint8Array;
  const store = `rule-${rule}`.slice(0, 60);
  const statement = (level: 'strict' | 'permissive'): TrustPolicyStatement =>
    parseTrustPolicyDocument({
      version: '1.0',
      trustPolicies: [{ name: store, registryScopes: ['*'], signatureVerification: { level }, trustStores: [`ca:${store}`], trustedIdentities: ['*'] }],
    }).trustPolicies[0] as TrustPolicyStatement;
  return {
    thumbprints: thumbprintsOf(chain),
    statement: statement('strict'),
    authorship: statement('permissive'),
    trustStore: createMemoryTrustStore([{ type: 'ca', name: store, certificates: readTrustedCertificates(root, `the root of SigningRule ${rule}'s chain`) }]),
  };
}

function namesLeaf(annotations: Readonly<Record<string, string>> | undefined, leaf: string): boolean {
  const raw = annotations?.[ANNOTATION_THUMBPRINTS];
  if (raw === undefined || raw.length > 4096) return false;
  try {
    const list: unknown = JSON.parse(raw);
    return Array.isArray(list) && list[0] === leaf;
  } catch {
    return false;
  }
}

/**
 * True when a signature verified against `identity` covers `subject` (and `tag`, when given). Registry errors
 * propagate (the caller retries); an envelope that does not verify simply does not count.
 */
export async function isCovered(
  repo: Repository,
  subject: Descriptor,
  tag: string | undefined,
  identity: SignerIdentity,
  clock: () => Date,
  signal?: AbortSignal,
): Promise<boolean> {
  const leaf = identity.thumbprints[0];
  if (leaf === undefined) return false;
  const candidates = (await repo.signatureManifests(subject, signal === undefined ? {} : { signal })).filter((s) => namesLeaf(s.descriptor.annotations, leaf)).slice(0, MAX_CANDIDATES);
  for (const candidate of candidates) {
    const outcome = await signedByRule(repo, subject, candidate, identity, identity.statement, clock, signal);
    if (outcome === undefined) continue;
    if (tag === undefined || outcome.payload?.targetArtifact.annotations?.[ANNOTATION_REF_NAME] === tag) return true;
  }
  return false;
}

/**
 * The outcome of verifying `signature`'s envelope (a signature of `subject`) under `statement` (the rule's root only)
 * when it passes and its signing certificate is the rule's leaf; undefined otherwise. Registry errors propagate.
 */
export async function signedByRule(
  repo: Repository,
  subject: Descriptor,
  signature: SignatureManifest,
  identity: SignerIdentity,
  statement: TrustPolicyStatement,
  clock: () => Date,
  signal?: AbortSignal,
): Promise<VerificationOutcome | undefined> {
  const blob = signature.blobs[0];
  if (blob === undefined || signature.blobs.length !== 1) return undefined;
  const bytes = await repo.fetchBlob(blob, MAX_ENVELOPE_BYTES, signal === undefined ? {} : { signal });
  const outcome = await verifySignature({
    envelope: { mediaType: blob.mediaType, bytes },
    subject,
    artifactReference: `${formatRepository(repo)}@${subject.digest}`,
    statement,
    trustStore: identity.trustStore,
    clock,
  });
  const leaf = outcome.certificateChain?.[0];
  if (outcome.error !== undefined || leaf === undefined || thumbprintsOf([leaf.raw])[0] !== identity.thumbprints[0]) return undefined;
  return outcome;
}
