/**
 * DESIGN.md "Verdict cache semantics": a digest mismatch, an oversized blob and a work timeout are "could not decide"
 * item errors, never cached, so the next request goes to the registry again and decides.
 *
 * Runs against the protocol-level OCI test server (test/support/ociServer.ts) because only it injects these faults
 * (wrong bytes, oversized body, slow answer) into one request; docker-registry serves only correct content.
 */
import assert from 'node:assert/strict';
import { OciError, Registry, type FetchLike, type OciErrorCode } from '../../../provider/src/oci/index.js';
import { createProviderExecutor, type ProviderExecutor, type ProviderExecutorOptions } from '../../../provider/src/verify/index.js';
import type { Config } from '../../../provider/src/config/types.js';
import { OciTestServer, type Fault } from '../../support/ociServer.js';
import { TempDirs, makeConfig, pushImage, scopeConfig, signImage, testPki, verifierConfig, AT } from './fixtures.js';

const instantSleep = (_ms: number, signal?: AbortSignal): Promise<void> => (signal?.aborted ? Promise.reject(signal.reason as Error) : Promise.resolve());

describe('verify/provider: could-not-decide errors are never cached (protocol-level registry: fault injection)', function () {
  const dirs = new TempDirs();
  let server: OciTestServer;
  let registry: Registry;
  let config: Config;
  let key: string;

  before(async function () {
    server = await new OciTestServer().start();
    const pki = await testPki();
    registry = new Registry({ fetch: fetch as FetchLike, clock: () => AT, retry: { retries: 0 }, sleep: instantSleep });
    const repo = registry.repository(`${server.host}/team/app`);
    await signImage(repo, await pushImage(repo, 'signed'), pki);
    config = makeConfig(1, scopeConfig([await verifierConfig(dirs, [pki.root.pem])]));
    key = `${server.host}/team/app:signed`;
  });
  afterEach(function () {
    server.fault = undefined;
  });
  after(async function () {
    registry.close();
    await server.stop();
    await dirs.cleanup();
  });

  /** The signature envelope is the only blob verification reads. */
  const envelopeFetches = (): number => server.requests.filter((r) => r.method === 'GET' && r.path.includes('/blobs/')).length;

  function executor(extra: Partial<ProviderExecutorOptions> = {}): { ex: ProviderExecutor; errors: unknown[] } {
    registry.clearCaches();
    const errors: unknown[] = [];
    const ex = createProviderExecutor({ registryFor: () => registry, clock: () => AT, events: { itemError: (_k, e) => errors.push(e) }, ...extra });
    return { ex, errors };
  }

  async function expectNotCached(fault: Fault, code: OciErrorCode, message: RegExp, extra: Partial<ProviderExecutorOptions> = {}): Promise<void> {
    const { ex, errors } = executor(extra);
    server.fault = (r) => (r.path.includes('/blobs/') ? fault : undefined);
    const failed = await ex.verify(key, { config, traceID: 't1' });
    assert.ok('error' in failed, `expected an item error, got a verdict: ${JSON.stringify(failed)}`);
    assert.match(failed.error, new RegExp(`^could not verify "${key.replace(/[.]/g, '\\.')}": `));
    assert.match(failed.error, message);
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof OciError, String(errors[0]));
    assert.equal(errors[0].code, code);
    assert.equal(ex.stats().verdictCache.entries, 0, 'nothing was cached');

    server.fault = undefined;
    const fetchesBefore = envelopeFetches();
    const decided = await ex.verify(key, { config, traceID: 't2' });
    assert.ok('value' in decided, `expected a verdict once the fault is gone, got ${JSON.stringify(decided)}`);
    assert.equal(decided.value.isSuccess, true);
    assert.equal(envelopeFetches(), fetchesBefore + 1, 'the next request read the signature from the registry again');
  }

  it('a blob whose bytes do not match its digest (DIGEST_MISMATCH)', async function () {
    await expectNotCached({ kind: 'wrong-digest' }, 'DIGEST_MISMATCH', /content hashes to sha256:[0-9a-f]{64}, not sha256:[0-9a-f]{64}; the content was tampered with or corrupted$/);
  });

  it('an oversized blob (SIZE_LIMIT_EXCEEDED)', async function () {
    await expectNotCached({ kind: 'oversized', bytes: 2 << 20, contentLength: 2 << 20 }, 'SIZE_LIMIT_EXCEEDED', /2097152 bytes/);
  });

  it('work that outlasts workTimeoutMs (REGISTRY_TIMEOUT)', async function () {
    // the envelope answer takes 2 s; the work bound is 100 ms (simulated slowness inside the test server)
    await expectNotCached({ kind: 'slow', delayMs: 2_000 }, 'REGISTRY_TIMEOUT', /deadline passed/, { workTimeoutMs: 100 });
  });
});
