/**
 * Verifies one resolved subject against one configuration scope: every Verifier runs over the signature manifests of
 * its artifact types under the Policy's all/any mode, and the verdict passes only when every verifier passes. A
 * verifier without trusted certificates fails at once, saying how to add one. Registry and digest errors propagate
 * (they mean "could not decide"); configuration-caused notation errors (no applicable trust policy) are decided fails.
 */
import { ARTIFACT_TYPE_SIGNATURE, NotationError, type RevocationChecker } from '../notation/index.js';
import type { Descriptor, Repository } from '../oci/index.js';
import type { ScopeConfig, VerifierConfig } from '../config/types.js';
import { verifyArtifact } from './executor.js';
import { policyFor } from './policy.js';
import { RegistrySignatureSource } from './registrySource.js';
import { remediationFor } from './remediation.js';
import { bindTag } from './tagBinding.js';
import { makeVerdict, toVerdict, type Verdict, type VerifierReport } from './verdict.js';

export const NO_CERTIFICATE_REASON = 'NO_TRUSTED_CERTIFICATE';

export interface SubjectInput {
  readonly scope: ScopeConfig;
  readonly repository: Repository;
  readonly subject: Descriptor;
  readonly subjectReference: string;
  readonly traceID: string;
  readonly clock: () => Date;
  readonly signal: AbortSignal;
  /** The process's revocation checker (its caches outlive one verification); absent: revocation is not checked. */
  readonly revocation?: RevocationChecker;
  /** The tag the key asks for (tagBinding.ts `requestedTag`): bound by verifiers with verifyTag. */
  readonly tag?: string;
}

function bareReport(subject: string, verifier: VerifierConfig, fields: Pick<VerifierReport, 'message' | 'errorReason' | 'remediation'>): VerifierReport {
  return {
    subject,
    isSuccess: false,
    name: verifier.name,
    verifierName: verifier.name,
    type: verifier.type,
    verifierType: verifier.type,
    referenceDigest: '',
    artifactType: verifier.artifactTypes[0] ?? ARTIFACT_TYPE_SIGNATURE,
    extensions: {},
    ...fields,
  };
}

/** The report of a verifier that holds no trusted certificate: nothing can verify, and the user is told what to add. */
export function noCertificateReport(subject: string, verifier: VerifierConfig): VerifierReport {
  return bareReport(subject, verifier, {
    message:
      `verifier "${verifier.name}" has no trusted certificate, so no signature can verify and every image is refused; ` +
      'add your signing root certificate as a KeyManagementProvider and name it in the Verifier\'s verificationCertStores',
    errorReason: NO_CERTIFICATE_REASON,
    remediation:
      'Add a KeyManagementProvider (spec.type inline, parameters.contentType certificate, parameters.value the PEM of the ' +
      'root certificate that issued your signing certificate) and list it under the Verifier\'s ' +
      'parameters.verificationCertStores.ca.<store name>. With the embedded default configuration, copy the root ' +
      'certificate (PEM) into config/certs/ instead; signgate reloads by itself.',
  });
}

/** Joins per-verifier verdicts: passes only when there is at least one and all pass. */
export function joinVerdicts(verdicts: readonly Verdict[], traceID: string, now: Date): Verdict {
  return makeVerdict({
    isSuccess: verdicts.length > 0 && verdicts.every((v) => v.isSuccess),
    traceID,
    now,
    verifierReports: verdicts.flatMap((v) => v.verifierReports),
  });
}

/** Verdicts for verifiers without certificates, or undefined when every verifier has some. */
export function missingCertificates(scope: ScopeConfig, subject: string, traceID: string, now: Date): Verdict | undefined {
  const empty = scope.verifiers.filter((v) => v.certificateCount === 0);
  if (empty.length === 0) return undefined;
  return makeVerdict({ isSuccess: false, traceID, now, verifierReports: empty.map((v) => noCertificateReport(subject, v)) });
}

export async function verifySubject(input: SubjectInput): Promise<Verdict> {
  const verdicts: Verdict[] = [];
  for (const verifier of input.scope.verifiers) {
    const mode = policyFor(input.scope.policy, verifier.artifactTypes.includes(ARTIFACT_TYPE_SIGNATURE) ? ARTIFACT_TYPE_SIGNATURE : (verifier.artifactTypes[0] ?? ''));
    const ctx = { subject: input.subjectReference, traceID: input.traceID, now: input.clock(), verifierName: verifier.name, verificationPolicy: mode };
    try {
      const result = await verifyArtifact({
        source: new RegistrySignatureSource(input.repository, input.signal, verifier.artifactTypes),
        subject: input.subject,
        artifactReference: input.subjectReference,
        trustPolicy: verifier.trustPolicy,
        trustStore: verifier.trustStore,
        clock: input.clock,
        policy: mode,
        maxEnvelopeBytes: input.scope.store.maxBlobBytes,
        ...(input.revocation ? { revocation: { checker: input.revocation, crls: verifier.crls, signal: input.signal } } : {}),
      });
      const verdict = toVerdict(result, ctx);
      verdicts.push(verifier.verifyTag === true && input.tag !== undefined ? bindTag(verdict, result, input.tag, ctx) : verdict);
    } catch (error) {
      if (!(error instanceof NotationError)) throw error;
      verdicts.push(
        makeVerdict({
          isSuccess: false,
          traceID: input.traceID,
          now: ctx.now,
          verifierReports: [bareReport(input.subjectReference, verifier, { message: error.message, errorReason: error.code, remediation: remediationFor(error.code) })],
        }),
      );
    }
  }
  return joinVerdicts(verdicts, input.traceID, input.clock());
}
