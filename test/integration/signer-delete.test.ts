/**
 * removeSignaturesOnDelete against Debian's docker-registry (delete enabled, and a second one with deletes disabled):
 * the signatures made with the deleted rule's certificate are removed from its namespace and nothing else is — not
 * another rule's, not a third party's (not even one whose manifest annotation claims the rule's thumbprint), not another
 * leaf of the same CA, not the rule's own signatures outside its namespace, never an image. `signgate verify` sees the
 * difference before and after; the referrers tag-schema indexes are re-pushed or deleted.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SigningRuleConfig } from '../../provider/src/config/index.js';
import { Registry, type Descriptor, type FetchLike, type Repository } from '../../provider/src/oci/index.js';
import { removeRuleSignatures, signerIdentity, SigningError, SigningService, type RuleKey } from '../../provider/src/signing/index.js';
import { cli } from '../support/cli.js';
import { createKeyPair, createPki, EKU, issueCertificate, YEAR_MS, type Pki } from '../support/pki.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';
import { AT, pushImage, signImage, TempDirs } from '../unit/verify/fixtures.js';

const THUMBPRINTS = 'io.cncf.notary.x509chain.thumbprint#S256';
const clock = (): Date => AT;

function ruleConfig(name: string, registry: string, namespace: string): SigningRuleConfig {
  return {
    name,
    registry,
    namespace,
    key: { door: 'file', keyPath: '/unused/key.pem', certificateChainPath: '/unused/chain.pem' },
    signatureType: 'Default',
    envelope: 'jws',
    trigger: 'Automatic',
    enabled: true,
    removeSignaturesOnDelete: true,
    plainHttp: true,
  };
}

/** The chain thumbprints annotation notation (and signgate's signer) writes on a signature manifest. */
function thumbprintAnnotation(pki: Pki): Record<string, string> {
  return { [THUMBPRINTS]: JSON.stringify(pki.chain.map((der) => createHash('sha256').update(der).digest('hex'))) };
}

