import assert from 'node:assert/strict';
import { makeVerdict, stampVerdict, verdictJson, type Verdict, type VerifierReport } from '../../../provider/src/verify/index.js';

const report = (message: string): VerifierReport => ({
  subject: 'registry.test/app@sha256:' + 'a'.repeat(64),
  isSuccess: true,
  name: 'notation',
  verifierName: 'notation',
  type: 'notation',
  verifierType: 'notation',
  referenceDigest: 'sha256:' + 'b'.repeat(64),
  artifactType: 'application/vnd.cncf.notary.signature',
  message,
  errorReason: '',
  remediation: '',
  extensions: { trustPolicy: 'default', validations: [{ type: 'integrity', action: 'enforce' }], signer: 'CN=Sigñer "quoted"' },
});

const cached = (traceID: string, message = 'signature verified'): Verdict =>
  makeVerdict({ isSuccess: true, traceID, now: new Date('2025-11-01T00:00:00.000Z'), verifierReports: [report(message)] });

describe('verify/verdictJson: cached verdicts answered with the current trace id', function () {
  it('serialises a stamped copy exactly as JSON.stringify does, with the new trace id', function () {
    const original = cached('trace-1');
    for (const traceID of ['trace-2', 'trace "3" \\ \u2028', 'trace-4']) {
      const copy = stampVerdict(original, traceID);
      assert.equal(copy.traceID, traceID);
      assert.equal(verdictJson(copy), JSON.stringify(copy));
      assert.equal((JSON.parse(verdictJson(copy)) as Verdict).traceID, traceID);
    }
    assert.equal(original.traceID, 'trace-1', 'the cached verdict keeps its own trace id');
  });

  it('restamping a copy, and stamping with the same trace id, give the right JSON', function () {
    const original = cached('trace-1');
    assert.equal(stampVerdict(original, 'trace-1'), original);
    const twice = stampVerdict(stampVerdict(original, 'trace-2'), 'trace-3');
    assert.equal(verdictJson(twice), JSON.stringify(twice));
    assert.equal(verdictJson(original), JSON.stringify(original));
  });

  it('falls back to full serialisation when a report mentions the trace id text or the copy differs', function () {
    const tricky = cached('trace-1', 'message "traceID":"x"');
    const copy = stampVerdict(tricky, 'trace-9');
    assert.equal(verdictJson(copy), JSON.stringify(copy));
    const changed: Verdict = { ...stampVerdict(cached('trace-1'), 'trace-5'), isSuccess: false };
    assert.equal(verdictJson(changed), JSON.stringify(changed));
  });
});
