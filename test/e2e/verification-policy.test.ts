/**
 * One verification policy, everywhere (issue 10, section 4), end to end: one image with two Notation signatures, one
 * by a trusted signer and one by a signer nobody trusts, pushed to Debian's docker-registry (and the same image and
 * signers in an OCI layout). `signgate verify` (registry and --oci-layout) and the provider over real HTTPS, with its
 * configuration loaded from the custom resources a user writes, give the same answer: admitted under the default
 * (`any` for Notation signatures), refused under `all` (the CLI flag, or a Policy `default: all` as in Ratify's
 * chart). Both list both signatures with their own outcome. Needs docker-registry (test/support/requirements.ts).
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseAllDocuments } from 'yaml';
import { loadConfigFromDocuments, type Config } from '../../provider/src/config/index.js';
import { signEnvelope } from '../../provider/src/notation/index.js';
import { Registry, type Descriptor, type FetchLike, type Repository } from '../../provider/src/oci/index.js';
import { createApp, startServer, type RunningServer } from '../../provider/src/server/index.js';
import { createProviderExecutor, createRegistryPool, type Verdict } from '../../provider/src/verify/index.js';
import { LayoutWriter, MT } from '../support/layout.js';
import { createPki, type Pki } from '../support/pki.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';
import { httpsCall } from '../unit/server/tlsClient.js';
import { AT, TempDirs, testPki } from '../unit/verify/fixtures.js';
import { cli } from '../support/cli.js';

/** The configuration a user writes: the trusted root inline, a notation Verifier, a Store, and optionally a Policy. */
function configYaml(rootPem: string, policy: string | undefined): string {
  return [
    `apiVersion: config.signgate.dev/v1alpha1
kind: KeyManagementProvider
metadata: {name: team-certs}
spec: {type: inline, parameters: {contentType: certificate, value: ${JSON.stringify(rootPem)}}}`,
    `apiVersion: config.signgate.dev/v1alpha1
kind: Verifier
metadata: {name: notation}
spec:
  type: notation
  artifactTypes: [application/vnd.cncf.notary.signature]
  parameters:
    verificationCertStores: {ca: {team: [team-certs]}}
    trustPolicyDoc: {version: "1.0", trustPolicies: [{name: default, registryScopes: ["*"], signatureVerification: {level: strict}, trustStores: ["ca:team"], trustedIdentities: ["*"]}]}`,
    `apiVersion: config.signgate.dev/v1alpha1
kind: Store
metadata: {name: oras}
spec: {type: oras, parameters: {cacheEnabled: true, ttl: 10}}`,
    ...(policy === undefined
      ? []
      : [`apiVersion: config.signgate.dev/v1alpha1
kind: Policy
metadata: {name: default}
spec: {type: config-policy, parameters: {artifactVerificationPolicies: ${policy}}}`]),
  ].join('\n---\n');
}

async function loadConfig(generation: number, rootPem: string, policy: string | undefined): Promise<Config> {
  const documents = parseAllDocuments(configYaml(rootPem, policy)).map((d, i) => ({ file: 'signgate.yaml', document: i + 1, value: d.toJS() as unknown }));
  return loadConfigFromDocuments(documents, { generation });
}

async function envelopeFor(subject: Descriptor, pki: Pki): Promise<{ mediaType: string; envelope: Uint8Array }> {
  return signEnvelope({
    format: 'jws',
    payload: { targetArtifact: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size } },
    privateKey: pki.leaf.key.privateKey,
    certificateChain: pki.chain,
    signingScheme: 'notary.x509',
    signingTime: new Date(AT.getTime() - 60_000),
  });
}

/** Each signature's [digest, isSuccess, errorReason], sorted by digest. */
function outcomes(v: Verdict): [string, boolean, string][] {
  return v.verifierReports.map((r): [string, boolean, string] => [r.referenceDigest, r.isSuccess, r.errorReason]).sort((a, b) => a[0].localeCompare(b[0]));
}

