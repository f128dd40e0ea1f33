/**
 * The registry client against the protocol-level OCI 1.1 test server (test/support/ociServer.ts): referrers API,
 * pagination, filters, caches, push with OCI-Subject, tag-schema fallback and per-registry memory.
 */
import assert from 'node:assert/strict';
import { type Descriptor, type OciLayout, type Registry } from '../../provider/src/oci/index.js';
import { OciTestServer } from '../support/ociServer.js';
import { client, rejects, fakeEnvelope, JWS, NOTARY, OCI_MANIFEST, pushImage, testClock } from './ociHelpers.js';

describe('oci registry client: OCI 1.1 referrers API (protocol-level test server)', () => {
  let server: OciTestServer;
  let registry: Registry;
  let time: ReturnType<typeof testClock>;
  afterEach(async () => {
    registry?.close();
    await server?.stop();
  });

  async function setup(options: ConstructorParameters<typeof OciTestServer>[0] = {}, limits = {}): Promise<void> {
    server = await new OciTestServer(options).start();
    time = testClock();
    registry = await client({ clock: time.clock, limits });
  }

  it('resolves a tag with one HEAD, caches it for 10 s of the injected clock, then asks again', async () => {
    await setup();
    const repo = registry.repository(`${server.host}/team/app:v1`);
    const pushed = await pushImage(repo, 'v1');
    server.requests.length = 0;
    const d = await repo.resolve();
    assert.deepEqual({ ...d }, { mediaType: OCI_MANIFEST, digest: pushed.digest, size: pushed.size });
    assert.deepEqual(server.requests.map((r) => r.method), ['HEAD']);
    await repo.resolve('v1');
    assert.equal(server.requests.length, 1);
    time.advance(10_001);
    await repo.resolve('v1');
    assert.equal(server.requests.length, 2);
    assert.deepEqual(registry.stats().caches.tags, { hits: 1, misses: 2, entries: 1 });
  });

  it('pushes a signature as notation does and finds it through the referrers API', async () => {
    await setup();
    const repo = registry.repository(`${server.host}/team/app`);
    const subject = await pushImage(repo, 'v1');
    const pushed = await repo.pushSignature({ subject, envelope: fakeEnvelope('sig'), envelopeMediaType: JWS, annotations: { 'io.cncf.notary.x509chain.thumbprint#S256': '["ab"]' } });
    assert.equal(registry.referrersSupport(server.host), 'supported');
    assert.equal([...server.tags.keys()].some((t) => t.includes('sha256-')), false, 'no tag-schema index when the registry handles subject');
    const stored = server.manifests.get(`team/app@${pushed.manifest.digest}`);
    assert.ok(stored);
    const expected =
      `{"schemaVersion":2,"mediaType":"${OCI_MANIFEST}","config":{"mediaType":"${NOTARY}","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},` +
      `"layers":[{"mediaType":"${JWS}","digest":"${pushed.envelope.digest}","size":${pushed.envelope.size}}],` +
      `"subject":{"mediaType":"${OCI_MANIFEST}","digest":"${subject.digest}","size":${subject.size}},` +
      `"annotations":{"io.cncf.notary.x509chain.thumbprint#S256":"[\\"ab\\"]","org.opencontainers.image.created":"2025-11-01T00:00:00Z"}}`;
    assert.equal(stored.bytes.toString(), expected);

    const source: OciLayout = repo; // a Repository serves the verifier exactly like an OCI layout
    const sigs = await source.signatureManifests(subject);
    assert.deepEqual(sigs.map((s) => [s.form, s.descriptor.digest, s.blobs[0]?.digest]), [['oci-1.0', pushed.manifest.digest, pushed.envelope.digest]]);
    const referrerCalls = server.requests.filter((r) => r.path.includes('/referrers/'));
    assert.equal(referrerCalls.length, 1);
    assert.equal(referrerCalls[0]?.query.get('artifactType'), NOTARY);
    const envelope = await repo.fetchBlob(sigs[0]?.blobs[0] as Descriptor, 1024 * 1024);
    assert.deepEqual(envelope, fakeEnvelope('sig'));
  });

  it('follows Link pagination and filters client-side when the server did not apply the filter', async () => {
    await setup({ pageSize: 1, filterArtifactType: false });
    const repo = registry.repository(`${server.host}/app`);
    const subject = await pushImage(repo, 'v1');
    const one = await repo.pushSignature({ subject, envelope: fakeEnvelope('1'), envelopeMediaType: JWS });
    const sbom = server.putManifest('app', { schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: 'application/spdx+json', config: server.putBlob('{}', 'application/vnd.oci.empty.v1+json'), layers: [], subject }, OCI_MANIFEST);
    const two = await repo.pushSignature({ subject, envelope: fakeEnvelope('2'), envelopeMediaType: JWS });
    const listed = await repo.referrers(subject, { artifactType: NOTARY });
    assert.deepEqual(new Set(listed.map((d) => d.digest)), new Set([one.manifest.digest, two.manifest.digest]));
    assert.ok(!listed.some((d) => d.digest === sbom.digest));
    assert.equal(server.requests.filter((r) => r.path.includes('/referrers/')).length, 3);
  });

  it('refuses more referrer pages than the limit', async () => {
    await setup({ pageSize: 1 }, { maxReferrerPages: 2 });
    const repo = registry.repository(`${server.host}/app`);
    const subject = await pushImage(repo, 'v1');
    for (const n of ['1', '2', '3']) await repo.pushSignature({ subject, envelope: fakeEnvelope(n), envelopeMediaType: JWS });
    await rejects(repo.referrers(subject), 'RESPONSE_INVALID', /more than 2 pages/);
  });

  it('refuses a Link header that points to another origin', async () => {
    await setup();
    const repo = registry.repository(`${server.host}/app`);
    const subject = await pushImage(repo, 'v1');
    server.fault = (r) =>
      r.path.includes('/referrers/')
        ? { kind: 'status', status: 200, headers: { 'content-type': 'application/vnd.oci.image.index.v1+json', link: '<https://evil.example/v2/app/referrers/x?page=2>; rel="next"' }, body: '{"schemaVersion":2,"manifests":[]}' }
        : undefined;
    await rejects(repo.referrers(subject), 'RESPONSE_INVALID', /another origin \(https:\/\/evil\.example\)/);
  });

  it('lists only signature manifests whose subject matches, in all three forms', async () => {
    await setup();
    const repo = registry.repository(`${server.host}/app`);
    const subject = await pushImage(repo, 'v1');
    const env = server.putBlob('{"e":1}', JWS);
    const empty = server.putBlob('{}', 'application/vnd.oci.empty.v1+json');
    const oci11 = server.putManifest('app', { schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: NOTARY, config: empty, layers: [env], subject }, OCI_MANIFEST);
    const artifact = server.putManifest('app', { mediaType: 'application/vnd.oci.artifact.manifest.v1+json', artifactType: NOTARY, blobs: [env], subject }, 'application/vnd.oci.artifact.manifest.v1+json');
    const wrongSize = server.putManifest('app', { schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: NOTARY, config: empty, layers: [env], subject: { ...subject, size: 1 } }, OCI_MANIFEST);
    const sigs = await repo.signatureManifests(subject);
    assert.deepEqual(new Set(sigs.map((s) => `${s.form} ${s.descriptor.digest}`)), new Set([`oci-1.1 ${oci11.digest}`, `artifact ${artifact.digest}`]));
    assert.ok(!sigs.some((s) => s.descriptor.digest === wrongSize.digest));
  });

  it('caches referrer lists for the TTL and content by digest', async () => {
    await setup();
    const repo = registry.repository(`${server.host}/app`);
    const subject = await pushImage(repo, 'v1');
    await repo.pushSignature({ subject, envelope: fakeEnvelope('x'), envelopeMediaType: JWS });
    await repo.signatureManifests(subject);
    const before = server.requests.length;
    await repo.signatureManifests(subject);
    assert.equal(server.requests.length, before, 'second lookup is served from the caches');
    const stats = registry.stats().caches;
    assert.ok(stats.referrers.hits >= 1 && stats.content.hits >= 1 && stats.content.bytes > 0);
    time.advance(10_001);
    await repo.signatureManifests(subject);
    assert.equal(server.requests.length, before + 1, 'only the referrers list is fetched again; the manifest stays cached');
  });
});
