/**
 * The tag binding (Verifier parameter verifyTag, `signgate verify --verify-tag`) against Debian's docker-registry: a
 * tag passes only with a verified signature whose payload names it; a retagged image, a Simple (digest-only)
 * signature and an untrusted signature's annotation do not bind; a key by digest is not bound. The verdict cache and
 * in-flight dedupe keep verdicts of one tag away from another tag of the same digest.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry, type Descriptor, type FetchLike, type Repository } from '../../provider/src/oci/index.js';
import { createProviderExecutor, TAG_NOT_SIGNED, type ItemResult, type ProviderExecutor, type Verdict } from '../../provider/src/verify/index.js';
import type { Config } from '../../provider/src/config/types.js';
import { cli } from '../support/cli.js';
import type { Pki } from '../support/pki.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';
import { AT, TempDirs, makeConfig, pushImage, scopeConfig, signImage, testPki, verifierConfig } from '../unit/verify/fixtures.js';

function value(r: ItemResult<Verdict>): Verdict & { cacheHit?: boolean } {
  assert.ok('value' in r, `expected a verdict, got error: ${'error' in r ? r.error : ''}`);
  return { ...r.value, ...(r.cacheHit === undefined ? {} : { cacheHit: r.cacheHit }) };
}

/** The tag-binding report of a verdict, if any. */
const tagReport = (v: Verdict) => v.verifierReports.find((r) => r.errorReason === TAG_NOT_SIGNED);

