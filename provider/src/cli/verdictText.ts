import type { Verdict, VerifierReport } from '../verify/index.js';

interface ValidationLine {
  readonly type: string;
  readonly action: string;
  readonly error?: string;
  readonly note?: string;
}

function validations(ext: Readonly<Record<string, unknown>>): readonly ValidationLine[] {
  return Array.isArray(ext.validations) ? (ext.validations as ValidationLine[]) : [];
}

/** The validation that decided a failed signature (the first enforced failure), if any. */
function failedValidation(r: VerifierReport): string | undefined {
  return validations(r.extensions).find((x) => x.error !== undefined && x.action === 'enforce')?.type;
}

/** How the policy turned the signatures' outcomes into the decision, e.g. "1 of 2 signatures verified; one is enough". */
function policyLine(v: Verdict): string | undefined {
  const signatures = v.verifierReports.filter((r) => r.referenceDigest !== '');
  const mode = signatures[0]?.extensions.verificationPolicy;
  if (mode !== 'any' && mode !== 'all') return undefined;
  const verified = signatures.filter((r) => r.isSuccess).length;
  const rule = mode === 'any' ? 'one is enough' : 'all must verify';
  return `verification policy ${mode}: ${verified} of ${signatures.length} signature${signatures.length === 1 ? '' : 's'} verified; ${rule}`;
}

function outcome(r: VerifierReport): string {
  if (r.isSuccess) return 'verified';
  const step = failedValidation(r);
  return `NOT verified (${[r.errorReason, step ? `failed ${step}` : ''].filter(Boolean).join(', ')})`;
}

/**
 * The verdict in plain words: the decision, how the verification policy reached it, then every signature found with
 * its own outcome (digest, verified or not, the failing validation and why), so a pass never hides an untrusted
 * signature beside the trusted one.
 */
export function formatVerdictText(v: Verdict): string {
  const subject = v.verifierReports[0]?.subject ?? '';
  const lines = [`${v.isSuccess ? 'VERIFIED' : 'NOT VERIFIED'}: ${subject}`];
  const policy = policyLine(v);
  if (policy) lines.push(`  ${policy}`);
  for (const r of v.verifierReports) {
    const sig = r.referenceDigest ? `signature ${r.referenceDigest}` : 'verification';
    lines.push(`  ${sig}: ${outcome(r)}: ${r.message}`);
    for (const x of validations(r.extensions)) {
      const state = x.action === 'skip' ? 'skipped' : x.error ? (x.action === 'enforce' ? 'FAILED' : 'failed (logged only)') : 'ok';
      lines.push(`    ${x.type.padEnd(19)} ${x.action.padEnd(8)} ${state}${x.error ? `: ${x.error}` : x.note ? ` (${x.note})` : ''}`);
    }
    if (!r.isSuccess && r.remediation) lines.push(`    what to do: ${r.remediation}`);
  }
  return `${lines.join('\n')}\n`;
}
