/**
 * The registry client against a real registry: Debian's docker-registry (CNCF distribution 2.8), started per suite on
 * a free loopback port (test/support/registry.ts). It has no referrers API, so signatures go through the referrers
 * tag schema. Skips visibly when /usr/bin/docker-registry is absent (install it with .ci/deps).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import crossFetch from 'cross-fetch';
import { OciError, loadDockerConfig, staticCredentials, type OciErrorCode, type Registry, type RegistryEvent } from '../../provider/src/oci/index.js';
import { HTPASSWD_PASSWORD, HTPASSWD_USER, startRegistry, type RunningRegistry } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';
import { createTlsServerCertificate } from '../support/tlsCerts.js';
import { startTokenServer, type TokenServer } from '../support/tokenServer.js';
import { client, fakeEnvelope, JWS, NOTARY, OCI_INDEX, OCI_MANIFEST, pushImage, testClock } from './ociHelpers.js';

async function rejects(p: Promise<unknown>, code: OciErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof OciError, `expected OciError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

function skipWithoutRegistry(ctx: Mocha.Context): void {
  requireComponent(ctx, 'docker-registry');
}

describe('oci registry client: docker-registry 2.8 (real registry, plain HTTP on loopback)', function () {
  let reg: RunningRegistry;
  let registry: Registry;
  const events: RegistryEvent[] = [];
  before(async function () {
    skipWithoutRegistry(this);
    reg = await startRegistry();
  });
  after(async () => {
    await reg?.stop();
  });
  beforeEach(async () => {
    events.length = 0;
    registry = await client({ clock: testClock().clock, log: (e) => events.push(e) });
  });
  afterEach(() => registry?.close());

  it('signs an image through the tag schema and finds both signatures, trying the referrers API at most once per client', async () => {
    const repo = registry.repository(`${reg.host}/team/signed:v1`);
    const subject = await pushImage(repo, 'v1');
    assert.deepEqual({ ...(await repo.resolve()) }, { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.size });
    const one = await repo.pushSignature({ subject, envelope: fakeEnvelope('one'), envelopeMediaType: JWS, annotations: { 'io.cncf.notary.x509chain.thumbprint#S256': '["aa"]' } });
    const two = await repo.pushSignature({ subject, envelope: fakeEnvelope('two'), envelopeMediaType: 'application/cose' });
    assert.equal(registry.referrersSupport(reg.host), 'unsupported');

    const fresh = await client({ clock: testClock().clock, log: (e) => events.push(e) });
    const sigs = await fresh.repository(`${reg.host}/team/signed`).signatureManifests(subject);
    assert.deepEqual(sigs.map((s) => [s.form, s.descriptor.digest, s.blobs[0]?.mediaType]), [
      ['oci-1.0', one.manifest.digest, JWS],
      ['oci-1.0', two.manifest.digest, 'application/cose'],
    ]);
    assert.equal(sigs[0]?.descriptor.annotations?.['io.cncf.notary.x509chain.thumbprint#S256'], '["aa"]');
    const other = await pushImage(fresh.repository(`${reg.host}/team/signed`), 'v2', 'other');
    assert.deepEqual(await fresh.repository(`${reg.host}/team/signed`).signatureManifests(other), [], 'an unsigned image has no signatures');
    // the pushing client learned it from the missing OCI-Subject header; the fresh one asked the referrers API once
    assert.equal(events.filter((e) => e.type === 'request' && e.url.includes('/referrers/')).length, 1, 'referrers API tried once, then the tag schema');
    assert.equal(fresh.referrersSupport(reg.host), 'unsupported');
    const envelope = await fresh.repository(`${reg.host}/team/signed`).fetchBlob(sigs[0]?.blobs[0] as never, 1 << 20);
    assert.deepEqual(envelope, fakeEnvelope('one'));
    fresh.close();
  });

  it('keeps the tag-schema index listing every signature with its artifact type', async () => {
    const repo = registry.repository(`${reg.host}/team/indexed`);
    const subject = await pushImage(repo, 'v1');
    await repo.pushSignature({ subject, envelope: fakeEnvelope('a'), envelopeMediaType: JWS });
    await repo.pushSignature({ subject, envelope: fakeEnvelope('b'), envelopeMediaType: JWS });
    const tag = `sha256-${subject.digest.slice(7)}`;
    const index = await repo.fetchManifest(await repo.resolve(tag));
    assert.equal(index.manifest.kind, 'index');
    assert.equal(index.descriptor.mediaType, OCI_INDEX);
    assert.ok(index.manifest.kind === 'index' && index.manifest.manifests.length === 2 && index.manifest.manifests.every((d) => d.artifactType === NOTARY));
  });

  it('signs a multi-arch index at the index digest', async () => {
    const repo = registry.repository(`${reg.host}/team/multi`);
    const amd = await pushImage(repo, 'amd64', 'amd64 layer');
    const arm = await pushImage(repo, 'arm64', 'arm64 layer');
    const indexBytes = new TextEncoder().encode(
      JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ ...amd, platform: { architecture: 'amd64', os: 'linux' } }, { ...arm, platform: { architecture: 'arm64', os: 'linux' } }] }),
    );
    const index = await repo.pushManifest(indexBytes, OCI_INDEX, { tag: 'v1' });
    const subject = await repo.resolve('v1');
    assert.equal(subject.mediaType, OCI_INDEX);
    assert.equal(subject.digest, index.digest);
    await repo.pushSignature({ subject, envelope: fakeEnvelope('index'), envelopeMediaType: JWS });
    assert.equal((await repo.signatureManifests(subject)).length, 1);
    assert.equal((await repo.signatureManifests(amd)).length, 0, 'the platform manifest itself is not signed');
  });

  it('sees a moved tag after the TTL and reports unknown tags and blobs', async () => {
    const time = testClock();
    const c = await client({ clock: time.clock });
    const repo = c.repository(`${reg.host}/team/moving`);
    const first = await pushImage(repo, 'v1', 'first');
    assert.equal((await repo.resolve('v1')).digest, first.digest);
    const second = await pushImage(registry.repository(`${reg.host}/team/moving`), 'v1', 'second');
    assert.equal((await repo.resolve('v1')).digest, first.digest, 'cached within the TTL');
    time.advance(10_001);
    assert.equal((await repo.resolve('v1')).digest, second.digest);
    await rejects(repo.resolve('nope'), 'MANIFEST_NOT_FOUND', /tag "nope"/);
    await rejects(repo.fetchBlob({ mediaType: JWS, digest: `sha256:${'0'.repeat(64)}`, size: 3 }, 1024), 'BLOB_NOT_FOUND');
    c.close();
  });
});

describe('oci registry client: docker-registry 2.8 with TLS (private CA) and htpasswd', function () {
  let reg: RunningRegistry;
  let dir: string;
  before(async function () {
    skipWithoutRegistry(this);
    // Go checks certificate validity on the real clock, so this material is minted around the real now
    const tls = await createTlsServerCertificate({ at: new Date(), hosts: ['127.0.0.1'] });
    reg = await startRegistry({ tls: { certPem: tls.certChainPem, keyPem: tls.keyPem }, htpasswd: true });
    dir = await mkdtemp(join(tmpdir(), 'signgate-tls-'));
    await writeFile(join(dir, 'ca.pem'), tls.ca.pem);
    const auth = Buffer.from(`${HTPASSWD_USER}:${HTPASSWD_PASSWORD}`).toString('base64');
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [`https://${reg.host}`]: { auth } } }));
  });
  after(async () => {
    await reg?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const secure = async (withCredentials: boolean, caFile?: string): Promise<Registry> =>
    client({
      clock: testClock().clock,
      fetch: crossFetch,
      loopbackPlainHttp: false,
      ...(caFile ? { caFile } : {}),
      ...(withCredentials ? { credentials: await loadDockerConfig(join(dir, 'config.json')) } : {}),
    });

  it('pushes, signs and finds signatures over HTTPS with a CA bundle and config.json credentials', async () => {
    const c = await secure(true, join(dir, 'ca.pem'));
    const repo = c.repository(`${reg.host}/secure/app`);
    const subject = await pushImage(repo, 'v1');
    await repo.pushSignature({ subject, envelope: fakeEnvelope('tls'), envelopeMediaType: JWS });
    assert.equal((await repo.signatureManifests(subject)).length, 1);
    c.close();
  });

  it('refuses the registry certificate without the CA bundle, naming the fix', async () => {
    const c = await secure(true);
    await rejects(c.repository(`${reg.host}/secure/app:v1`).resolve(), 'REGISTRY_UNREACHABLE', /not trusted; pass the registry CA bundle/);
    c.close();
  });

  it('answers UNAUTHORIZED without credentials', async () => {
    const c = await secure(false, join(dir, 'ca.pem'));
    await rejects(c.repository(`${reg.host}/secure/app:v1`).resolve(), 'UNAUTHORIZED', /--registry-config/);
    c.close();
  });
});

describe('oci registry client: docker-registry 2.8 with auth: token (test token server)', function () {
  let reg: RunningRegistry;
  let tokens: TokenServer;
  before(async function () {
    skipWithoutRegistry(this);
    tokens = await startTokenServer({ username: 'alice', password: 'wonderland' });
    reg = await startRegistry({ token: tokens });
  });
  after(async () => {
    await reg?.stop();
    await tokens?.stop();
  });

  it('follows the Bearer challenge, caches tokens per scope, and signs and verifies discovery', async () => {
    const events: RegistryEvent[] = [];
    const c = await client({ clock: testClock().clock, log: (e) => events.push(e), credentials: staticCredentials({ [reg.host]: { username: 'alice', password: 'wonderland' } }) });
    const repo = c.repository(`${reg.host}/team/tokened`);
    const subject = await pushImage(repo, 'v1');
    await repo.pushSignature({ subject, envelope: fakeEnvelope('tok'), envelopeMediaType: JWS });
    const sigs = await repo.signatureManifests(await repo.resolve('v1'));
    assert.equal(sigs.length, 1);
    assert.equal(events.filter((e) => e.status === 401).length, 1, 'one challenge; later scopes get tokens without a 401');
    assert.ok(tokens.requests <= 2, `tokens fetched: ${tokens.requests}`);
    c.close();
  });

  it('answers UNAUTHORIZED when the token server refuses the credentials', async () => {
    const c = await client({ clock: testClock().clock, credentials: staticCredentials({ [reg.host]: { username: 'alice', password: 'wrong' } }) });
    await rejects(c.repository(`${reg.host}/team/tokened:v1`).resolve(), 'UNAUTHORIZED', /token for repository:team\/tokened:pull/);
    c.close();
  });
});