describe('verify: tag binding (verifyTag) on docker-registry', function () {
  this.timeout(60_000);
  const dirs = new TempDirs();
  let server: RunningRegistry;
  let registry: Registry;
  let pki: Pki;
  let bound: Config;
  let unbound: Config;
  let dir: string;
  const images: Record<string, Descriptor> = {};
  const clock = (): Date => AT;

  const repo = (name: string): Repository => registry.repository(`${server.host}/${name}`);
  /** Puts the manifest `image` names under another tag too (docker tag + push). */
  const retag = async (name: string, image: Descriptor, tag: string): Promise<void> => {
    const { bytes } = await repo(name).fetchManifest(image);
    await repo(name).pushManifest(bytes, image.mediaType, { tag });
  };
  const executor = (): ProviderExecutor => createProviderExecutor({ registryFor: () => registry, clock });
  const verify = async (e: ProviderExecutor, key: string, config: Config = bound) => value(await e.verify(`${server.host}/${key}`, { config, traceID: 't' }));

  before(async function () {
    requireComponent(this, 'docker-registry');
    server = await startRegistry();
    registry = new Registry({ fetch: fetch as FetchLike, clock, cache: { ttlMs: 0 } });
    pki = await testPki();
    const untrusted = await testPki('CN=someone else,O=elsewhere');
    // app:v1 signed as a Default signature binds it; the same digest is later pushed as v2 too (a retag)
    images.v1 = await pushImage(repo('team/app'), 'v1');
    await signImage(repo('team/app'), images.v1, pki, { tag: 'v1' });
    await retag('team/app', images.v1, 'v2');
    // a Simple signature: the digest only
    images.simple = await pushImage(repo('team/app'), 'simple');
    await signImage(repo('team/app'), images.simple, pki);
    // trusted signature binds "other"; an untrusted one claims "forged"
    images.forged = await pushImage(repo('team/app'), 'forged');
    await signImage(repo('team/app'), images.forged, pki, { tag: 'other' });
    await signImage(repo('team/app'), images.forged, untrusted, { tag: 'forged' });
    const verifier = await verifierConfig(dirs, [pki.root.pem]);
    unbound = makeConfig(1, scopeConfig([verifier], 'any'));
    bound = makeConfig(1, scopeConfig([{ ...verifier, verifyTag: true }], 'any'));
    dir = await dirs.make('signgate-verify-tag-');
    await mkdir(join(dir, 'store', 'x509', 'ca', 'test'), { recursive: true });
    await writeFile(join(dir, 'store', 'x509', 'ca', 'test', 'root.pem'), pki.root.pem);
    const policy = { name: 'all', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:test'], trustedIdentities: ['*'] };
    await writeFile(join(dir, 'policy.json'), JSON.stringify({ version: '1.0', trustPolicies: [policy] }));
  });

  after(async () => {
    registry?.close();
    await server?.stop();
    await dirs.cleanup();
  });

  it('passes the tag a Default signature binds, and refuses the same digest retagged, naming tag, digest and the bound tags', async () => {
    const e = executor();
    assert.equal((await verify(e, 'team/app:v1')).isSuccess, true);
    const retagged = await verify(e, 'team/app:v2');
    assert.equal(retagged.isSuccess, false);
    assert.equal(retagged.succeeded, false);
    const report = tagReport(retagged);
    assert.ok(report, JSON.stringify(retagged.verifierReports));
    assert.equal(report.message, `tag "v2" is not signed: ${server.host}/team/app@${images.v1?.digest ?? ''} has 1 verified signature, but they bind the tag "v1" only; an image retagged after signing (an older image under a newer tag) is refused when the Verifier binds tags (verifyTag)`);
    assert.match(report.remediation, /Deploy the tag that the image's signatures name/);
    assert.deepEqual(report.extensions, { tag: 'v2', boundTags: ['v1'], verificationPolicy: 'any' });
    assert.equal(retagged.verifierReports.filter((r) => r.referenceDigest !== '' && r.isSuccess).length, 1, 'the signature itself still verifies and is reported');
    assert.equal((await verify(executor(), 'team/app:v2', unbound)).isSuccess, true, 'without verifyTag the retagged image passes');
  });

  it('a Simple (digest-only) signature binds no tag; a key by digest only is decided by its signatures', async () => {
    const e = executor();
    const simple = await verify(e, 'team/app:simple');
    assert.equal(simple.isSuccess, false);
    assert.match(tagReport(simple)?.message ?? '', /^tag "simple" is not signed: .* has 1 verified signature, but they bind no tag \(digest-only signatures\)/);
    assert.equal((await verify(e, `team/app@${images.simple?.digest ?? ''}`)).isSuccess, true);
    assert.equal((await verify(e, `team/app:simple@${images.simple?.digest ?? ''}`)).isSuccess, false, 'a tag beside the digest is bound');
  });

  it('an untrusted signature\'s tag annotation binds nothing', async () => {
    const forged = await verify(executor(), 'team/app:forged');
    assert.equal(forged.isSuccess, false);
    assert.deepEqual(tagReport(forged)?.extensions.boundTags, ['other']);
    assert.equal(forged.verifierReports.filter((r) => r.referenceDigest !== '').length, 2, 'both signatures are reported');
  });

  it('never answers one tag with a verdict cached (or in flight) for another tag of the same digest', async () => {
    const name = 'cache/app';
    const d = await pushImage(repo(name), 'v2');
    await signImage(repo(name), d, pki, { tag: 'v2' });
    await retag(name, d, 'v1');
    const e = executor();
    const first = await verify(e, `${name}:v2@${d.digest}`);
    assert.deepEqual([first.isSuccess, first.cacheHit], [true, false]);
    assert.deepEqual([(await verify(e, `${name}:v2@${d.digest}`)).cacheHit], [true], 'the pass is cached');
    const other = await verify(e, `${name}:v1`);
    assert.deepEqual([other.isSuccess, other.cacheHit, tagReport(other)?.extensions.tag], [false, false, 'v1']);
    assert.deepEqual([(await verify(e, `${name}:v1@${d.digest}`)).isSuccess], [false]);
    // at the same time, on a fresh executor: the in-flight work of one tag is not shared with the other
    const fresh = executor();
    const both = await Promise.all([verify(fresh, `${name}:v1`), verify(fresh, `${name}:v2`), verify(fresh, `${name}@${d.digest}`)]);
    assert.deepEqual(both.map((v) => v.isSuccess), [false, true, true]);
  });

  it('signgate verify --verify-tag: exit 1 with TAG_NOT_SIGNED for the retagged image, 0 for the signed tag', async () => {
    const run = (...args: string[]) => cli('verify', ...args, '--trust-policy', join(dir, 'policy.json'), '--trust-store', join(dir, 'store'), '--at', AT.toISOString());
    const refused = await run(`${server.host}/team/app:v2`, '--verify-tag');
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stdout, /^NOT VERIFIED: /);
    assert.match(refused.stdout, /NOT verified \(TAG_NOT_SIGNED\): tag "v2" is not signed: .* they bind the tag "v1" only/);
    assert.match(refused.stdout, /what to do: Deploy the tag that the image's signatures name/);
    assert.equal((await run(`${server.host}/team/app:v1`, '--verify-tag')).code, 0);
    assert.equal((await run(`${server.host}/team/app:v2`)).code, 0, 'without the flag the digest alone decides');
    const json = await run(`${server.host}/team/app:simple`, '--verify-tag', '--output', 'json');
    assert.equal(json.code, 1);
    assert.equal((JSON.parse(json.stdout) as Verdict).verifierReports.at(-1)?.errorReason, TAG_NOT_SIGNED);
    assert.equal((await run(`${server.host}/team/app@${images.simple?.digest ?? ''}`, '--verify-tag')).code, 0, 'a digest names no tag');
  });
});
