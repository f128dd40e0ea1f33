import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { verifyCommand } from '../../../provider/src/cli/verifyCommand.js';
import { signEnvelope } from '../../../provider/src/notation/index.js';
import { LayoutWriter } from '../../support/layout.js';
import { createPki, type Pki } from '../../support/pki.js';

const AT = '2025-11-01T00:00:00Z';

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks: [Buffer[], Buffer[]] = [[], []];
  out.on('data', (c: Buffer) => chunks[0].push(c));
  err.on('data', (c: Buffer) => chunks[1].push(c));
  const code = await verifyCommand(argv, { stdout: out, stderr: err });
  return { code, stdout: Buffer.concat(chunks[0]).toString(), stderr: Buffer.concat(chunks[1]).toString() };
}

describe('signgate verify --oci-layout', function () {
  this.timeout(30_000);
  let dir: string;
  let pki: Pki;
  let layoutDir: string;
  let args: (policy?: string) => string[];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'signgate-cli-'));
    pki = await createPki({ at: new Date(AT) });
    layoutDir = join(dir, 'layout');
    const layout = await new LayoutWriter(layoutDir).init();
    const signed = await layout.image('signed', 'one');
    await layout.image('unsigned', 'two');
    const { mediaType, envelope } = await signEnvelope({
      format: 'cose',
      payload: { targetArtifact: signed },
      privateKey: pki.leaf.key.privateKey,
      certificateChain: pki.chain,
      signingScheme: 'notary.x509',
      signingTime: new Date(AT),
    });
    await layout.signature(signed, mediaType, envelope);
    await layout.writeIndex();
    await mkdir(join(dir, 'store', 'x509', 'ca', 'test'), { recursive: true });
    await writeFile(join(dir, 'store', 'x509', 'ca', 'test', 'root.pem'), pki.root.pem);
    const policy = (identity: string, scope = '*') => ({
      version: '1.0',
      trustPolicies: [
        { name: 'cli', registryScopes: [scope], signatureVerification: { level: 'strict' }, trustStores: ['ca:test'], trustedIdentities: [identity] },
      ],
    });
    await writeFile(join(dir, 'policy.json'), JSON.stringify(policy('x509.subject: C=US, ST=WA, O=signgate')));
    await writeFile(join(dir, 'other.json'), JSON.stringify(policy('x509.subject: C=US, ST=WA, O=nobody')));
    await writeFile(join(dir, 'scoped.json'), JSON.stringify(policy('*', 'registry.example/app')));
    await writeFile(join(dir, 'broken.json'), '{"version": "1.0", "trustPolicies": [');
    args = (policy = 'policy.json') => ['--trust-policy', join(dir, policy), '--trust-store', join(dir, 'store'), '--at', AT];
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('exits 0 and says VERIFIED for a signed image', async () => {
    const r = await run(['--oci-layout', `${layoutDir}:signed`, ...args()]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^VERIFIED: local\/layout@sha256:[0-9a-f]{64}/);
    assert.match(r.stdout, /revocation\s+enforce\s+ok \(revocation was not checked/);
  });

  it('prints the verdict object with --output json', async () => {
    const r = await run(['--oci-layout', `${layoutDir}:signed`, ...args(), '--output', 'json']);
    const v = JSON.parse(r.stdout) as Record<string, unknown> & { verifierReports: Record<string, unknown>[] };
    assert.equal(v.version, '0.2.0');
    assert.equal(v.isSuccess, true);
    assert.equal(v.timestamp, '2025-11-01T00:00:00.000Z');
    assert.match(String(v.traceID), /^[0-9a-f-]{36}$/);
    const report = v.verifierReports[0] ?? {};
    assert.equal(report.verifierName, 'notation');
    assert.equal(report.verifierType, 'notation');
    assert.equal(report.artifactType, 'application/vnd.cncf.notary.signature');
    assert.match(String(report.referenceDigest), /^sha256:/);
  });

  it('exits 1 with "no signatures found" for an unsigned image', async () => {
    const r = await run(['--oci-layout', `${layoutDir}:unsigned`, ...args()]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /NOT VERIFIED/);
    assert.match(r.stdout, /no signatures found/);
    assert.match(r.stdout, /what to do: Sign the image/);
  });

  it('exits 1 and names the failing validation when the identity does not match', async () => {
    const r = await run(['--oci-layout', `${layoutDir}:signed`, ...args('other.json')]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /trustedIdentity\s+enforce\s+FAILED: signing certificate .* does not match/);
  });

  it('matches registryScopes against --scope', async () => {
    assert.equal((await run(['--oci-layout', `${layoutDir}:signed`, ...args('scoped.json'), '--scope', 'registry.example/app'])).code, 0);
    // --scope is canonicalized like every other name: another spelling of the scope's repository selects it too
    assert.equal((await run(['--oci-layout', `${layoutDir}:signed`, ...args('scoped.json'), '--scope', 'REGISTRY.example:0443/app'])).code, 0);
    const bad = await run(['--oci-layout', `${layoutDir}:signed`, ...args('scoped.json'), '--scope', 'registry.example:99999/app']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /port 99999 .* out of range/);
    const r = await run(['--oci-layout', `${layoutDir}:signed`, ...args('scoped.json')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /trust policy/i);
  });

  it('exits 2 for usage and configuration errors, naming the problem', async () => {
    const cases: [string[], RegExp][] = [
      [[...args()], /--oci-layout DIR:REF is required/],
      [['--oci-layout', `${layoutDir}:signed`, ...args(), '--output', 'yaml'], /--output must be text or json/],
      [['--oci-layout', `${layoutDir}:signed`, ...args('broken.json')], /is not valid JSON/],
      [['--oci-layout', `${layoutDir}:signed`, ...args(), '--at', 'yesterday'], /not an RFC 3339 time/],
      [['--oci-layout', `${layoutDir}:nosuchtag`, ...args()], /nosuchtag/],
      [['--oci-layout', `${join(dir, 'nowhere')}:v1`, ...args()], /nowhere/],
      [['--oci-layout', `${layoutDir}:signed`, ...args(), '--bogus'], /bogus/],
    ];
    for (const [argv, message] of cases) {
      const r = await run(argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });

  it('exits 3 (could not decide) when a signature blob in the layout is corrupt', async () => {
    const copy = join(dir, 'corrupt');
    const layout = await new LayoutWriter(copy).init();
    const image = await layout.image('v1');
    const sig = await layout.signature(image, 'application/cose', new Uint8Array([1, 2, 3]));
    await layout.writeIndex();
    // overwrite the envelope blob so it no longer matches its digest
    const manifest = JSON.parse(await readFile(join(copy, 'blobs', 'sha256', sig.digest.slice(7)), 'utf8')) as { layers: { digest: string }[] };
    const layerHex = manifest.layers[0]?.digest.slice(7) ?? '';
    assert.ok((await readdir(join(copy, 'blobs', 'sha256'))).includes(layerHex));
    await writeFile(join(copy, 'blobs', 'sha256', layerHex), new Uint8Array([1, 2, 4]));
    const r = await run(['--oci-layout', `${copy}:v1`, ...args()]);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stderr, /hashes to sha256:.*tampered with or corrupted/);
  });
});
