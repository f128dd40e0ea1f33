import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runVectors } from '../../../provider/src/cli/vectors.js';
import { signEnvelope } from '../../../provider/src/notation/index.js';
import { createPki } from '../../support/pki.js';
import { requireShared } from '../../support/requirements.js';

const SHARED_CASES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/vectors/notation/cases.json');

describe('vector runner (npm run vectors)', function () {
  this.timeout(60_000);

  it('passes every case of the Notation reference vectors in ../shared (skipped without ../shared)', async function () {
    requireShared(this, SHARED_CASES);
    const lines: string[] = [];
    const { passed, failed } = await runVectors(SHARED_CASES, (l) => lines.push(l));
    assert.equal(failed, 0, lines.filter((l) => l.startsWith('FAIL')).join('\n'));
    assert.ok(passed >= 77, `only ${passed} cases ran`);
    assert.match(lines[lines.length - 1] ?? '', /^\d+ passed, 0 failed$/);
  });

  it('reports a case whose expectation the verifier does not meet, with what it got and why', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'signgate-vectors-'));
    try {
      const at = new Date('2025-11-01T00:00:00Z');
      const pki = await createPki({ at });
      const subject = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:' + '77'.repeat(32), size: 10 };
      const { envelope } = await signEnvelope({
        format: 'jws',
        payload: { targetArtifact: subject },
        privateKey: pki.leaf.key.privateKey,
        certificateChain: pki.chain,
        signingScheme: 'notary.x509',
        signingTime: at,
        expiry: new Date(at.getTime() + 60_000),
      });
      await mkdir(join(dir, 'files', 'store', 'x509', 'ca', 'v'), { recursive: true });
      await writeFile(join(dir, 'files', 'store', 'x509', 'ca', 'v', 'root.pem'), pki.root.pem);
      await writeFile(join(dir, 'files', 'sig.jws'), envelope);
      const base = {
        artifactReference: `r.example/app@${subject.digest}`,
        signature: { path: 'files/sig.jws', mediaType: 'application/jose+json' },
        subject,
        trustStore: 'files/store',
        trustPolicy: {
          version: '1.0',
          trustPolicies: [{ name: 'v', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:v'], trustedIdentities: ['*'] }],
        },
      };
      const cases = [
        { ...base, id: 'good-now', verificationTime: '2025-11-01T00:00:00Z', expected: { result: 'pass' } },
        { ...base, id: 'expired-later', verificationTime: '2025-11-01T00:02:00Z', expected: { result: 'fail', validation: 'expiry' } },
        { ...base, id: 'wrong-expectation', verificationTime: '2025-11-01T00:00:00Z', expected: { result: 'fail', validation: 'expiry' } },
      ];
      const file = join(dir, 'cases.json');
      await writeFile(file, JSON.stringify({ format: 'signgate-notation-vectors/v1', cases }));
      const lines: string[] = [];
      const { passed, failed } = await runVectors(file, (l) => lines.push(l));
      assert.deepEqual({ passed, failed }, { passed: 2, failed: 1 });
      assert.deepEqual(lines.slice(0, 2), ['ok good-now', 'ok expired-later']);
      assert.equal(lines[2], 'FAIL wrong-expectation: expected fail/expiry, got pass');
      assert.equal(lines[3], '2 passed, 1 failed');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a file that is not in the vector format', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'signgate-vectors-'));
    try {
      await writeFile(join(dir, 'x.json'), JSON.stringify({ cases: [] }));
      await assert.rejects(runVectors(join(dir, 'x.json'), () => undefined), /not a signgate-notation-vectors\/v1 document/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
