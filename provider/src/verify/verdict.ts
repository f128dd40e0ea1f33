import {
  ARTIFACT_TYPE_SIGNATURE,
  firstLoggedFailure,
  type NotationError,
  type VerificationOutcome,
} from '../notation/index.js';
import { artifactReportsOf, type ArtifactReport } from './artifactReports.js';
import type { ArtifactVerification, SignatureVerification } from './executor.js';
import { remediationFor } from './remediation.js';

/** One verifier's report on one signature (Ratify result version 0.2.0 shape, with both name spellings). */
export interface VerifierReport {
  readonly subject: string;
  readonly isSuccess: boolean;
  readonly name: string;
  readonly verifierName: string;
  readonly type: string;
  readonly verifierType: string;
  readonly referenceDigest: string;
  readonly artifactType: string;
  readonly message: string;
  readonly errorReason: string;
  readonly remediation: string;
  readonly extensions: Readonly<Record<string, unknown>>;
}

/**
 * The verify item value of the external data contract (DESIGN.md): Ratify v1's result 0.2.0 (`isSuccess`,
 * `verifierReports`) plus Ratify v2's view of the same decision (`succeeded`, always equal to `isSuccess`, and
 * `artifactReports`), so templates of either generation read it and none can fail open.
 */
export interface Verdict {
  readonly version: '0.2.0';
  readonly isSuccess: boolean;
  readonly succeeded: boolean;
  readonly traceID: string;
  readonly timestamp: string;
  readonly verifierReports: readonly VerifierReport[];
  readonly artifactReports: readonly ArtifactReport[];
}

/** The one way a verdict is made: `succeeded` and `artifactReports` are derived here, never set on their own. */
export function makeVerdict(decision: {
  readonly isSuccess: boolean;
  readonly traceID: string;
  readonly now: Date;
  readonly verifierReports: readonly VerifierReport[];
}): Verdict {
  return {
    version: '0.2.0',
    isSuccess: decision.isSuccess,
    succeeded: decision.isSuccess,
    traceID: decision.traceID,
    timestamp: decision.now.toISOString(),
    verifierReports: decision.verifierReports,
    artifactReports: artifactReportsOf(decision.verifierReports),
  };
}

export interface VerdictContext {
  /** host/repo@sha256:... */
  readonly subject: string;
  readonly traceID: string;
  readonly now: Date;
  /** The configured verifier's name (Ratify's `name`), default "notation". */
  readonly verifierName?: string;
  /** The all/any mode the verdict was decided under; recorded in each report's `extensions.verificationPolicy`. */
  readonly verificationPolicy?: 'all' | 'any';
}

const VERIFIER_TYPE = 'notation';

/** One report of the verifier `ctx` names, on `ctx.subject` (defaults: no artifact, no error). */
export function report(ctx: VerdictContext, fields: Partial<VerifierReport> & Pick<VerifierReport, 'isSuccess' | 'message'>): VerifierReport {
  const name = ctx.verifierName ?? VERIFIER_TYPE;
  const { extensions = {}, ...rest } = fields;
  return {
    subject: ctx.subject,
    name,
    verifierName: name,
    type: VERIFIER_TYPE,
    verifierType: VERIFIER_TYPE,
    referenceDigest: '',
    artifactType: ARTIFACT_TYPE_SIGNATURE,
    errorReason: '',
    remediation: '',
    ...rest,
    extensions: ctx.verificationPolicy ? { ...extensions, verificationPolicy: ctx.verificationPolicy } : extensions,
  };
}

function failure(error: NotationError): Pick<VerifierReport, 'message' | 'errorReason' | 'remediation'> {
  return { message: error.message, errorReason: error.code, remediation: remediationFor(error.code) };
}

function outcomeExtensions(outcome: VerificationOutcome): Record<string, unknown> {
  const info = outcome.content?.signerInfo;
  const leaf = outcome.certificateChain?.[0];
  return {
    trustPolicy: outcome.statement,
    verificationLevel: outcome.level,
    ...(info ? { signingScheme: info.signingScheme, signatureAlgorithm: info.signatureAlgorithm } : {}),
    ...(leaf ? { signer: leaf.subject, issuer: leaf.issuer } : {}),
    ...(info?.signingTime ? { signingTime: info.signingTime.toISOString() } : {}),
    ...(info?.authenticSigningTime ? { authenticSigningTime: info.authenticSigningTime.toISOString() } : {}),
    ...(info?.expiry ? { expiry: info.expiry.toISOString() } : {}),
    ...(outcome.certificateChain?.length
      ? { certificateNotAfter: new Date(Math.min(...outcome.certificateChain.map((c) => c.notAfter.getTime()))).toISOString() }
      : {}),
    ...(outcome.revocationValidUntil ? { revocationValidUntil: outcome.revocationValidUntil.toISOString() } : {}),
    validations: outcome.results.map((r) => ({
      type: r.type,
      action: r.action,
      ...(r.error ? { error: r.error.message, code: r.error.code } : {}),
      ...(r.note ? { note: r.note } : {}),
    })),
  };
}

function signatureReport(ctx: VerdictContext, s: SignatureVerification): VerifierReport {
  const { outcome } = s;
  const logged = firstLoggedFailure(outcome);
  const base = {
    referenceDigest: s.manifest.descriptor.digest,
    extensions: outcomeExtensions(outcome),
  };
  if (outcome.error) return report(ctx, { ...base, isSuccess: false, ...failure(outcome.error) });
  const message = logged?.error
    ? `signature verified; logged failure (${logged.type}): ${logged.error.message}`
    : 'signature verified';
  return report(ctx, { ...base, isSuccess: true, message });
}

/** Turns an artifact verification into the verdict Gatekeeper templates read. */
export function toVerdict(result: ArtifactVerification, ctx: VerdictContext): Verdict {
  const made = (isSuccess: boolean, verifierReports: readonly VerifierReport[]): Verdict =>
    makeVerdict({ isSuccess, traceID: ctx.traceID, now: ctx.now, verifierReports });
  switch (result.kind) {
    case 'skipped':
      return made(true, [
        report(ctx, {
          isSuccess: true,
          message: `verification skipped: trust policy statement "${result.statement.name}" has level skip`,
          extensions: { trustPolicy: result.statement.name, verificationLevel: 'skip' },
        }),
      ]);
    case 'discovery-failed':
      return made(false, [
        report(ctx, { isSuccess: false, ...failure(result.error), extensions: { trustPolicy: result.statement.name } }),
      ]);
    default:
      return made(result.kind === 'verified', result.signatures.map((s) => signatureReport(ctx, s)));
  }
}
