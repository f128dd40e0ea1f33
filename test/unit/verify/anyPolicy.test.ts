/**
 * The executor under "any" and "all" (issue 10, section 4): every signature found is verified and reported, "any"
 * passes when one verifies, and an extra signature whose envelope cannot be read blocks an image only when no other
 * signature verifies (under "all" it is "could not decide" at once).
 */
import assert from 'node:assert/strict';
import { signEnvelope } from '../../../provider/src/notation/index.js';
import { OciError, type Descriptor } from '../../../provider/src/oci/index.js';
import { toVerdict, verifyArtifact, type SignatureManifestRef, type SignatureSource } from '../../../provider/src/verify/index.js';
import { createPki, type Pki } from '../../support/pki.js';
import { AT, TempDirs, verifierConfig } from './fixtures.js';

const SUBJECT: Descriptor = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'ab'.repeat(32)}`, size: 321 };
const REF = `registry.example/app@${SUBJECT.digest}`;
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

interface FakeSignature {
  readonly ref: SignatureManifestRef;
  readonly read: () => Promise<Uint8Array>;
}

let n = 0;
function manifestRef(envelopeType: string): SignatureManifestRef {
  n++;
  return {
    descriptor: { mediaType: MANIFEST, digest: `sha256:${n.toString(16).padStart(64, '0')}`, size: 1 },
    blobs: [{ mediaType: envelopeType, digest: `sha256:${(n + 1000).toString(16).padStart(64, '0')}`, size: 1 }],
  };
}

async function signedBy(pki: Pki): Promise<FakeSignature> {
  const { mediaType, envelope } = await signEnvelope({
    format: 'jws',
    payload: { targetArtifact: SUBJECT },
    privateKey: pki.leaf.key.privateKey,
    certificateChain: pki.chain,
    signingScheme: 'notary.x509',
    signingTime: new Date(AT.getTime() - 60_000),
  });
  return { ref: manifestRef(mediaType), read: () => Promise.resolve(envelope) };
}

function unreadable(): FakeSignature {
  return {
    ref: manifestRef('application/jose+json'),
    read: () => Promise.reject(new OciError('SIZE_LIMIT_EXCEEDED', 'blob is larger than the 1048576 bytes allowed')),
  };
}

function source(signatures: readonly FakeSignature[]): SignatureSource {
  return {
    signatureManifests: () => Promise.resolve(signatures.map((s) => s.ref)),
    fetchBlob: (d) => {
      const s = signatures.find((x) => x.ref.blobs[0]?.digest === d.digest);
      return s ? s.read() : Promise.reject(new Error(`unknown blob ${d.digest}`));
    },
  };
}

describe('verify/executor: any and all over every signature found', function () {
  this.timeout(30_000);
  const dirs = new TempDirs();
  let trusted: FakeSignature;
  let untrusted: FakeSignature;
  let run: (signatures: readonly FakeSignature[], policy: 'any' | 'all') => ReturnType<typeof verifyArtifact>;

  before(async () => {
    const pki = await createPki({ at: AT });
    trusted = await signedBy(pki);
    untrusted = await signedBy(await createPki({ at: AT }));
    const verifier = await verifierConfig(dirs, [pki.root.pem]);
    run = (signatures, policy) =>
      verifyArtifact({
        source: source(signatures),
        subject: SUBJECT,
        artifactReference: REF,
        trustPolicy: verifier.trustPolicy,
        trustStore: verifier.trustStore,
        clock: () => AT,
        policy,
      });
  });
  after(() => dirs.cleanup());

  it('under any, a trusted signature first still lets the untrusted one beside it be verified and reported', async () => {
    const result = await run([trusted, untrusted], 'any');
    assert.equal(result.kind, 'verified');
    const verdict = toVerdict(result, { subject: REF, traceID: 't', now: AT, verificationPolicy: 'any' });
    assert.deepEqual(
      verdict.verifierReports.map((r) => [r.referenceDigest, r.isSuccess, r.errorReason, r.extensions.verificationPolicy]),
      [
        [trusted.ref.descriptor.digest, true, '', 'any'],
        [untrusted.ref.descriptor.digest, false, 'UNTRUSTED_SIGNER', 'any'],
      ],
    );
  });

  it('under all, the same two signatures fail, both reported', async () => {
    const result = await run([untrusted, trusted], 'all');
    assert.equal(result.kind, 'failed');
    if (result.kind !== 'failed') return;
    assert.deepEqual(result.signatures.map((s) => s.outcome.error?.code), ['UNTRUSTED_SIGNER', undefined]);
  });

  it('under any, an unreadable extra signature does not block an image a trusted signature admits, and says why it did not count', async () => {
    for (const order of [[unreadable(), trusted], [trusted, unreadable()]]) {
      const result = await run(order, 'any');
      assert.equal(result.kind, 'verified');
      if (result.kind !== 'verified') return;
      const bad = result.signatures.find((s) => s.outcome.error);
      assert.equal(bad?.outcome.error?.code, 'ENVELOPE_INVALID');
      assert.match(bad?.outcome.error?.message ?? '', /^signature manifest sha256:[0-9a-f]{64} of registry\.example\/app@sha256:.*could not be read \(blob is larger .*\); it does not count/);
    }
  });

  it('under any with nothing verified, an unreadable signature means "could not decide" (the read error propagates)', async () => {
    await assert.rejects(run([untrusted, unreadable()], 'any'), (err: unknown) => err instanceof OciError && err.code === 'SIZE_LIMIT_EXCEEDED');
  });

  it('a fault that is not a registry or content error propagates under any, even beside a trusted signature', async () => {
    const faulty: FakeSignature = { ref: manifestRef('application/jose+json'), read: () => Promise.reject(new TypeError('bug')) };
    await assert.rejects(run([trusted, faulty], 'any'), (err: unknown) => err instanceof TypeError && err.message === 'bug');
  });

  it('under all, an unreadable signature is "could not decide" at once, even beside a trusted one', async () => {
    await assert.rejects(run([trusted, unreadable()], 'all'), (err: unknown) => err instanceof OciError && err.code === 'SIZE_LIMIT_EXCEEDED');
  });
});
