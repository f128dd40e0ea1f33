import assert from 'node:assert/strict';
import { Registry, type Descriptor, type FetchLike } from '../../../provider/src/oci/index.js';
import { createProviderExecutor, type ProviderExecutor, type ProviderExecutorOptions, type Verdict } from '../../../provider/src/verify/index.js';
import type { Config } from '../../../provider/src/config/types.js';
import { RegistryProxy } from '../../support/registryProxy.js';
import { startRegistry, type RunningRegistry } from '../../support/registry.js';
import { requireComponent } from '../../support/requirements.js';
import { waitFor } from '../../support/waitFor.js';
import type { Pki } from '../../support/pki.js';
import { testClock } from '../../integration/ociHelpers.js';
import { TempDirs, makeConfig, pushImage, scopeConfig, signImage, testPki, verifierConfig } from './fixtures.js';

const instantSleep = (_ms: number, signal?: AbortSignal): Promise<void> => (signal?.aborted ? Promise.reject(signal.reason as Error) : Promise.resolve());

function value(r: { value: Verdict } | { error: string }): Verdict {
  assert.ok('value' in r, `expected a verdict, got error: ${'error' in r ? r.error : ''}`);
  return r.value;
}

/**
 * The provider executor against the real docker-registry (no referrers API: the tag-schema fallback), through a
 * counting proxy (support/registryProxy.ts) that also holds or drops requests where a test needs it.
 */
