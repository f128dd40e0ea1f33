/**
 * End to end over real HTTPS: the provider (createApp + startServer + the registry-backed executor) against Debian's
 * docker-registry (no referrers API: the tag-schema fallback), with images signed by notation's signEnvelope and
 * pushed with the oci client. Skips visibly when /usr/bin/docker-registry is absent.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry, type Descriptor, type FetchLike } from '../../provider/src/oci/index.js';
import { createApp, createMetricsApp, ProviderMetrics, startServer, type Deadlines, type RunningServer } from '../../provider/src/server/index.js';
import { createProviderExecutor, createRegistryPool, type ProviderExecutor, type Verdict } from '../../provider/src/verify/index.js';
import type { Config } from '../../provider/src/config/types.js';
import { issueCertificate, createKeyPair, EKU, YEAR_MS, type Pki } from '../support/pki.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { writeAtomically } from '../support/files.js';
import { requireComponent } from '../support/requirements.js';
import { certificateRequired } from '../support/tlsFailures.js';
import { waitFor } from '../support/waitFor.js';
import { AT, TempDirs, makeConfig, pushImage, scopeConfig, signImage, testPki, verifierConfig } from '../unit/verify/fixtures.js';
import { httpsCall } from '../unit/server/tlsClient.js';
import { RegistryProxy } from '../support/registryProxy.js';

type Item = { key: string; value?: Verdict | string; error?: string };
const SIGNER = 'x509.subject: C=US, ST=WA, L=Seattle, O=signgate, CN=signgate test signer';

describe('e2e: signgate provider over HTTPS against docker-registry', function () {
  this.timeout(60_000);
  const dirs = new TempDirs();
  let registry: RunningRegistry | undefined;
  let proxy: RegistryProxy;
  let client: Registry;
  let pki: Pki;
  let server: RunningServer;
  let config: Config;
  const deadlines: Deadlines = { verifyMs: 4900, mutateMs: 1950 };
  const images: Record<string, Descriptor> = {};
  let metrics: ProviderMetrics;
  let executor: ProviderExecutor;

  before(async function () {
    requireComponent(this, 'docker-registry');
    registry = await startRegistry();
    proxy = await new RegistryProxy(registry.host).start();
    client = new Registry({ fetch: fetch as FetchLike, clock: () => AT });
    pki = await testPki();
    const stranger = await issueCertificate({
      subject: 'CN=someone else,O=elsewhere,C=US',
      key: await createKeyPair('ec-p256', { shared: true }),
      issuer: pki.intermediate,
      notBefore: new Date(AT.getTime() - YEAR_MS),
      notAfter: new Date(AT.getTime() + YEAR_MS),
      basicConstraints: { ca: false },
      keyUsages: ['digitalSignature'],
      extendedKeyUsages: [EKU.codeSigning],
    });
    const strangerPki: Pki = { ...pki, leaf: stranger, chain: [stranger.der, pki.intermediate.der, pki.root.der] };
    const repo = client.repository(`${registry.host}/e2e/app`);
    for (const tag of ['signed', 'unsigned', 'tampered', 'stranger', 'slow']) images[tag] = await pushImage(repo, tag);
    await signImage(repo, images.signed as Descriptor, pki);
    await signImage(repo, images.slow as Descriptor, pki, { format: 'cose' });
    await signImage(repo, images.tampered as Descriptor, pki, { tamper: true });
    await signImage(repo, images.stranger as Descriptor, strangerPki);
    config = makeConfig(1, scopeConfig([await verifierConfig(dirs, [pki.root.pem], { identities: [SIGNER] })]), {
      locked: scopeConfig([await verifierConfig(dirs, [])]),
    });
    metrics = new ProviderMetrics();
    const pool = createRegistryPool(() => new Registry({ fetch: fetch as FetchLike, clock: () => AT, retry: { retries: 0 }, log: (e) => metrics.registryEvent(e) }));
    executor = createProviderExecutor({ registryFor: (s) => pool.registryFor(s), clock: () => AT });
    const configSource = { current: () => config, lastError: () => undefined };
    const logger = pino({ level: 'silent' });
    const app = createApp({ configSource, executor, logger, metrics, deadlines });
    server = await startServer({
      handler: app.callback(),
      address: '127.0.0.1:0',
      metricsAddress: '127.0.0.1:0',
      metricsHandler: createMetricsApp(metrics, { configSource }).callback(),
      logger,
      clock: () => new Date(Date.now()),
    });
  });
  after(async function () {
    await server?.close();
    await proxy?.stop();
    await registry?.stop();
    await dirs.cleanup();
  });

  const ref = (tag: string, host = registry?.host ?? ''): string => `${host}/e2e/app:${tag}`;
  async function call(route: 'verify' | 'mutate', keys: string[], path = `/ratify/gatekeeper/v1/${route}`): Promise<Item[]> {
    const res = await httpsCall(server.url, {
      method: 'POST',
      path,
      ca: server.devCertificate?.caPem ?? '',
      body: JSON.stringify({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys } }),
    });
    assert.equal(res.status, 200, res.body);
    return (JSON.parse(res.body) as { response: { items: Item[] } }).response.items;
  }
  const verdictOf = (item: Item | undefined): Verdict => {
    assert.ok(item && typeof item.value === 'object', `expected a verdict, got ${JSON.stringify(item)}`);
    return item.value as Verdict;
  };

  it('verifies signed, unsigned, tampered and wrong-identity images in one request', async function () {
    const items = await call('verify', [ref('signed'), ref('unsigned'), ref('tampered'), ref('stranger')]);
    assert.deepEqual(items.map((i) => i.key), [ref('signed'), ref('unsigned'), ref('tampered'), ref('stranger')]);
    const [signed, unsigned, tampered, stranger] = items.map(verdictOf);
    assert.equal(signed?.isSuccess, true);
    assert.equal(signed?.verifierReports[0]?.subject, `${registry?.host}/e2e/app@${images.signed?.digest}`);
    assert.equal(unsigned?.isSuccess, false);
    assert.equal(unsigned?.verifierReports[0]?.errorReason, 'SIGNATURE_NOT_FOUND');
    assert.equal(tampered?.isSuccess, false);
    assert.equal(tampered?.verifierReports[0]?.errorReason, 'SIGNATURE_INVALID');
    assert.equal(stranger?.isSuccess, false);
    assert.equal(stranger?.verifierReports[0]?.errorReason, 'UNTRUSTED_IDENTITY');
  });

  it('mutate returns host/repo:tag@digest with idempotent true', async function () {
    const items = await call('mutate', [ref('signed')], '/v1/mutate');
    assert.equal(items[0]?.value, `${ref('signed')}@${images.signed?.digest}`);
  });

  it('applies [namespace] configuration: a namespace without certificates refuses, others fall back', async function () {
    const items = await call('verify', [`[locked]${ref('signed')}`, `[open]${ref('signed')}`]);
    assert.equal(verdictOf(items[0]).isSuccess, false);
    assert.equal(verdictOf(items[0]).verifierReports[0]?.errorReason, 'NO_TRUSTED_CERTIFICATE');
    assert.equal(verdictOf(items[1]).isSuccess, true);
  });

  it('a configuration change (certificate removed) flips a cached pass to a fail at once', async function () {
    assert.equal(verdictOf((await call('verify', [ref('signed')]))[0]).isSuccess, true);
    const previous = config;
    try {
      config = makeConfig(previous.generation + 1, scopeConfig([await verifierConfig(dirs, [])]));
      const after = verdictOf((await call('verify', [ref('signed')]))[0]);
      assert.equal(after.isSuccess, false);
      assert.match(after.verifierReports[0]?.message ?? '', /no trusted certificate/);
      config = makeConfig(previous.generation + 2, scopeConfig([await verifierConfig(dirs, [(await testPki()).root.pem])]));
      assert.equal(verdictOf((await call('verify', [ref('signed')]))[0]).verifierReports[0]?.errorReason, 'UNTRUSTED_SIGNER');
    } finally {
      config = makeConfig(previous.generation + 3, previous.cluster, Object.fromEntries(previous.namespaces));
    }
  });

  it('a slow registry yields partial results; the late key finishes in the background and is cached', async function () {
    proxy.hold = /\/manifests\/sha256-/; // the referrers tag-schema lookup through the proxy waits until released
    deadlines.verifyMs = 1000;
    try {
      const items = await call('verify', [ref('signed'), ref('slow', proxy.host)]);
      assert.equal(verdictOf(items[0]).isSuccess, true);
      assert.equal(items[1]?.error, 'timed out after 1000ms');
      assert.ok(proxy.heldCount() > 0, 'the late key is waiting on the registry, not finished');
      proxy.release();
      await waitFor(() => executor.stats().inFlight === 0, 'the late key to finish in the background');
      const forwarded = proxy.forwarded.length;
      const again = await call('verify', [ref('slow', proxy.host)]);
      assert.equal(verdictOf(again[0]).isSuccess, true);
      assert.equal(proxy.forwarded.length, forwarded, 'served from the caches the background work filled: no registry request');
    } finally {
      proxy.release();
      deadlines.verifyMs = 4900;
    }
  });

  it('a registry outage yields item errors that are not cached', async function () {
    proxy.outage = true;
    let items: Item[];
    try {
      items = await call('verify', [ref('unsigned', proxy.host)]);
    } finally {
      proxy.outage = false;
    }
    // the item error names the image, the request that failed and what to check (REGISTRY_UNREACHABLE's message)
    const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assert.match(
      items[0]?.error ?? '',
      new RegExp(`^could not verify "${escaped(ref('unsigned', proxy.host))}": (HEAD|GET) http://${escaped(proxy.host)}/v2/e2e/app/manifests/unsigned: \\S+; check that the registry is running and reachable$`),
    );
    const after = await call('verify', [ref('unsigned', proxy.host)]);
    assert.equal(verdictOf(after[0]).verifierReports[0]?.errorReason, 'SIGNATURE_NOT_FOUND');
  });

  it('answers bad input with its documented status over HTTPS', async function () {
    const ca = server.devCertificate?.caPem ?? '';
    const bad = await httpsCall(server.url, { method: 'POST', path: '/v1/verify', ca, body: '{"kind":"ProviderRequest"' });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /not valid JSON/);
    const big = await httpsCall(server.url, { method: 'POST', path: '/v1/verify', ca, body: ' '.repeat(1024 * 1024 + 10) });
    assert.equal(big.status, 413);
  });

  it('counts registry requests by host and status in /metrics', async function () {
    // its own image, so that the counts do not rest on what earlier tests did
    const repo = client.repository(`${registry?.host ?? ''}/e2e/metrics`);
    await signImage(repo, await pushImage(repo, 'v1'), pki);
    assert.equal(verdictOf((await call('verify', [`${registry?.host ?? ''}/e2e/metrics:v1`]))[0]).isSuccess, true);
    const text = await (await fetch(`${server.metricsUrl}/metrics`)).text();
    assert.match(text, new RegExp(`signgate_registry_requests_total\\{host="${registry?.host}",status="200"\\} \\d+`));
    assert.match(text, /signgate_verifications_total\{outcome="pass"\}/);
  });
});

describe('e2e: mTLS and certificate rotation on the provider listener', function () {
  it('accepts Gatekeeper\'s client certificate, refuses none, and rotates its own certificate without restart', async function () {
    const dir = await mkdtemp(join(tmpdir(), 'signgate-e2e-tls-'));
    const logger = pino({ level: 'silent' });
    try {
      const gkKey = await createKeyPair('ec-p256');
      const now = Date.now();
      const gkRoot = await issueCertificate({ subject: 'CN=gatekeeper-ca', key: gkKey, notBefore: new Date(now - 3600_000), notAfter: new Date(now + 86_400_000), basicConstraints: { ca: true }, keyUsages: ['keyCertSign'] });
      const gkLeaf = await issueCertificate({ subject: 'CN=gatekeeper-webhook', key: await createKeyPair('ec-p256'), issuer: gkRoot, notBefore: new Date(now - 3600_000), notAfter: new Date(now + 86_400_000), extendedKeyUsages: ['1.3.6.1.5.5.7.3.2'] });
      await writeFile(join(dir, 'gatekeeper-ca.crt'), gkRoot.pem);
      const { createDevCertificate } = await import('../../provider/src/server/index.js');
      const first = createDevCertificate({ now: new Date(now) });
      const second = createDevCertificate({ now: new Date(now) });
      await writeFile(join(dir, 'tls.crt'), first.certPem);
      await writeFile(join(dir, 'tls.key'), first.keyPem);
      const s = await startServer({
        handler: (_q, r) => r.end('ok'),
        address: '127.0.0.1:0',
        tls: { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') },
        clientCaFile: join(dir, 'gatekeeper-ca.crt'),
        logger,
        clock: () => new Date(Date.now()),
        reloadDelayMs: 50,
      });
      try {
        const cert = gkLeaf.pem;
        const key = gkLeaf.key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
        assert.equal((await httpsCall(s.url, { ca: first.caPem, cert, key })).status, 200);
        await assert.rejects(httpsCall(s.url, { ca: first.caPem }), certificateRequired);
        await writeAtomically(join(dir, 'tls.key'), second.keyPem);
        await writeAtomically(join(dir, 'tls.crt'), second.certPem);
        await waitFor(async () => (await httpsCall(s.url, { ca: second.caPem, cert, key })).status === 200, 'the rotated certificate to be served without a restart');
      } finally {
        await s.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
