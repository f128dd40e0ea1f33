/**
 * A signature manifest refused with MANIFEST_BLOB_UNKNOWN (docker-registry 2.8 answers so when another client is
 * uploading the same blob into the repository at that moment; seen once in 500 backfilled tags): the push is repeated
 * once, blobs first. The refusal is injected by the fault proxy in front of a real docker-registry.
 */
import assert from 'node:assert/strict';
import { createRegistry, type Registry } from '../../provider/src/oci/index.js';
import { FaultProxy, once } from '../support/faultProxy.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';
import { fakeEnvelope, instantSleep, JWS, pushImage, rejects } from './ociHelpers.js';

const BLOB_UNKNOWN = JSON.stringify({ errors: [{ code: 'MANIFEST_BLOB_UNKNOWN', message: 'blob unknown to registry' }] });
const isSignaturePut = (r: { method: string; path: string }): boolean => r.method === 'PUT' && /\/manifests\/sha256:/.test(r.path);

describe('oci push: a signature manifest refused while its blob is uploaded elsewhere', function () {
  this.timeout(60_000);
  let registry: RunningRegistry | undefined;
  let proxy: FaultProxy | undefined;
  let client: Registry;

  before(async function () {
    requireComponent(this, 'docker-registry');
    registry = await startRegistry({ relativeUrls: true });
    proxy = await new FaultProxy(registry.host).start();
    client = await createRegistry({ fetch, sleep: instantSleep, clock: () => new Date('2026-01-01T00:00:00Z') });
  });
  after(async () => {
    await proxy?.stop();
    await registry?.stop();
  });

  it('pushes the blobs and the manifest once more, and the signature is listed', async () => {
    const repo = client.repository(`${proxy?.host ?? ''}/race/app`);
    const subject = await pushImage(repo, 'v1');
    (proxy as FaultProxy).fault = once(isSignaturePut, { kind: 'status', status: 400, headers: { 'content-type': 'application/json' }, body: BLOB_UNKNOWN });
    const before = proxy?.seen.filter(isSignaturePut).length ?? 0;
    const pushed = await repo.pushSignature({ subject, envelope: fakeEnvelope('race'), envelopeMediaType: JWS });
    assert.equal((proxy?.seen.filter(isSignaturePut).length ?? 0) - before, 2, 'the manifest was sent twice');
    const listed = await repo.referrers(subject);
    assert.deepEqual(listed.map((d) => d.digest), [pushed.manifest.digest]);
  });

  it('reports a second refusal with the registry\'s words, pushing nothing more', async () => {
    const repo = client.repository(`${proxy?.host ?? ''}/race/other`);
    const subject = await pushImage(repo, 'v1');
    (proxy as FaultProxy).fault = (r) => (isSignaturePut(r) ? { kind: 'status', status: 400, headers: { 'content-type': 'application/json' }, body: BLOB_UNKNOWN } : undefined);
    const before = proxy?.seen.filter(isSignaturePut).length ?? 0;
    await rejects(repo.pushSignature({ subject, envelope: fakeEnvelope('race 2'), envelopeMediaType: JWS }), 'REGISTRY_REJECTED', /MANIFEST_BLOB_UNKNOWN/);
    assert.equal((proxy?.seen.filter(isSignaturePut).length ?? 0) - before, 2, 'one repeat, not more');
    (proxy as FaultProxy).fault = undefined;
    assert.deepEqual(await repo.referrers(subject), []);
  });
});
