/**
 * The Ratify v2 compatibility view of every verdict (issue 10, section 5): `succeeded` equals `isSuccess`, and
 * `artifactReports` lists each verified signature manifest with one result per verifier; cached (re-stamped) verdicts
 * carry both, byte for byte.
 */
import assert from 'node:assert/strict';
import { makeVerdict, stampVerdict, verdictJson, type Verdict, type VerifierReport } from '../../../provider/src/verify/index.js';

const SUBJECT = `registry.example/app@sha256:${'a'.repeat(64)}`;
const SIG1 = `sha256:${'1'.repeat(64)}`;
const SIG2 = `sha256:${'2'.repeat(64)}`;

function report(fields: Partial<VerifierReport> & Pick<VerifierReport, 'isSuccess' | 'referenceDigest'>): VerifierReport {
  return {
    subject: SUBJECT,
    name: 'notation',
    verifierName: 'notation',
    type: 'notation',
    verifierType: 'notation',
    artifactType: 'application/vnd.cncf.notary.signature',
    message: fields.isSuccess ? 'signature verified' : 'untrusted signer',
    errorReason: fields.isSuccess ? '' : 'UNTRUSTED_SIGNER',
    remediation: '',
    extensions: {},
    ...fields,
  };
}

const verdict = (isSuccess: boolean, reports: readonly VerifierReport[]): Verdict =>
  makeVerdict({ isSuccess, traceID: 'trace-1', now: new Date('2025-11-01T00:00:00Z'), verifierReports: reports });

describe('verify/verdict: the Ratify v2 view (succeeded, artifactReports)', () => {
  it('succeeded always equals isSuccess', () => {
    for (const ok of [true, false]) {
      const v = verdict(ok, []);
      assert.equal(v.succeeded, ok);
      assert.equal(v.isSuccess, ok);
    }
  });

  it('one artifact report per signature manifest, one result per verifier, in verdict order', () => {
    const v = verdict(true, [
      report({ isSuccess: true, referenceDigest: SIG1 }),
      report({ isSuccess: false, referenceDigest: SIG2 }),
      report({ isSuccess: true, referenceDigest: SIG1, name: 'second', verifierName: 'second' }),
    ]);
    assert.deepEqual(v.artifactReports, [
      {
        subject: SUBJECT,
        artifact: SIG1,
        artifactType: 'application/vnd.cncf.notary.signature',
        results: [
          { verifierName: 'notation', verifierType: 'notation', succeeded: true, description: 'signature verified', errorReason: '' },
          { verifierName: 'second', verifierType: 'notation', succeeded: true, description: 'signature verified', errorReason: '' },
        ],
      },
      {
        subject: SUBJECT,
        artifact: SIG2,
        artifactType: 'application/vnd.cncf.notary.signature',
        results: [{ verifierName: 'notation', verifierType: 'notation', succeeded: false, description: 'untrusted signer', errorReason: 'UNTRUSTED_SIGNER' }],
      },
    ]);
  });

  it('a decision about no artifact ("no signatures found") has no artifact report, as in Ratify v2; succeeded carries it', () => {
    const v = verdict(false, [report({ isSuccess: false, referenceDigest: '', errorReason: 'SIGNATURE_NOT_FOUND', message: 'no signatures found' })]);
    assert.deepEqual(v.artifactReports, []);
    assert.equal(v.succeeded, false);
  });

  it('a cached verdict answered under a new trace id carries succeeded and artifactReports, byte for byte', () => {
    const original = verdict(false, [report({ isSuccess: false, referenceDigest: SIG2 })]);
    const copy = stampVerdict(original, 'trace-2');
    const json = verdictJson(copy);
    assert.equal(json, JSON.stringify(copy));
    const parsed = JSON.parse(json) as Record<string, unknown>;
    assert.equal(parsed.traceID, 'trace-2');
    assert.equal(parsed.succeeded, false);
    assert.deepEqual(parsed.artifactReports, JSON.parse(JSON.stringify(original.artifactReports)));
  });

  it('a copy whose succeeded differs from its original is serialised in full, never from the stale template', () => {
    const original = verdict(true, [report({ isSuccess: true, referenceDigest: SIG1 })]);
    verdictJson(stampVerdict(original, 'trace-2'));
    const tampered: Verdict = { ...stampVerdict(original, 'trace-3'), succeeded: false };
    assert.equal((JSON.parse(verdictJson(tampered)) as Verdict).succeeded, false);
  });
});
