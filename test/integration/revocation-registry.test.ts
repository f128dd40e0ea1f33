/**
 * Revocation end to end: images signed with `signgate sign` by certificates of an `openssl ca` PKI, pushed to Debian's
 * docker-registry, verified through `signgate verify` and through the provider (`startProvider`, HTTPS), with the CA's
 * CRLs served on loopback and real `openssl ocsp` responders; air-gapped with CRL files and no network, and a changed
 * CRL file flipping a cached pass to a fail.
 */
import assert from 'node:assert/strict';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { join } from 'node:path';
import { pino } from 'pino';
import { startProvider, type RunningProvider } from '../../provider/src/cli/serve.js';
import { parseServeArgs } from '../../provider/src/cli/serveArgs.js';
import { Registry, type FetchLike, type Repository } from '../../provider/src/oci/index.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';
import { createRevocationPki, type IssuedCert, type RevocationPki } from '../support/revocation.js';
import { waitFor } from '../support/waitFor.js';
import { TempDirs, pushImage } from '../unit/verify/fixtures.js';
import { cli } from '../support/cli.js';

interface Item { key: string; value?: { isSuccess: boolean; verifierReports: { message: string; errorReason: string; extensions: Record<string, unknown> }[] }; error?: string }

function ask(provider: RunningProvider, keys: string[]): Promise<Item[]> {
  const body = JSON.stringify({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys } });
  const u = new URL('/ratify/gatekeeper/v1/verify', provider.server.url);
  return new Promise((resolve, reject) => {
    const req = https.request(
      { hostname: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent: false, ca: provider.server.devCertificate?.caPem, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve((JSON.parse(text) as { response: { items: Item[] } }).response.items));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('revocation end to end: signgate verify and the provider against docker-registry, openssl CRLs and OCSP', function () {
  this.timeout(120_000);
  const dirs = new TempDirs();
  let registry: RunningRegistry | undefined;
  let pki: RevocationPki | undefined;
  let repo: Repository;
  let dir: string;
  const leaves: Record<string, IssuedCert> = {};
  const ref = (tag: string): string => `${registry?.host ?? ''}/rev/app:${tag}`;
  const trust = (level: string): string[] => ['--trust-policy', join(dir, `policy-${level}.json`), '--trust-store', join(dir, 'store')];

  before(async function () {
    requireComponent(this, 'docker-registry');
    requireComponent(this, 'openssl');
    registry = await startRegistry();
    pki = await createRevocationPki();
    dir = await dirs.make('signgate-revocation-e2e-');
    for (const name of ['good', 'revoked', 'flip']) leaves[name] = await pki.intermediate.issue(name, `/C=US/ST=WA/O=signgate/CN=${name}`, 'leaf');
    await pki.intermediate.revoke(leaves.revoked as IssuedCert, { reason: 'keyCompromise' });
    await pki.publishCrls();
    await pki.startResponders();
    repo = new Registry({ fetch: fetch as FetchLike, clock: () => new Date() }).repository(`${registry.host}/rev/app`);
    await mkdir(join(dir, 'store', 'x509', 'ca', 'rev'), { recursive: true });
    await writeFile(join(dir, 'store', 'x509', 'ca', 'rev', 'root.pem'), pki.root.cert.pem);
    for (const level of ['strict', 'permissive']) {
      await writeFile(
        join(dir, `policy-${level}.json`),
        JSON.stringify({
          version: '1.0',
          trustPolicies: [{ name: level, registryScopes: ['*'], signatureVerification: { level }, trustStores: ['ca:rev'], trustedIdentities: ['*'] }],
        }),
      );
    }
    for (const name of ['good', 'revoked', 'flip']) {
      const leaf = leaves[name] as IssuedCert;
      await pushImage(repo, name, `layer of ${name}`);
      await writeFile(join(dir, `${name}-chain.pem`), [leaf.pem, pki.intermediate.cert.pem, pki.root.cert.pem].join('\n'));
      const s = await cli('sign', ref(name), '--key', leaf.keyPath, '--cert', join(dir, `${name}-chain.pem`));
      assert.equal(s.code, 0, s.stderr);
    }
    await writeFile(join(dir, 'intermediate.crl'), pki.server.crls.get('intermediate') as Uint8Array);
    await writeFile(join(dir, 'root.crl'), pki.server.crls.get('root') as Uint8Array);
  });
  after(async () => {
    await pki?.close();
    await registry?.stop();
    await dirs.cleanup();
  });

  it('signgate verify: a good certificate verifies, checked by OCSP', async () => {
    const r = await cli('verify', ref('good'), ...trust('strict'));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /revocation\s+enforce\s+ok \(not revoked: "C=US,ST=WA,O=signgate,CN=good" \(serial [0-9a-f]+\) by OCSP http:\/\/127\.0\.0\.1:\d+\/ocsp\/intermediate: good/);
  });

  it('signgate verify: a revoked certificate fails under strict, naming it, and is only logged under permissive', async () => {
    const strict = await cli('verify', ref('revoked'), ...trust('strict'), '--output', 'json');
    assert.equal(strict.code, 1, strict.stderr);
    const verdict = JSON.parse(strict.stdout) as { isSuccess: boolean; verifierReports: { errorReason: string; message: string; remediation: string }[] };
    assert.equal(verdict.isSuccess, false);
    assert.equal(verdict.verifierReports[0]?.errorReason, 'CERTIFICATE_REVOKED');
    assert.match(verdict.verifierReports[0]?.message ?? '', /signing certificate "C=US,ST=WA,O=signgate,CN=revoked" \(serial [0-9a-f]+\) is revoked since \S+, reason keyCompromise/);
    assert.match(verdict.verifierReports[0]?.remediation ?? '', /re-sign the image with a certificate that is not revoked/);
    const permissive = await cli('verify', ref('revoked'), ...trust('permissive'));
    assert.equal(permissive.code, 0, permissive.stdout);
    assert.match(permissive.stdout, /revocation\s+log\s+failed \(logged only\): signing certificate .* is revoked/);
  });

  it('signgate verify air-gapped: --revocation-offline with --crl-file decides; without a CRL the status is unknown', async () => {
    const crls = ['--revocation-offline', '--crl', join(dir, 'intermediate.crl'), '--crl-file', join(dir, 'root.crl')];
    const good = await cli('verify', ref('good'), ...trust('strict'), ...crls);
    assert.equal(good.code, 0, good.stdout);
    assert.match(good.stdout, /by CRL file \S+intermediate\.crl: good/);
    const revoked = await cli('verify', ref('revoked'), ...trust('strict'), ...crls);
    assert.equal(revoked.code, 1);
    assert.match(revoked.stdout, /is revoked since .* according to CRL file \S+intermediate\.crl/);
    const none = await cli('verify', ref('good'), ...trust('strict'), '--revocation-offline');
    assert.equal(none.code, 1);
    assert.match(none.stdout, /revocation status of signing certificate .* could not be determined .*offline/);
    const bad = await cli('verify', ref('good'), ...trust('strict'), '--crl-file', join(dir, 'policy-strict.json'));
    assert.equal(bad.code, 2, 'a file that is no CRL is a usage error');
    assert.match(bad.stderr, /policy-strict\.json/);
  });

  describe('the provider', () => {
    let online: RunningProvider | undefined;
    let offline: RunningProvider | undefined;
    const config = (name: string, crlFiles: string[]): string =>
      [
        'apiVersion: config.signgate.dev/v1alpha1',
        'kind: KeyManagementProvider',
        'metadata: {name: certs}',
        `spec: {type: inline, parameters: {contentType: certificate, value: ${JSON.stringify(pki?.root.cert.pem)}}}`,
        '---',
        'apiVersion: config.signgate.dev/v1alpha1',
        'kind: Verifier',
        `metadata: {name: ${name}}`,
        'spec:',
        '  type: notation',
        '  parameters:',
        '    verificationCertStores: {ca: {store: [certs]}}',
        ...(crlFiles.length > 0 ? [`    revocation: {crlFiles: ${JSON.stringify(crlFiles)}}`] : []),
        '    trustPolicyDoc: {version: "1.0", trustPolicies: [{name: default, registryScopes: ["*"], signatureVerification: {level: strict}, trustStores: ["ca:store"], trustedIdentities: ["*"]}]}',
        '',
      ].join('\n');

    before(async () => {
      const onlineConfig = join(dir, 'online.yaml');
      await writeFile(onlineConfig, config('online', []));
      const a = parseServeArgs(['--config', onlineConfig, '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0'], {}, () => onlineConfig);
      assert.ok(a !== 'help');
      online = await startProvider(a, pino({ level: 'silent' }));
      await mkdir(join(dir, 'crls'), { recursive: true });
      await writeFile(join(dir, 'crls', 'intermediate.crl'), pki?.server.crls.get('intermediate') as Uint8Array);
      await writeFile(join(dir, 'crls', 'root.crl'), pki?.server.crls.get('root') as Uint8Array);
      const offlineConfig = join(dir, 'offline.yaml');
      await writeFile(offlineConfig, config('offline', ['crls']));
      const b = parseServeArgs(['--config', offlineConfig, '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0', '--revocation-offline'], {}, () => offlineConfig);
      assert.ok(b !== 'help');
      offline = await startProvider(b, pino({ level: 'silent' }));
    });
    after(async () => {
      await online?.close();
      await offline?.close();
    });

    it('online: passes a good certificate (pass reuse bounded by the OCSP nextUpdate) and fails a revoked one', async () => {
      assert.ok(online);
      const [good, revoked] = await ask(online, [ref('good'), ref('revoked')]);
      assert.equal(good?.value?.isSuccess, true, JSON.stringify(good));
      const until = Date.parse(String(good?.value?.verifierReports[0]?.extensions.revocationValidUntil));
      assert.ok(until > Date.now() && until <= Date.now() + 3600_000 + 60_000, 'revocationValidUntil is the OCSP nextUpdate');
      const validations = good?.value?.verifierReports[0]?.extensions.validations as { type: string; action: string; note?: string }[];
      assert.deepEqual(validations.find((v) => v.type === 'revocation')?.action, 'enforce');
      assert.equal(revoked?.value?.isSuccess, false);
      assert.equal(revoked?.value?.verifierReports[0]?.errorReason, 'CERTIFICATE_REVOKED');
      const metrics = await (await fetch(`${online.server.metricsUrl ?? ''}/metrics`)).text();
      const count = (line: RegExp): number => Number(line.exec(metrics)?.[1] ?? 0);
      assert.ok(count(/^signgate_revocation_fetches_total\{method="ocsp",outcome="ok"\} (\d+)$/m) >= 2, metrics);
      assert.ok(count(/^signgate_revocation_cache_lookups_total\{method="ocsp",result="miss"\} (\d+)$/m) >= 2);
    });

    it('air-gapped: CRL files decide with no network, and a changed CRL file flips a cached pass to a fail at once', async () => {
      assert.ok(offline && pki);
      const [first] = await ask(offline, [ref('flip')]);
      assert.equal(first?.value?.isSuccess, true, JSON.stringify(first));
      const hits = offline.executor.stats().verdictCache.hits;
      const [second] = await ask(offline, [ref('flip')]);
      assert.equal(second?.value?.isSuccess, true);
      assert.ok(offline.executor.stats().verdictCache.hits > hits, 'the second answer is the cached pass');
      const generation = offline.configSource.current()?.generation ?? 0;
      await pki.intermediate.revoke(leaves.flip as IssuedCert, { reason: 'keyCompromise' });
      const tmp = join(dir, 'crls', '.next.tmp');
      await writeFile(tmp, await pki.intermediate.crl());
      await rename(tmp, join(dir, 'crls', 'intermediate.crl'));
      await waitFor(() => (offline?.configSource.current()?.generation ?? 0) > generation, 'the configuration to reload the changed CRL file');
      const [third] = await ask(offline, [ref('flip')]);
      assert.equal(third?.value?.isSuccess, false, JSON.stringify(third));
      assert.equal(third?.value?.verifierReports[0]?.errorReason, 'CERTIFICATE_REVOKED');
      assert.match(third?.value?.verifierReports[0]?.message ?? '', /CN=flip.* is revoked .* according to CRL file \S+intermediate\.crl/);
    });
  });
});