describe('signing: removeSignaturesOnDelete on docker-registry', function () {
  this.timeout(120_000);
  const dirs = new TempDirs();
  let registry: RunningRegistry | undefined;
  let client: Registry;
  let dir: string;
  let ruleA: Pki;
  let ruleB: Pki;
  let thirdParty: Pki;
  let sameCaOtherLeaf: Pki;
  let keyA: RuleKey;
  const images: Record<string, Descriptor> = {};

  const repo = (host: string, name: string): Repository => client.repository(`${host}/${name}`);
  /** How many signature manifests the registry lists for an image. */
  const signatureCount = async (host: string, name: string, image: Descriptor): Promise<number> => (await repo(host, name).signatureManifests(image)).length;
  const verifyWith = (store: string, reference: string): Promise<number> =>
    cli('verify', reference, '--trust-policy', join(dir, 'policy.json'), '--trust-store', join(dir, store), '--at', AT.toISOString()).then((r) => r.code);

  before(async function () {
    requireComponent(this, 'docker-registry');
    dir = await dirs.make('signgate-delete-');
    client = new Registry({ fetch: fetch as FetchLike, clock, cache: { ttlMs: 0 } });
    ruleA = await createPki({ at: AT, leafSubject: 'CN=rule a,O=signgate' });
    ruleB = await createPki({ at: AT, caKey: 'ec-p384', leafKey: 'ec-p384', leafSubject: 'CN=rule b,O=signgate' });
    thirdParty = await createPki({ at: AT, caKey: 'ec-p521', leafKey: 'ec-p521', leafSubject: 'CN=third party,O=elsewhere' });
    // another leaf under rule A's own intermediate (same root): only the leaf tells the two apart
    const otherLeaf = await issueCertificate({
      subject: 'CN=same ca other team,O=signgate',
      key: await createKeyPair('ec-p256'),
      issuer: ruleA.intermediate,
      notBefore: new Date(AT.getTime() - YEAR_MS),
      notAfter: new Date(AT.getTime() + YEAR_MS),
      basicConstraints: { ca: false, critical: true },
      keyUsages: ['digitalSignature'],
      extendedKeyUsages: [EKU.codeSigning],
    });
    sameCaOtherLeaf = { ...ruleA, leaf: otherLeaf, chain: [otherLeaf.der, ruleA.intermediate.der, ruleA.root.der] };
    keyA = { signer: { description: 'rule A key file', sign: () => assert.fail('removal signs nothing'), close: async () => undefined }, identity: signerIdentity('rule-a', ruleA.chain) };
    for (const [name, pki] of [['store-a', ruleA], ['store-b', ruleB], ['store-third', thirdParty]] as const) {
      await mkdir(join(dir, name, 'x509', 'ca', 'test'), { recursive: true });
      await writeFile(join(dir, name, 'x509', 'ca', 'test', 'root.pem'), pki.root.pem);
    }
    const policy = { name: 'all', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:test'], trustedIdentities: ['*'] };
    await writeFile(join(dir, 'policy.json'), JSON.stringify({ version: '1.0', trustPolicies: [policy] }));
  });

  after(async () => {
    await registry?.stop();
    await dirs.cleanup();
  });

  it('deletes exactly the rule certificate\'s signatures in its namespace, cleans the referrers indexes, and is safe to run again', async () => {
    registry = await startRegistry();
    const host = registry.host;
    const r = (name: string): Repository => repo(host, name);
    const a = { annotations: thumbprintAnnotation(ruleA) };
    images.v1 = await pushImage(r('team-a/app'), 'v1');
    images.v2 = await pushImage(r('team-a/app'), 'v2');
    images.tool = await pushImage(r('team-a/tools/x'), 'v1');
    images.outside = await pushImage(r('other/app'), 'v1');
    images.moved = await pushImage(r('team-a/app'), 'moving', 'first content of moving');
    for (const image of [images.v1, images.v2, images.moved]) await signImage(r('team-a/app'), image, ruleA, { tag: 'v1', ...a });
    await signImage(r('team-a/tools/x'), images.tool, ruleA, a);
    await signImage(r('other/app'), images.outside, ruleA, a);
    for (const image of [images.v1, images.v2]) {
      await signImage(r('team-a/app'), image, ruleB, { annotations: thumbprintAnnotation(ruleB) });
      await signImage(r('team-a/app'), image, thirdParty, { annotations: thumbprintAnnotation(thirdParty) });
    }
    // a third party's signature whose manifest annotation claims rule A's certificate: annotations are never trusted
    await signImage(r('team-a/app'), images.v1, thirdParty, a);
    await signImage(r('team-a/app'), images.v2, sameCaOtherLeaf, { annotations: thumbprintAnnotation(sameCaOtherLeaf) });
    // a broken signature (an "envelope" over the 1 MiB bound) is nobody's: kept, and it does not stop the removal
    await r('team-a/app').pushSignature({ subject: images.v1, envelope: new Uint8Array(1024 * 1024 + 1).fill(0x7b), envelopeMediaType: 'application/jose+json', annotations: a.annotations });
    // the tag moves on: rule A's signature of the old digest is reachable only through its referrers index
    await pushImage(r('team-a/app'), 'moving', 'second content of moving');
    assert.equal(await signatureCount(host, 'team-a/app', images.v1), 5);
    assert.equal(await verifyWith('store-a', `${host}/team-a/app:v1`), 0, 'before: rule A\'s signature verifies');

    const summary = await removeRuleSignatures({ rule: ruleConfig('rule-a', host, 'team-a'), registry: client, key: keyA, clock });

    assert.equal(summary.removed.length, 4, JSON.stringify(summary));
    assert.deepEqual(new Set(summary.removed.map((x) => x.image)), new Set([images.v1, images.v2, images.moved].map((d) => `${host}/team-a/app@${d.digest}`).concat(`${host}/team-a/tools/x@${images.tool.digest}`)));
    assert.equal(summary.kept, 7, 'B, the third party, the forged annotation and the broken one on v1; B, the third party and the other leaf on v2');
    assert.deepEqual([summary.repositories, summary.indexesUpdated, summary.indexesDeleted], [2, 2, 2]);
    assert.equal(await signatureCount(host, 'team-a/app', images.v1), 4);
    assert.equal(await signatureCount(host, 'team-a/app', images.v2), 3);
    assert.equal(await signatureCount(host, 'team-a/tools/x', images.tool), 0);
    assert.equal(await signatureCount(host, 'other/app', images.outside), 1, 'outside the namespace nothing is touched');
    const toolTags = await r('team-a/tools/x').tags();
    assert.deepEqual([...toolTags], ['v1'], 'the emptied referrers index is deleted with its tag; the image stays');
    assert.ok(!(await r('team-a/app').tags()).includes(`sha256-${images.moved.digest.slice(7)}`), 'the moved-away digest\'s index is gone');
    for (const [name, tag] of [['team-a/app', 'v1'], ['team-a/app', 'v2'], ['team-a/app', 'moving'], ['team-a/tools/x', 'v1']] as const) await r(name).resolve(tag);
    // after: nothing of rule A verifies on v1; the broken signature that remains leaves it undecided (exit 3), not verified
    assert.equal(await verifyWith('store-a', `${host}/team-a/app:v1`), 3, 'after: rule A no longer signs v1');
    assert.equal(await verifyWith('store-a', `${host}/team-a/app:v2`), 0, 'the other leaf of the same CA still signs v2');
    assert.equal(await verifyWith('store-b', `${host}/team-a/app:v1`), 0, 'rule B\'s signature remains');
    assert.equal(await verifyWith('store-third', `${host}/team-a/app:v2`), 0, 'the third party\'s signature remains');

    const again = await removeRuleSignatures({ rule: ruleConfig('rule-a', host, 'team-a'), registry: client, key: keyA, clock });
    assert.deepEqual([again.removed.length, again.kept, again.indexesUpdated, again.indexesDeleted], [0, 7, 0, 0]);
  });

  it('reports a registry that does not allow deletes (405 UNSUPPORTED) and changes nothing', async () => {
    const refusing = await startRegistry({ deleteEnabled: false });
    try {
      const image = await pushImage(repo(refusing.host, 'team-a/app'), 'v1');
      await signImage(repo(refusing.host, 'team-a/app'), image, ruleA, { annotations: thumbprintAnnotation(ruleA) });
      const indexBefore = await repo(refusing.host, 'team-a/app').resolve(`sha256-${image.digest.slice(7)}`);
      await assert.rejects(removeRuleSignatures({ rule: ruleConfig('rule-a', refusing.host, 'team-a'), registry: client, key: keyA, clock }), (err: unknown) => {
        assert.ok(err instanceof SigningError);
        assert.equal(err.code, 'REGISTRY_DELETE_REFUSED');
        assert.match(err.message, /SigningRule rule-a from 127\.0\.0\.1:\d+\/team-a: the registry refused/);
        assert.match(err.message, /answered 405 \(registry says UNSUPPORTED/);
        assert.match(err.message, /storage\.delete\.enabled: true/);
        assert.match(err.message, /0 signature\(s\) of SigningRule rule-a were removed/);
        return true;
      });
      assert.equal(await signatureCount(refusing.host, 'team-a/app', image), 1);
      assert.equal((await repo(refusing.host, 'team-a/app').resolve(`sha256-${image.digest.slice(7)}`)).digest, indexBefore.digest);
    } finally {
      await refusing.stop();
    }
  });

  it('refuses to guess a plugin key\'s certificate before it has signed (SIGNER_IDENTITY_UNKNOWN), touching no registry', async () => {
    const rule = ruleConfig('plugin-rule', '127.0.0.1:1', 'team-a');
    const service = new SigningService({
      rules: [rule],
      registryFor: () => client, // never reached: 127.0.0.1:1 would refuse anyway
      keyFor: () => ({ signer: { description: 'Notation plugin "kms" key k-1', sign: () => assert.fail('nothing is signed'), close: async () => undefined }, identity: undefined }),
      baselines: { load: async () => undefined, save: async () => undefined },
      clock,
      sleep: async () => undefined,
      log: () => undefined,
    });
    await assert.rejects(service.removeSignatures(rule), (err: unknown) => {
      assert.ok(err instanceof SigningError);
      assert.equal(err.code, 'SIGNER_IDENTITY_UNKNOWN');
      assert.match(err.message, /SigningRule plugin-rule signs with Notation plugin "kms" key k-1, whose certificate is known only once it has signed/);
      assert.match(err.message, /nothing was removed from 127\.0\.0\.1:1\/team-a/);
      return true;
    });
  });
});
