/**
 * The default bound of 50 signatures under a policy of "all" (notation's MaxSignatureAttempts): 50 are all verified,
 * 51 fail at once with TOO_MANY_SIGNATURES before any envelope is read. Once on verifyArtifact with the default (no
 * maxSignatures given), once through the provider executor against the real docker-registry, as a cluster runs it.
 */
import assert from 'node:assert/strict';
import { Registry, type Descriptor, type FetchLike } from '../../provider/src/oci/index.js';
import type { Config } from '../../provider/src/config/types.js';
import { parseTrustPolicyDocument, type TrustStore } from '../../provider/src/notation/index.js';
import { createProviderExecutor, createRegistryPool, verifyArtifact, type SignatureSource } from '../../provider/src/verify/index.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';
import { AT, TempDirs, makeConfig, pushImage, scopeConfig, signImage, testPki, verifierConfig } from '../unit/verify/fixtures.js';
import { fakeEnvelope } from './ociHelpers.js';

const SUBJECT = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'aa'.repeat(32)}`, size: 10 };
const REF = `registry.example/app@${SUBJECT.digest}`;

describe('verify: the default bound of 50 signatures under "all"', function () {
  this.timeout(120_000);

  describe('verifyArtifact with no maxSignatures', function () {
    const trustPolicy = parseTrustPolicyDocument({
      version: '1.0',
      trustPolicies: [{ name: 'p', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:x'], trustedIdentities: ['*'] }],
    });
    const trustStore: TrustStore = { getCertificates: () => Promise.reject(new Error('not reached')) };
    /** `n` signature manifests whose one layer is no envelope type: each fails integrity, no blob is read. */
    const source = (n: number): SignatureSource => ({
      signatureManifests: async () =>
        Array.from({ length: n }, (_, i) => ({
          descriptor: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${String(i).padStart(64, '0')}`, size: 1 },
          blobs: [{ mediaType: 'application/octet-stream', digest: `sha256:${'b'.repeat(64)}`, size: 1 }],
        })),
      fetchBlob: () => Promise.reject(new Error('no blob is read')),
    });
    const run = (n: number) => verifyArtifact({ source: source(n), subject: SUBJECT, artifactReference: REF, trustPolicy, trustStore, clock: () => AT, policy: 'all' });

    it('verifies all 50 signatures', async function () {
      const result = await run(50);
      assert.equal(result.kind, 'failed');
      assert.equal(result.kind === 'failed' ? result.signatures.length : 0, 50, 'every one of the 50 was tried');
    });

    it('refuses 51 at once with TOO_MANY_SIGNATURES, naming both numbers', async function () {
      const result = await run(51);
      assert.equal(result.kind, 'discovery-failed');
      if (result.kind !== 'discovery-failed') return;
      assert.equal(result.error.code, 'TOO_MANY_SIGNATURES');
      assert.match(result.error.message, /has 51 signatures, more than the 50 a policy of "all" verifies; remove stale signatures/);
    });
  });

  describe('the provider executor against docker-registry', function () {
    const dirs = new TempDirs();
    let registry: RunningRegistry;
    let client: Registry;
    let subject: Descriptor;
    let config: Config;

    before(async function () {
      requireComponent(this, 'docker-registry');
      registry = await startRegistry();
      client = new Registry({ fetch: fetch as FetchLike, clock: () => AT });
      const repo = client.repository(`${registry.host}/bound/app`);
      subject = await pushImage(repo, 'v1');
      const pki = await testPki();
      await signImage(repo, subject, pki); // one real signature that verifies
      // 50 more that are no valid envelopes: the count, not their content, must decide
      for (let i = 0; i < 50; i++) await repo.pushSignature({ subject, envelope: fakeEnvelope(`stale ${i}`), envelopeMediaType: 'application/jose+json' });
      config = makeConfig(1, scopeConfig([await verifierConfig(dirs, [pki.root.pem])], 'all'));
    });
    after(async function () {
      client?.close();
      await registry?.stop();
      await dirs.cleanup();
    });

    it('fails an image with 51 signatures with TOO_MANY_SIGNATURES, reading no envelope', async function () {
      const blobReads: string[] = [];
      const pool = createRegistryPool(
        () => new Registry({ fetch: fetch as FetchLike, clock: () => AT, retry: { retries: 0 }, log: (e) => (/\/blobs\//.test(e.url) ? blobReads.push(e.url) : undefined) }),
      );
      const executor = createProviderExecutor({ registryFor: (s) => pool.registryFor(s), clock: () => AT });
      const result = await executor.verify(`${registry.host}/bound/app:v1`, { config, traceID: 't' });
      assert.ok('value' in result, JSON.stringify(result));
      assert.equal(result.value.isSuccess, false);
      const report = result.value.verifierReports[0];
      assert.equal(report?.errorReason, 'TOO_MANY_SIGNATURES');
      assert.match(report?.message ?? '', new RegExp(`"${registry.host}/bound/app@${subject.digest}" has 51 signatures, more than the 50`));
      assert.match(report?.remediation ?? '', /at most 50/);
      assert.deepEqual(blobReads, [], 'the bound is checked before any envelope is fetched');
      pool.close();
    });
  });
});
