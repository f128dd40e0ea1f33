import type { Verdict } from '../verify/index.js';

interface ValidationLine {
  readonly type: string;
  readonly action: string;
  readonly error?: string;
  readonly note?: string;
}

function validations(ext: Readonly<Record<string, unknown>>): readonly ValidationLine[] {
  return Array.isArray(ext.validations) ? (ext.validations as ValidationLine[]) : [];
}

/** The verdict in plain words: the decision, then per signature which validation failed and why. */
export function formatVerdictText(v: Verdict): string {
  const subject = v.verifierReports[0]?.subject ?? '';
  const lines = [`${v.isSuccess ? 'VERIFIED' : 'NOT VERIFIED'}: ${subject}`];
  for (const r of v.verifierReports) {
    const sig = r.referenceDigest ? `signature ${r.referenceDigest}` : 'verification';
    lines.push(`  ${sig}: ${r.isSuccess ? 'ok' : 'failed'}: ${r.message}`);
    for (const x of validations(r.extensions)) {
      const state = x.action === 'skip' ? 'skipped' : x.error ? (x.action === 'enforce' ? 'FAILED' : 'failed (logged only)') : 'ok';
      lines.push(`    ${x.type.padEnd(19)} ${x.action.padEnd(8)} ${state}${x.error ? `: ${x.error}` : x.note ? ` (${x.note})` : ''}`);
    }
    if (!r.isSuccess && r.remediation) lines.push(`    what to do: ${r.remediation}`);
  }
  return `${lines.join('\n')}\n`;
}