describe('verify/provider executor (docker-registry)', function () {
  const dirs = new TempDirs();
  let registryServer: RunningRegistry;
  let server: RegistryProxy;
  let pki: Pki;
  let otherPki: Pki;
  let registry: Registry;
  let t: ReturnType<typeof testClock>;
  let config: Config;
  let signed: Descriptor;
  let unsigned: Descriptor;
  let both: Descriptor;
  const ctx = (c: Config | undefined = config, traceID = 'trace-1') => ({ config: c, traceID });

  before(async function () {
    requireComponent(this, 'docker-registry');
    registryServer = await startRegistry();
    server = await new RegistryProxy(registryServer.host).start();
    pki = await testPki();
    otherPki = await testPki('CN=other signer,O=elsewhere,C=US');
    // otherPki shares the shared CA key kind but is a new root: a different trust anchor
    t = testClock();
    registry = new Registry({ fetch: fetch as FetchLike, clock: t.clock, retry: { retries: 0 }, sleep: instantSleep });
    const repo = registry.repository(`${server.host}/team/app`);
    signed = await pushImage(repo, 'signed');
    await signImage(repo, signed, pki);
    unsigned = await pushImage(repo, 'unsigned');
    both = await pushImage(repo, 'both');
    await signImage(repo, both, pki);
    await signImage(repo, both, pki, { tamper: true });
    config = makeConfig(1, scopeConfig([await verifierConfig(dirs, [pki.root.pem])], 'all'));
  });
  after(async function () {
    registry?.close();
    await server?.stop();
    await registryServer?.stop();
    await dirs.cleanup();
  });

  function executor(extra: Partial<ProviderExecutorOptions> = {}): ProviderExecutor {
    registry.clearCaches();
    return createProviderExecutor({ registryFor: () => registry, clock: t.clock, ...extra });
  }
  /** Requests that reached the registry whose `METHOD path` contains `part`. */
  const requestsTo = (part: string): number => server.forwarded.filter((r) => r.includes(part)).length;

  it('passes a signed image, naming host/repo@digest and echoing the trace id', async function () {
    const v = value(await executor().verify(`${server.host}/team/app:signed`, ctx(config, 'abc')));
    assert.equal(v.isSuccess, true);
    assert.equal(v.traceID, 'abc');
    assert.equal(v.version, '0.2.0');
    assert.equal(v.verifierReports[0]?.subject, `${server.host}/team/app@${signed.digest}`);
    assert.equal(v.verifierReports[0]?.extensions.verificationPolicy, 'all');
  });

  it('fails an unsigned image with "no signatures found"', async function () {
    const v = value(await executor().verify(`${server.host}/team/app:unsigned`, ctx()));
    assert.equal(v.isSuccess, false);
    assert.equal(v.verifierReports[0]?.errorReason, 'SIGNATURE_NOT_FOUND');
    assert.match(v.verifierReports[0]?.message ?? '', /no signatures found/);
    assert.equal(unsigned.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  });

  it('policy all fails an image with one good and one tampered signature; policy any passes it', async function () {
    const all = value(await executor().verify(`${server.host}/team/app:both`, ctx()));
    assert.equal(all.isSuccess, false);
    assert.equal(all.verifierReports.length, 2);
    assert.deepEqual(all.verifierReports.map((r) => r.isSuccess).sort(), [false, true]);
    const anyConfig = makeConfig(1, scopeConfig(config.cluster?.verifiers ?? [], 'any'));
    const any = value(await executor().verify(`${server.host}/team/app@${both.digest}`, ctx(anyConfig)));
    assert.equal(any.isSuccess, true);
  });

  it('refuses every image without a registry request when no certificate is trusted, saying how to add one', async function () {
    const before = server.forwarded.length;
    const empty = makeConfig(1, scopeConfig([await verifierConfig(dirs, [])]));
    const v = value(await executor().verify(`${server.host}/team/app:signed`, ctx(empty)));
    assert.equal(v.isSuccess, false);
    assert.equal(v.verifierReports[0]?.errorReason, 'NO_TRUSTED_CERTIFICATE');
    assert.match(v.verifierReports[0]?.remediation ?? '', /KeyManagementProvider/);
    assert.equal(server.forwarded.length, before);
  });

  it('serves a second verification from the verdict cache with a fresh trace id and no registry request', async function () {
    const ex = executor();
    value(await ex.verify(`${server.host}/team/app:signed`, ctx(config, 't1')));
    const before = server.forwarded.length;
    const again = value(await ex.verify(`${server.host}/team/app@${signed.digest}`, ctx(config, 't2')));
    assert.equal(again.isSuccess, true);
    assert.equal(again.traceID, 't2');
    assert.equal(server.forwarded.length, before);
    assert.equal(ex.stats().verdictCache.hits, 1);
  });

  it('a configuration generation bump makes a cached pass unreachable at once', async function () {
    const ex = executor();
    assert.equal(value(await ex.verify(`${server.host}/team/app:signed`, ctx())).isSuccess, true);
    const rotated = makeConfig(2, scopeConfig([await verifierConfig(dirs, [otherPki.root.pem])]));
    const v = value(await ex.verify(`${server.host}/team/app:signed`, ctx(rotated)));
    assert.equal(v.isSuccess, false);
    assert.equal(v.verifierReports[0]?.errorReason, 'UNTRUSTED_SIGNER');
  });

  it('expires verdicts after the TTL on the injected clock', async function () {
    const ex = executor({ cache: { ttlMs: 1000 } });
    value(await ex.verify(`${server.host}/team/app@${signed.digest}`, ctx()));
    value(await ex.verify(`${server.host}/team/app@${signed.digest}`, ctx()));
    const counts = (): object => ({ ...ex.stats().verdictCache, bytes: undefined });
    assert.deepEqual(counts(), { hits: 1, misses: 1, entries: 1, bytes: undefined });
    t.advance(1500);
    value(await ex.verify(`${server.host}/team/app@${signed.digest}`, ctx()));
    assert.deepEqual(counts(), { hits: 1, misses: 2, entries: 1, bytes: undefined });
  });

  it('a registry outage is an item error that is not cached; the next call decides', async function () {
    const ex = executor();
    server.outage = true;
    try {
      const r = await ex.verify(`${server.host}/team/app:signed`, ctx());
      assert.ok('error' in r, JSON.stringify(r));
      assert.match(r.error, /^could not verify ".*team\/app:signed": .*check that the registry is running and reachable$/);
    } finally {
      server.outage = false;
    }
    assert.equal(ex.stats().verdictCache.entries, 0);
    assert.equal(value(await ex.verify(`${server.host}/team/app:signed`, ctx())).isSuccess, true);
  });

  it('runs identical in-flight work once', async function () {
    const ex = executor();
    // the tag-schema signature lookup (GET .../manifests/sha256-<hex>) waits until the test releases it
    const lookup = `/manifests/${signed.digest.replace(':', '-')}`;
    server.hold = new RegExp(lookup);
    const before = requestsTo(lookup);
    const resolvedBefore = requestsTo(`/v2/team/app/manifests/${signed.digest}`);
    try {
      const key = `${server.host}/team/app:signed`;
      const pending = Promise.all([ex.verify(key, ctx(config, 'a')), ex.verify(key, ctx(config, 'b')), ex.verify(`${server.host}/team/app@${signed.digest}`, ctx(config, 'c'))]);
      await waitFor(() => server.heldCount() === 1, 'the signature lookup of the shared work');
      // the digest key resolves by its own request, then joins the work already running for that subject
      await waitFor(() => requestsTo(`/v2/team/app/manifests/${signed.digest}`) > resolvedBefore, 'the digest key to resolve');
      server.release();
      const results = await pending;
      assert.deepEqual(results.map((r) => value(r).traceID), ['a', 'b', 'c']);
      assert.ok(results.every((r) => value(r).isSuccess));
    } finally {
      server.release();
    }
    assert.equal(requestsTo(lookup) - before, 1, 'one signature lookup for three keys of one subject');
  });

  it('applies a namespace\'s own configuration, falling back to the cluster-wide one', async function () {
    const cfg = makeConfig(3, config.cluster, { strict: scopeConfig([await verifierConfig(dirs, [otherPki.root.pem])]) });
    const ex = executor();
    assert.equal(value(await ex.verify(`[strict]${server.host}/team/app:signed`, ctx(cfg))).isSuccess, false);
    assert.equal(value(await ex.verify(`[other]${server.host}/team/app:signed`, ctx(cfg))).isSuccess, true);
    assert.equal(value(await ex.verify(`${server.host}/team/app:signed`, ctx(cfg))).isSuccess, true);
  });

  it('answers item errors for bad keys, missing configuration and unknown tags', async function () {
    const ex = executor();
    const bad = await ex.verify('Not A Reference!', ctx());
    assert.ok('error' in bad && /image reference .* is invalid/.test(bad.error));
    const badNs = await ex.verify('[Bad_NS]x/y:z', ctx());
    assert.ok('error' in badNs && /invalid namespace/.test(badNs.error));
    const none = await ex.verify(`${server.host}/team/app:signed`, { config: undefined, traceID: 't' });
    assert.ok('error' in none && /no configuration is loaded/.test(none.error));
    const noVerifier = await ex.verify(`${server.host}/team/app:signed`, ctx(makeConfig(1, undefined)));
    assert.ok('error' in noVerifier && /no Verifier is configured/.test(noVerifier.error));
    const missing = await ex.verify(`${server.host}/team/app:nope`, ctx());
    assert.ok('error' in missing, JSON.stringify(missing));
    assert.match(missing.error, /could not verify/);
  });

  it('mutate resolves tags to tag@digest, keeps digests, and can drop the tag', async function () {
    assert.deepEqual(await executor().mutate(`${server.host}/team/app:signed`, ctx()), { value: `${server.host}/team/app:signed@${signed.digest}` });
    assert.deepEqual(await executor({ dropTag: true }).mutate(`[ns]${server.host}/team/app:signed`, ctx()), { value: `${server.host}/team/app@${signed.digest}` });
    const pinned = `${server.host}/team/app:x@${signed.digest}`;
    assert.deepEqual(await executor().mutate(pinned, ctx()), { value: pinned });
    const missing = await executor().mutate(`${server.host}/team/app:nope`, ctx());
    assert.ok('error' in missing && /could not resolve/.test(missing.error));
  });

  it('caches "no signatures found" as decided; a freshly signed image shows at most Store ttl + verdict TTL later', async function () {
    // signed from another client, as a CI pipeline would: the provider's registry client learns of it only through the registry
    const signer = new Registry({ fetch: fetch as FetchLike, clock: t.clock, retry: { retries: 0 }, sleep: instantSleep });
    const repo = signer.repository(`${server.host}/team/late`);
    const image = await pushImage(repo, 'late');
    const ex = executor({ cache: { ttlMs: 60_000 } }); // the default verdict TTL; the registry's tag/referrers TTL is 10 s
    const key = `${server.host}/team/late@${image.digest}`;
    const first = value(await ex.verify(key, ctx()));
    assert.equal(first.isSuccess, false);
    assert.match(first.verifierReports[0]?.message ?? '', /no signatures found/);
    assert.equal(ex.stats().verdictCache.entries, 1, 'a permanent fail is a decided verdict and is cached');
    await signImage(repo, image, pki);
    signer.close();
    // worst case: 9 s later a configuration change (a new content digest: here the Policy's mode) decides again,
    // from the referrer list cached at t0
    t.advance(9_000);
    const reloaded = makeConfig(config.generation + 1, scopeConfig(config.cluster?.verifiers ?? [], 'any'));
    assert.equal(value(await ex.verify(key, ctx(reloaded))).isSuccess, false, 'the stale referrer list still has no signature');
    t.advance(59_000); // t0 + 68 s: that fail is still within its 60 s verdict TTL
    assert.equal(value(await ex.verify(key, ctx(reloaded))).isSuccess, false);
    t.advance(1_500); // t0 + 69.5 s: past 9 s + 60 s, inside 10 s + 60 s
    const signedNow = value(await ex.verify(key, ctx(reloaded)));
    assert.equal(signedNow.isSuccess, true, JSON.stringify(signedNow.verifierReports[0]));
  });
});
