import assert from 'node:assert/strict';
import { parseTrustPolicyDocument, type TrustStore } from '../../../provider/src/notation/index.js';
import { toVerdict, verifyArtifact, type SignatureSource } from '../../../provider/src/verify/index.js';

const SUBJECT = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:' + 'aa'.repeat(32), size: 10 };
const REF = `registry.example/app@${SUBJECT.digest}`;
const trustPolicy = parseTrustPolicyDocument({
  version: '1.0',
  trustPolicies: [{ name: 'p', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:x'], trustedIdentities: ['*'] }],
});
const trustStore: TrustStore = { getCertificates: () => Promise.reject(new Error('not reached')) };

/** `n` signature manifests whose single layer is not an envelope, so each fails integrity without a fetch. */
function source(n: number): SignatureSource & { fetched: number } {
  const s = {
    fetched: 0,
    signatureManifests: async () =>
      Array.from({ length: n }, (_, i) => ({
        descriptor: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${String(i).padStart(64, '0')}`, size: 1 },
        blobs: [{ mediaType: 'application/octet-stream', digest: `sha256:${'b'.repeat(64)}`, size: 1 }],
      })),
    fetchBlob: async () => {
      s.fetched++;
      return new Uint8Array();
    },
  };
  return s;
}

const input = (src: SignatureSource, policy: 'all' | 'any') => ({
  source: src,
  subject: SUBJECT,
  artifactReference: REF,
  trustPolicy,
  trustStore,
  clock: () => new Date('2025-11-01T00:00:00Z'),
  maxSignatures: 2,
  policy,
});

describe('verify/executor: signature count bounds', () => {
  it('under "all", more signatures than the bound fail at once with TOO_MANY_SIGNATURES, saying what to do', async () => {
    const src = source(3);
    const result = await verifyArtifact(input(src, 'all'));
    assert.equal(result.kind, 'discovery-failed');
    const verdict = toVerdict(result, { subject: REF, traceID: 't', now: new Date(0) });
    assert.equal(verdict.isSuccess, false);
    assert.equal(verdict.verifierReports[0]?.errorReason, 'TOO_MANY_SIGNATURES');
    assert.match(verdict.verifierReports[0]?.message ?? '', /has 3 signatures, more than the 2 .*remove stale signatures/);
    assert.equal(src.fetched, 0);
  });

  it('under "any", only the first signatures up to the bound are tried, and failing ones fail the verdict', async () => {
    const result = await verifyArtifact(input(source(3), 'any'));
    assert.equal(result.kind, 'failed');
    if (result.kind !== 'failed') return;
    assert.equal(result.signatures.length, 2);
    assert.ok(result.signatures.every((s) => s.outcome.error?.code === 'ENVELOPE_UNSUPPORTED'));
  });

  it('no signatures at all fails with "no signatures found"', async () => {
    const result = await verifyArtifact(input(source(0), 'all'));
    assert.equal(result.kind, 'discovery-failed');
    const verdict = toVerdict(result, { subject: REF, traceID: 't', now: new Date(0) });
    assert.match(verdict.verifierReports[0]?.message ?? '', /^no signatures found/);
  });
});