describe('e2e: one verification policy for the CLI and the provider (two signers, one trusted)', function () {
  this.timeout(60_000);
  const dirs = new TempDirs();
  let registry: RunningRegistry | undefined;
  let server: RunningServer | undefined;
  let config: Config;
  let trustedPki: Pki;
  let dir: string;
  let image: Descriptor;
  /** Signature manifest digests in the registry and in the layout. */
  const sig = { registry: { trusted: '', untrusted: '' }, layout: { trusted: '', untrusted: '' } };
  let ref: string;
  let subject: string;
  let trust: string[];

  before(async function () {
    requireComponent(this, 'docker-registry');
    registry = await startRegistry();
    trustedPki = await testPki();
    const untrustedPki = await createPki({ at: AT }); // same leaf subject, another root: only the trust store tells them apart
    dir = await dirs.make('signgate-policy-');

    // the image, written once as an OCI layout and pushed byte for byte to the registry
    const layoutDir = join(dir, 'layout');
    const layout = await new LayoutWriter(layoutDir).init();
    const manifestDesc = await layout.image('two-signers', 'two signers, one trusted');
    const blob = (digest: string): Promise<Buffer> => readFile(join(layoutDir, 'blobs', 'sha256', digest.slice('sha256:'.length)));
    const manifestBytes = await blob(manifestDesc.digest);
    const manifest = JSON.parse(manifestBytes.toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
    const repo: Repository = new Registry({ fetch: fetch as FetchLike, clock: () => AT }).repository(`${registry.host}/policy/app`);
    for (const d of [manifest.config, ...manifest.layers]) await repo.pushBlob(await blob(d.digest), d.mediaType);
    image = await repo.pushManifest(manifestBytes, MT.manifest, { tag: 'two-signers' });
    assert.equal(image.digest, manifestDesc.digest);
    for (const [who, pki] of [['trusted', trustedPki], ['untrusted', untrustedPki]] as const) {
      const { mediaType, envelope } = await envelopeFor(image, pki);
      sig.registry[who] = (await repo.pushSignature({ subject: image, envelope, envelopeMediaType: mediaType })).manifest.digest;
      sig.layout[who] = (await layout.signature(manifestDesc, mediaType, envelope)).digest;
    }
    await layout.writeIndex();
    ref = `${registry.host}/policy/app:two-signers`;
    subject = `${registry.host}/policy/app@${image.digest}`;

    // the CLI's trust material: the trusted root only
    await mkdir(join(dir, 'store', 'x509', 'ca', 'team'), { recursive: true });
    await writeFile(join(dir, 'store', 'x509', 'ca', 'team', 'root.pem'), trustedPki.root.pem);
    await writeFile(
      join(dir, 'trustpolicy.json'),
      JSON.stringify({
        version: '1.0',
        trustPolicies: [{ name: 'default', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:team'], trustedIdentities: ['*'] }],
      }),
    );
    trust = ['--trust-policy', join(dir, 'trustpolicy.json'), '--trust-store', join(dir, 'store'), '--at', AT.toISOString()];

    // the provider, configured without a Policy (the built-in default)
    config = await loadConfig(1, trustedPki.root.pem, undefined);
    const pool = createRegistryPool(() => new Registry({ fetch: fetch as FetchLike, clock: () => AT, retry: { retries: 0 } }));
    const executor = createProviderExecutor({ registryFor: (s) => pool.registryFor(s), clock: () => AT });
    const logger = pino({ level: 'silent' });
    const app = createApp({ configSource: { current: () => config, lastError: () => undefined }, executor, logger });
    server = await startServer({ handler: app.callback(), address: '127.0.0.1:0', logger, clock: () => new Date(Date.now()) });
  });
  after(async () => {
    await server?.close();
    await registry?.stop();
    await dirs.cleanup();
  });

  async function providerVerdict(): Promise<Verdict> {
    const res = await httpsCall(server?.url ?? '', {
      method: 'POST',
      path: '/ratify/gatekeeper/v1/verify',
      ca: server?.devCertificate?.caPem ?? '',
      body: JSON.stringify({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys: [ref] } }),
    });
    assert.equal(res.status, 200, res.body);
    const item = (JSON.parse(res.body) as { response: { items: { value?: Verdict; error?: string }[] } }).response.items[0];
    assert.ok(item?.value && typeof item.value === 'object', `expected a verdict, got ${JSON.stringify(item)}`);
    return item.value;
  }

  const expected = (s: { trusted: string; untrusted: string }): [string, boolean, string][] =>
    ([[s.trusted, true, ''], [s.untrusted, false, 'UNTRUSTED_SIGNER']] as [string, boolean, string][]).sort((a, b) => a[0].localeCompare(b[0]));

  it('the provider admits the image under its default (any for Notation signatures) and reports both signatures', async () => {
    const v = await providerVerdict();
    assert.equal(v.isSuccess, true);
    assert.equal(v.succeeded, true);
    assert.deepEqual(outcomes(v), expected(sig.registry));
    assert.ok(v.verifierReports.every((r) => r.extensions.verificationPolicy === 'any' && r.subject === subject));
    assert.deepEqual(
      v.artifactReports.map((a) => [a.artifact, a.results.map((r) => [r.verifierName, r.succeeded, r.errorReason])]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      expected(sig.registry).map(([d, ok, reason]) => [d, [['notation', ok, reason]]]),
    );
  });

  it("the provider refuses the same image under a Policy `default: all` (Ratify's chart default), both signatures reported", async () => {
    const previous = config;
    try {
      config = await loadConfig(previous.generation + 1, trustedPki.root.pem, '{default: all}');
      const v = await providerVerdict();
      assert.equal(v.isSuccess, false);
      assert.equal(v.succeeded, false);
      assert.deepEqual(outcomes(v), expected(sig.registry));
      assert.ok(v.verifierReports.every((r) => r.extensions.verificationPolicy === 'all'));
    } finally {
      config = await loadConfig(previous.generation + 2, trustedPki.root.pem, undefined);
    }
  });

  it('signgate verify REF decides like the provider: admitted by default, refused with --verification-policy all, same per-signature outcomes', async () => {
    const provider = await providerVerdict();
    const byDefault = await cli('verify', ref, ...trust, '--output', 'json');
    assert.equal(byDefault.code, 0, byDefault.stdout + byDefault.stderr);
    const v = JSON.parse(byDefault.stdout) as Verdict;
    assert.deepEqual([v.isSuccess, v.succeeded], [true, true]);
    assert.deepEqual(outcomes(v), outcomes(provider));
    assert.equal(v.verifierReports[0]?.extensions.verificationPolicy, 'any');
    assert.equal(v.artifactReports.length, 2);

    const all = await cli('verify', ref, ...trust, '--output', 'json', '--verification-policy', 'all');
    assert.equal(all.code, 1, all.stdout + all.stderr);
    const refused = JSON.parse(all.stdout) as Verdict;
    assert.deepEqual([refused.isSuccess, refused.succeeded], [false, false]);
    assert.deepEqual(outcomes(refused), expected(sig.registry));
  });

  it('the text output lists every signature with its outcome, so VERIFIED never hides the untrusted one', async () => {
    const r = await cli('verify', ref, ...trust);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], `VERIFIED: ${subject}`);
    assert.equal(lines[1], '  verification policy any: 1 of 2 signatures verified; one is enough');
    assert.ok(lines.includes(`  signature ${sig.registry.trusted}: verified: signature verified`), r.stdout);
    const untrusted = lines.find((l) => l.startsWith(`  signature ${sig.registry.untrusted}: `));
    assert.match(untrusted ?? '', /: NOT verified \(UNTRUSTED_SIGNER, failed authenticity\): .+/);
    assert.match(r.stdout, /authenticity\s+enforce\s+FAILED: /);

    const all = await cli('verify', ref, ...trust, '--verification-policy', 'all');
    assert.equal(all.code, 1);
    assert.equal(all.stdout.split('\n')[0], `NOT VERIFIED: ${subject}`);
    assert.equal(all.stdout.split('\n')[1], '  verification policy all: 1 of 2 signatures verified; all must verify');
  });

  it('signgate verify --oci-layout applies the same policy to the same image and signers', async () => {
    const layoutRef = `${join(dir, 'layout')}:two-signers`;
    const byDefault = await cli('verify', '--oci-layout', layoutRef, ...trust, '--output', 'json');
    assert.equal(byDefault.code, 0, byDefault.stdout + byDefault.stderr);
    assert.deepEqual(outcomes(JSON.parse(byDefault.stdout) as Verdict), expected(sig.layout));
    const all = await cli('verify', '--oci-layout', layoutRef, ...trust, '--output', 'json', '--verification-policy', 'all');
    assert.equal(all.code, 1, all.stdout + all.stderr);
    assert.deepEqual(outcomes(JSON.parse(all.stdout) as Verdict), expected(sig.layout));
  });

  it('refuses a --verification-policy other than any or all with exit 2, naming the flag', async () => {
    const r = await cli('verify', ref, ...trust, '--verification-policy', 'some');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--verification-policy must be any or all, not "some"/);
  });
});
