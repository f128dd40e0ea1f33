/**
 * Ratify v2's view of a verdict, carried beside the Ratify v1 (result 0.2.0) fields so that templates written for
 * either generation read the same decision. Ratify v2's provider answers `{succeeded, artifactReports: [{subject,
 * artifact, results: [{verifierName, description, errorReason}]}]}` and its library templates deny on
 * `succeeded == false`; a verdict without `succeeded` would make them admit everything.
 *
 * One artifact report per signature manifest (the referrer) that was verified, in verdict order, with one result per
 * verifier that reported on it. Reports about no artifact (no signatures found, skipped, no applicable trust policy,
 * no trusted certificate) have no artifact report, as in Ratify v2: `succeeded` alone carries those decisions.
 */
import type { VerifierReport } from './verdict.js';

/** One verifier's result on one artifact (Ratify v2 `results[]`, plus `succeeded` and `verifierType`). */
export interface ArtifactResult {
  readonly verifierName: string;
  readonly verifierType: string;
  readonly succeeded: boolean;
  readonly description: string;
  /** The stable error code (the v1 report's errorReason); empty on success. */
  readonly errorReason: string;
}

/** One verified artifact (a signature manifest) of the subject. */
export interface ArtifactReport {
  /** host/repo@sha256:... of the image. */
  readonly subject: string;
  /** The signature manifest's digest. */
  readonly artifact: string;
  readonly artifactType: string;
  readonly results: readonly ArtifactResult[];
}

/** The Ratify v2 `artifactReports` of a verdict's reports. */
export function artifactReportsOf(reports: readonly VerifierReport[]): readonly ArtifactReport[] {
  const byArtifact = new Map<string, { subject: string; artifact: string; artifactType: string; results: ArtifactResult[] }>();
  for (const r of reports) {
    if (r.referenceDigest === '') continue;
    const key = `${r.subject}\u0000${r.referenceDigest}`;
    let entry = byArtifact.get(key);
    if (entry === undefined) {
      entry = { subject: r.subject, artifact: r.referenceDigest, artifactType: r.artifactType, results: [] };
      byArtifact.set(key, entry);
    }
    entry.results.push({
      verifierName: r.verifierName,
      verifierType: r.verifierType,
      succeeded: r.isSuccess,
      description: r.message,
      errorReason: r.errorReason,
    });
  }
  return [...byArtifact.values()];
}
