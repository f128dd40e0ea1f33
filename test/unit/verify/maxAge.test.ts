/**
 * ItemContext.maxAgeMs (what the audit passes: its interval): a cached verdict younger than that is served; an older
 * one, still within the verdict cache's TTL, is not: the image is verified again against the registry, and the new
 * verdict is what later callers get. Against the real docker-registry, through the counting proxy.
 */
import assert from 'node:assert/strict';
import { Registry, type Descriptor, type FetchLike } from '../../../provider/src/oci/index.js';
import { createProviderExecutor, type Verdict } from '../../../provider/src/verify/index.js';
import type { Config } from '../../../provider/src/config/types.js';
import { RegistryProxy } from '../../support/registryProxy.js';
import { startRegistry, type RunningRegistry } from '../../support/registry.js';
import { requireComponent } from '../../support/requirements.js';
import { testClock } from '../../integration/ociHelpers.js';
import { TempDirs, makeConfig, pushImage, scopeConfig, signImage, testPki, verifierConfig } from './fixtures.js';

function value(r: { value: Verdict } | { error: string }): Verdict {
  assert.ok('value' in r, `expected a verdict, got error: ${'error' in r ? r.error : ''}`);
  return r.value;
}

describe('verify/provider executor: maxAgeMs (docker-registry)', function () {
  const dirs = new TempDirs();
  let registryServer: RunningRegistry;
  let proxy: RegistryProxy;
  let registry: Registry;
  let config: Config;
  let signed: Descriptor;
  let t: ReturnType<typeof testClock>;

  before(async function () {
    requireComponent(this, 'docker-registry');
    registryServer = await startRegistry();
    proxy = await new RegistryProxy(registryServer.host).start();
    const pki = await testPki();
    t = testClock();
    registry = new Registry({ fetch: fetch as FetchLike, clock: t.clock, retry: { retries: 0 } });
    const repo = registry.repository(`${proxy.host}/team/app`);
    signed = await pushImage(repo, 'signed');
    await signImage(repo, signed, pki);
    config = makeConfig(1, scopeConfig([await verifierConfig(dirs, [pki.root.pem])]));
  });
  after(async function () {
    registry?.close();
    await proxy?.stop();
    await registryServer?.stop();
    await dirs.cleanup();
  });

  it('serves a cached verdict younger than maxAgeMs, verifies again when it is older (within the cache TTL), and caches the new one', async function () {
    registry.clearCaches();
    const ex = createProviderExecutor({ registryFor: () => registry, clock: t.clock, cache: { ttlMs: 600_000 } });
    const key = `[team-a]${proxy.host}/team/app@${signed.digest}`;
    const first = value(await ex.verify(key, { config, traceID: 'admission' }));
    const reads = (): number => proxy.forwarded.filter((r) => r.includes('/manifests/')).length;
    const afterFirst = reads();

    t.advance(30_000);
    const young = await ex.verify(key, { config, traceID: 'audit-1', maxAgeMs: 60_000 });
    assert.equal(value(young).timestamp, first.timestamp);
    assert.equal('cacheHit' in young && young.cacheHit, true);
    assert.equal(reads(), afterFirst, 'no registry read for a verdict younger than maxAgeMs');

    t.advance(31_000); // 61 s old: within the 10-minute cache TTL, older than the audit's interval
    registry.clearCaches(); // the referrer list too (Store ttl), so the count shows the verification
    const old = await ex.verify(key, { config, traceID: 'audit-2', maxAgeMs: 60_000 });
    assert.equal('cacheHit' in old && old.cacheHit, false);
    assert.ok(reads() > afterFirst, 'verified again against the registry');
    assert.equal(value(old).timestamp, t.clock().toISOString(), 'decided now');

    const later = await ex.verify(key, { config, traceID: 'admission-2' });
    assert.equal(value(later).timestamp, value(old).timestamp, 'the fresh verdict replaced the old one in the cache');
  });
});
