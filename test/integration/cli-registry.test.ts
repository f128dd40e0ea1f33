/**
 * `signgate resolve / sign / verify REF` against Debian's docker-registry (distribution 2.8: no referrers API, so the
 * signature is found through the referrers tag schema), driven in process through the CLI entry point.
 * Skips visibly when /usr/bin/docker-registry is absent.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry, type Descriptor, type FetchLike, type Repository } from '../../provider/src/oci/index.js';
import { createPki, type Pki } from '../support/pki.js';
import { freePort, startRegistry, type RunningRegistry } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';
import { TempDirs, pushImage, signImage } from '../unit/verify/fixtures.js';
import { cli, type CliRun } from '../support/cli.js';

describe('signgate resolve / sign / verify against docker-registry', function () {
  this.timeout(60_000);
  const dirs = new TempDirs();
  let registry: RunningRegistry | undefined;
  let repo: Repository;
  let pki: Pki;
  let dir: string;
  const images: Record<string, Descriptor> = {};
  let trust: string[];
  const ref = (tag: string): string => `${registry?.host ?? ''}/cli/app:${tag}`;

  before(async function () {
    requireComponent(this, 'docker-registry');
    registry = await startRegistry();
    repo = new Registry({ fetch: fetch as FetchLike, clock: () => new Date() }).repository(`${registry.host}/cli/app`);
    for (const tag of ['jws', 'cose', 'unsigned', 'moving']) images[tag] = await pushImage(repo, tag);
    pki = await createPki({ at: new Date() });
    dir = await dirs.make('signgate-cli-');
    await writeFile(join(dir, 'key.pem'), pki.leaf.key.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await writeFile(join(dir, 'chain.pem'), [pki.leaf.pem, pki.intermediate.pem, pki.root.pem].join('\n'));
    await writeFile(join(dir, 'wrong-key.pem'), (await createPki({ at: new Date(), leafKey: 'ec-p384' })).leaf.key.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await mkdir(join(dir, 'store', 'x509', 'ca', 'cli'), { recursive: true });
    await writeFile(join(dir, 'store', 'x509', 'ca', 'cli', 'root.pem'), pki.root.pem);
    await writeFile(
      join(dir, 'policy.json'),
      JSON.stringify({
        version: '1.0',
        trustPolicies: [
          { name: 'cli', registryScopes: [`${registry.host}/cli/app`], signatureVerification: { level: 'strict' }, trustStores: ['ca:cli'], trustedIdentities: ['x509.subject: C=US, ST=WA, O=signgate'] },
        ],
      }),
    );
    trust = ['--trust-policy', join(dir, 'policy.json'), '--trust-store', join(dir, 'store')];
  });
  after(async () => {
    await registry?.stop();
    await dirs.cleanup();
  });

  const sign = (tag: string, ...extra: string[]): Promise<CliRun> =>
    cli('sign', ref(tag), '--key', join(dir, 'key.pem'), '--cert', join(dir, 'chain.pem'), ...extra);

  it('resolve prints host/repo@digest of the tag', async () => {
    const r = await cli('resolve', ref('jws'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${registry?.host}/cli/app@${images.jws?.digest}\n`);
  });

  it('sign then verify (JWS): exit 0, and the signature is laid out as notation lays it out', async () => {
    const s = await sign('jws', '--expiry', '24h');
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.stdout, `${registry?.host}/cli/app@${images.jws?.digest}\n`);
    const v = await cli('verify', ref('jws'), ...trust, '--output', 'json');
    assert.equal(v.code, 0, v.stdout + v.stderr);
    const verdict = JSON.parse(v.stdout) as { isSuccess: boolean; verifierReports: { subject: string; extensions: { expiry?: string } }[] };
    assert.equal(verdict.isSuccess, true);
    assert.equal(verdict.verifierReports[0]?.subject, `${registry?.host}/cli/app@${images.jws?.digest}`);
    assert.ok(verdict.verifierReports[0]?.extensions.expiry, 'the expiry from --expiry is signed');
    // the referrers tag schema index lists one OCI 1.0 signature manifest with notation's annotations
    const sigs = await repo.signatureManifests(images.jws as Descriptor);
    assert.equal(sigs.length, 1);
    const manifest = await repo.fetchManifest(sigs[0]?.descriptor as Descriptor);
    const m = JSON.parse(Buffer.from(manifest.bytes).toString('utf8')) as {
      mediaType: string; artifactType?: string; config: { mediaType: string; size: number }; layers: { mediaType: string }[];
      subject: { digest: string }; annotations: Record<string, string>;
    };
    assert.equal(m.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(m.artifactType, undefined);
    assert.deepEqual([m.config.mediaType, m.config.size], ['application/vnd.cncf.notary.signature', 2]);
    assert.deepEqual(m.layers.map((l) => l.mediaType), ['application/jose+json']);
    assert.equal(m.subject.digest, images.jws?.digest);
    assert.equal(JSON.parse(m.annotations['io.cncf.notary.x509chain.thumbprint#S256'] ?? '[]').length, 3);
    assert.match(m.annotations['org.opencontainers.image.created'] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('sign then verify (COSE)', async () => {
    assert.equal((await sign('cose', '--envelope', 'cose')).code, 0);
    const v = await cli('verify', ref('cose'), ...trust);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /^VERIFIED: /);
  });

  it('a notary.x509.signingAuthority signature is not trusted by a policy with only ca stores', async () => {
    await pushImage(repo, 'sa', 'signing authority');
    assert.equal((await sign('sa', '--signing-scheme', 'notary.x509.signingAuthority')).code, 0);
    const v = await cli('verify', ref('sa'), ...trust);
    assert.equal(v.code, 1);
    assert.match(v.stdout, /authenticity\s+enforce\s+FAILED: .*names no "signingAuthority" trust store/);
  });

  it('verify exits 1 with "no signatures found" for an unsigned image', async () => {
    const v = await cli('verify', ref('unsigned'), ...trust);
    assert.equal(v.code, 1);
    assert.match(v.stdout, /no signatures found/);
  });

  it('verify exits 1 when the tag was moved to other content after signing', async () => {
    assert.equal((await sign('moving')).code, 0);
    assert.equal((await cli('verify', ref('moving'), ...trust)).code, 0);
    await pushImage(repo, 'moving', 'new content under the old tag');
    const v = await cli('verify', ref('moving'), ...trust);
    assert.equal(v.code, 1, v.stdout);
    assert.match(v.stdout, /no signatures found/);
  });

  it('a tampered signature beside a good one: the good one verifies; alone it fails integrity', async () => {
    const both = await pushImage(repo, 'two-signatures', 'two');
    await signImage(repo, both, pki, { tamper: true });
    await signImage(repo, both, pki);
    const v = await cli('verify', ref('two-signatures'), ...trust, '--output', 'json');
    assert.equal(v.code, 0, v.stdout);
    const reports = (JSON.parse(v.stdout) as { verifierReports: { isSuccess: boolean; errorReason: string }[] }).verifierReports;
    assert.ok(reports.some((r) => r.isSuccess));
    const bad = await pushImage(repo, 'tampered', 'tampered');
    await signImage(repo, bad, pki, { tamper: true });
    const t = await cli('verify', ref('tampered'), ...trust);
    assert.equal(t.code, 1);
    assert.match(t.stdout, /integrity\s+enforce\s+FAILED/);
  });

  it('a signature made for another image does not verify this one (content descriptor mismatch)', async () => {
    const victim = await pushImage(repo, 'victim', 'victim');
    await signImage(repo, victim, pki, { payloadSubject: images.jws as Descriptor });
    const v = await cli('verify', ref('victim'), ...trust);
    assert.equal(v.code, 1);
    assert.match(v.stdout, /content descriptor mismatch/);
  });

  it('signs and verifies a multi-arch index at the index digest', async () => {
    const amd = await pushImage(repo, 'arch-amd64', 'amd64');
    const arm = await pushImage(repo, 'arch-arm64', 'arm64');
    const index = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { ...amd, platform: { architecture: 'amd64', os: 'linux' } },
        { ...arm, platform: { architecture: 'arm64', os: 'linux' } },
      ].map(({ mediaType, digest, size, platform }) => ({ mediaType, digest, size, platform })),
    };
    const pushed = await repo.pushManifest(new TextEncoder().encode(JSON.stringify(index)), index.mediaType, { tag: 'multi' });
    const s = await sign('multi');
    assert.equal(s.stdout, `${registry?.host}/cli/app@${pushed.digest}\n`);
    const v = await cli('verify', ref('multi'), ...trust);
    assert.equal(v.code, 0, v.stdout);
    // the platform manifests themselves carry no signature
    assert.equal((await cli('verify', ref('arch-amd64'), ...trust)).code, 1);
  });

  it('verify exits 3 (could not decide) when the registry is down', async () => {
    const down = `127.0.0.1:${await freePort()}/cli/app:jws`;
    const v = await cli('verify', down, ...trust, '--timeout', '5s');
    assert.equal(v.code, 3, v.stderr);
    assert.match(v.stderr, /127\.0\.0\.1/);
    assert.equal((await cli('resolve', down, '--timeout', '5s')).code, 3);
  });

  it('exits 2 naming the problem for bad references, files and flags', async () => {
    const cases: [Promise<CliRun>, RegExp][] = [
      [cli('resolve', 'Not A Reference'), /invalid/],
      [cli('verify', `${registry?.host ?? ''}/cli/App:1`, ...trust), /invalid/],
      [sign('jws', '--envelope', 'pdf'), /--envelope must be jws or cose/],
      [sign('jws', '--expiry', 'soon'), /--expiry "soon" is not a duration/],
      [cli('sign', ref('jws'), '--key', join(dir, 'missing.pem'), '--cert', join(dir, 'chain.pem')), /cannot read key .*missing\.pem: ENOENT/],
      [cli('sign', ref('jws'), '--key', join(dir, 'chain.pem'), '--cert', join(dir, 'chain.pem')), /--key .*chain\.pem holds a certificate, not a private key/],
      [cli('sign', ref('jws'), '--key', join(dir, 'key.pem'), '--cert', join(dir, 'key.pem')), /key\.pem holds no PEM certificate/],
      [cli('sign', ref('jws'), '--key', join(dir, 'wrong-key.pem'), '--cert', join(dir, 'chain.pem')), /--key .*wrong-key\.pem does not belong to the first \(leaf\) certificate/],
    ];
    for (const [run, message] of cases) {
      const r = await run;
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
    }
  });
});
