import { NotationError } from '../errors.js';
import { validationActions, type TrustPolicyStatement, type ValidationAction } from '../trustpolicy/index.js';
import type { TrustStore } from '../truststore/index.js';
import type { Descriptor } from '../types.js';
import type { Certificate } from '../x509/index.js';
import { verifyAuthenticity, verifyTrustedIdentity } from './authenticity.js';
import { verifyIntegrity, verifyPayloadBinding, type IntegrityEvidence } from './integrity.js';
import type { ValidationName, ValidationResult, VerificationOutcome } from './outcome.js';
import { verifyRevocation, verifyTimestampRevocation, type RevocationInput } from './revocation.js';
import { verifyAuthenticTimestamp, verifyExpiry } from './time.js';

export interface VerifySignatureInput {
  /** The signature blob and its media type (the signature manifest's layer media type). */
  readonly envelope: { readonly mediaType: string; readonly bytes: Uint8Array };
  /** The descriptor the reference resolved to; the payload must name exactly this content. */
  readonly subject: Descriptor;
  /** host/repo@digest, for messages. */
  readonly artifactReference: string;
  /** The statement selected for the artifact (never level skip: callers skip before fetching signatures). */
  readonly statement: TrustPolicyStatement;
  readonly trustStore: TrustStore;
  readonly userMetadata?: Readonly<Record<string, string>>;
  /** The verification time source. */
  readonly clock: () => Date;
  /** Revocation checking; absent: revocation is recorded as not checked. */
  readonly revocation?: RevocationInput;
}

function toNotationError(err: unknown, step: ValidationName): NotationError {
  if (err instanceof NotationError) return err;
  return new NotationError('ENVELOPE_INVALID', `${step} check failed unexpectedly: ${String(err)}`, { cause: err });
}

/**
 * Verifies one signature against one trust policy statement, step by step in the spec's order: integrity,
 * authenticity, trusted identity, expiry, authentic timestamp, revocation, then the payload binding. Every step's
 * result is recorded; processing stops at the first failure whose action is enforce.
 */
export async function verifySignature(input: VerifySignatureInput): Promise<VerificationOutcome> {
  const { statement } = input;
  const actions = validationActions(statement);
  const now = input.clock();
  const results: ValidationResult[] = [];
  const base = { statement: statement.name, level: statement.signatureVerification.level, results };

  let evidence: IntegrityEvidence;
  try {
    evidence = verifyIntegrity(input.envelope);
    results.push({ type: 'integrity', action: 'enforce' });
  } catch (err) {
    const error = toNotationError(err, 'integrity');
    results.push({ type: 'integrity', action: 'enforce', error });
    return { ...base, error };
  }
  const { content, payload, certificateChain } = evidence;
  const { signerInfo } = content;
  const leaf = certificateChain[0] as (typeof certificateChain)[number];
  const found = { ...base, content, payload, certificateChain };
  let revocationValidUntil: Date | undefined;
  const earliest = (d: Date | undefined): void => {
    if (d && (!revocationValidUntil || d < revocationValidUntil)) revocationValidUntil = d;
  };
  const { revocation } = input;
  const tsaRevocation =
    revocation && actions.revocation !== 'skip'
      ? async (tsaChain: readonly Certificate[]): Promise<void> => earliest((await verifyTimestampRevocation(tsaChain, revocation)).validUntil)
      : undefined;

  /** Runs a step under its action; returns the enforced error that must stop processing, if any. */
  async function step(
    type: ValidationName,
    action: ValidationAction,
    run: () => Promise<unknown> | unknown,
  ): Promise<NotationError | undefined> {
    if (action === 'skip') {
      results.push({ type, action });
      return undefined;
    }
    try {
      const note = await run();
      results.push(typeof note === 'string' && note ? { type, action, note } : { type, action });
      return undefined;
    } catch (err) {
      const error = toNotationError(err, type);
      results.push({ type, action, error });
      return action === 'enforce' ? error : undefined;
    }
  }

  const stop =
    (await step('authenticity', actions.authenticity, () =>
      verifyAuthenticity(certificateChain, signerInfo.signingScheme, statement, input.trustStore),
    )) ??
    (await step('trustedIdentity', actions.authenticity, () => {
      verifyTrustedIdentity(leaf, statement);
    })) ??
    (await step('expiry', actions.expiry, () => verifyExpiry(signerInfo, now))) ??
    (await step('authenticTimestamp', actions.authenticTimestamp, () =>
      verifyAuthenticTimestamp(signerInfo, certificateChain, statement, input.trustStore, now, tsaRevocation),
    )) ??
    (await step('revocation', actions.revocation, async () => {
      // An untrusted chain (authenticity failed, only logged) names URLs its maker chose: they are never fetched.
      const trusted = !results.some((r) => r.type === 'authenticity' && r.error);
      const evidence = await verifyRevocation(certificateChain, signerInfo, input.revocation, trusted);
      earliest(evidence.validUntil);
      return evidence.note;
    }));
  const withRevocation = revocationValidUntil ? { ...found, revocationValidUntil } : found;
  if (stop) return { ...withRevocation, error: stop };

  try {
    verifyPayloadBinding(payload, input.subject, input.artifactReference, input.userMetadata);
  } catch (err) {
    const error = toNotationError(err, 'integrity');
    results.push({ type: 'integrity', action: 'enforce', error });
    return { ...withRevocation, error };
  }
  return withRevocation;
}
