/**
 * `signgate sign` with keys in custody, end to end: keys generated on a SoftHSM2 token (not extractable) and Notation
 * plugins written for the test suite sign images in a real docker-registry; signgate's own verifier (`signgate
 * verify`) accepts the signatures. Every configuration mistake exits 2, every run-time plugin failure exits 3, and
 * nothing reaches the registry when a key's answer is refused.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry, type Descriptor, type FetchLike, type Repository } from '../../provider/src/oci/index.js';
import { installPlugin } from '../support/notationPlugins.js';
import { createKeyPair, createPki, type Pki } from '../support/pki.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';
import { createSoftHsm, type SoftHsm } from '../support/softhsm.js';
import { TempDirs, pushImage } from '../unit/verify/fixtures.js';
import { cli } from '../support/cli.js';

/** A leaf under one CA for every key of the test: the chain is [leaf, the CA's intermediate, the CA's root]. */
function underCa(leaf: Pki, ca: Pki): Pki {
  return { ...ca, leaf: leaf.leaf, chain: [leaf.leaf.der, ca.intermediate.der, ca.root.der] };
}
const pem = (pki: Pki): string => [pki.leaf.pem, pki.intermediate.pem, pki.root.pem].join('\n');

describe('signgate sign with keys in custody (SoftHSM2, Notation plugins) against docker-registry', function () {
  this.timeout(90_000);
  const dirs = new TempDirs();
  let registry: RunningRegistry;
  let repo: Repository;
  let hsm: SoftHsm;
  let dir: string;
  let trust: string[];
  const pkis: Record<string, Pki> = {};
  const ref = (tag: string): string => `${registry.host}/custody/app:${tag}`;
  const pkcs11 = (object: string, query = ''): string => `pkcs11:token=${hsm.token};object=${object}?module-path=${hsm.modulePath}&pin-value=${hsm.pin}${query}`;
  const verify = (tag: string) => cli('verify', ref(tag), ...trust);
  const image = async (tag: string): Promise<Descriptor> => pushImage(repo, tag, `custody ${tag}`);
  const signatures = async (subject: Descriptor) => repo.signatureManifests(subject);

  before(async function () {
    requireComponent(this, 'docker-registry');
    requireComponent(this, 'softhsm2');
    registry = await startRegistry();
    repo = new Registry({ fetch: fetch as FetchLike, clock: () => new Date() }).repository(`${registry.host}/custody/app`);
    hsm = await createSoftHsm();
    dir = await dirs.make('signgate-custody-');
    const at = new Date();
    const ca = await createPki({ at, caKey: 'ec-p256' });
    for (const [kind, label, id] of [['rsa-3072', 'rsa', '01'], ['ec-p256', 'ec', '02']] as const) {
      pkis[label] = underCa(await createPki({ at, leaf: { key: await hsm.generate(kind, label, id), issuer: ca.intermediate } }), ca);
      await writeFile(join(dir, `${label}.pem`), pem(pkis[label] as Pki));
    }
    pkis.plugin = underCa(await createPki({ at, leaf: { key: await createKeyPair('rsa-3072'), issuer: ca.intermediate } }), ca);
    pkis.other = underCa(await createPki({ at, leaf: { key: await createKeyPair('rsa-3072'), issuer: ca.intermediate } }), ca);
    await writeFile(join(dir, 'other.pem'), pem(pkis.other as Pki));
    const plugins = join(dir, 'plugins');
    for (const [name, mode] of [['com.example.kms', 'raw'], ['com.example.envelope', 'envelope'], ['other-bytes', 'other-bytes'], ['other-chain', 'other-chain'], ['denied', 'access-denied'], ['hang', 'hang'], ['verifier-only', 'verifier-only']] as const) {
      await installPlugin(plugins, name, mode, pkis.plugin as Pki, (pkis.other as Pki).chain);
    }
    await mkdir(join(dir, 'store', 'x509', 'ca', 'custody'), { recursive: true });
    await writeFile(join(dir, 'store', 'x509', 'ca', 'custody', 'root.pem'), ca.root.pem);
    await writeFile(
      join(dir, 'policy.json'),
      JSON.stringify({
        version: '1.0',
        trustPolicies: [{ name: 'custody', registryScopes: [`${registry.host}/custody/app`], signatureVerification: { level: 'strict' }, trustStores: ['ca:custody'], trustedIdentities: ['*'] }],
      }),
    );
    trust = ['--trust-policy', join(dir, 'policy.json'), '--trust-store', join(dir, 'store')];
  });
  after(async () => {
    await registry?.stop();
    await hsm?.stop();
    await dirs.cleanup();
  });

  for (const label of ['rsa', 'ec'] as const) {
    for (const envelope of ['jws', 'cose'] as const) {
      it(`PKCS#11 ${label === 'rsa' ? 'RSA-3072' : 'EC P-256'} key on SoftHSM2, ${envelope}: signed, pushed, verified by signgate`, async () => {
        const tag = `${label}-${envelope}`;
        await image(tag);
        const s = await cli('sign', ref(tag), '--key', pkcs11(label), '--cert', join(dir, `${label}.pem`), '--envelope', envelope);
        assert.equal(s.code, 0, s.stderr);
        const v = await verify(tag);
        assert.equal(v.code, 0, v.stdout + v.stderr);
      });
    }
  }

  it('PKCS#11: the module from SIGNGATE_PKCS11_MODULE and the PIN from pin-source', async () => {
    await image('env-module');
    const pinFile = join(dir, 'pin');
    await writeFile(pinFile, hsm.pin, { mode: 0o600 });
    process.env['SIGNGATE_PKCS11_MODULE'] = hsm.modulePath;
    try {
      const s = await cli('sign', ref('env-module'), '--key', `pkcs11:token=${hsm.token};object=ec?pin-source=file:${pinFile}`, '--cert', join(dir, 'ec.pem'));
      assert.equal(s.code, 0, s.stderr);
    } finally {
      delete process.env['SIGNGATE_PKCS11_MODULE'];
    }
    assert.equal((await verify('env-module')).code, 0);
  });

  it('PKCS#11 mistakes exit 2 with a clear message, and push nothing', async () => {
    const subject = await image('pkcs11-mistakes');
    const cases: [string[], RegExp][] = [
      [['--key', pkcs11('ec').replace(`pin-value=${hsm.pin}`, 'pin-value=0000'), '--cert', join(dir, 'ec.pem')], /login to the token of .* failed \(CKR_PIN_INCORRECT\): check the PIN/],
      [['--key', pkcs11('ec').replace(`token=${hsm.token}`, 'token=absent'), '--cert', join(dir, 'ec.pem')], /no token in .* matches pkcs11:token=absent;object=ec.*tokens present: "signgate-test"/],
      [['--key', pkcs11('absent'), '--cert', join(dir, 'ec.pem')], /no private key on the token matches pkcs11:token=signgate-test;object=absent/],
      [['--key', pkcs11('ec').replace(hsm.modulePath, '/nonexistent/module.so'), '--cert', join(dir, 'ec.pem')], /PKCS#11 module \/nonexistent\/module.so does not exist/],
      [['--key', `pkcs11:token=${hsm.token};object=ec?pin-value=${hsm.pin}`, '--cert', join(dir, 'ec.pem')], /names no PKCS#11 module/],
      [['--key', pkcs11('ec'), '--cert', join(dir, 'other.pem')], /leaf certificate given with --cert is for another key than pkcs11:token=signgate-test;object=ec/],
      [['--key', 'pkcs11:token=x'], /PKCS#11 URI is invalid: it names no key/],
    ];
    for (const [args, message] of cases) {
      const r = await cli('sign', ref('pkcs11-mistakes'), ...args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, new RegExp(`pin-value=${hsm.pin}\\b`), 'the PIN is never shown');
    }
    assert.deepEqual(await signatures(subject), []);
  });

  for (const [plugin, envelope] of [['com.example.kms', 'jws'], ['com.example.kms', 'cose'], ['com.example.envelope', 'jws']] as const) {
    it(`Notation plugin ${plugin} (${envelope}): signed, pushed, verified by signgate`, async () => {
      const tag = `${plugin.slice(12)}-${envelope}`;
      const subject = await image(tag);
      const s = await cli('sign', ref(tag), '--plugin', plugin, '--id', 'test-key', '--plugin-dir', join(dir, 'plugins'), '--plugin-config', 'region=test', '--envelope', envelope);
      assert.equal(s.code, 0, s.stderr);
      assert.equal((await verify(tag)).code, 0);
      const [manifest] = await signatures(subject);
      if (plugin === 'com.example.envelope') assert.equal(manifest?.descriptor.annotations?.['org.example.plugin'], plugin, 'the plugin annotations reach the signature manifest');
    });
  }

  it('bad plugins are refused before anything reaches the registry: exit 3 at run time, exit 2 for configuration', async () => {
    const subject = await image('bad-plugins');
    const cases: [string, number, RegExp, string[]][] = [
      ['other-bytes', 3, /plugin other-bytes \(key "test-key"\) returned a signature that does not verify/, []],
      ['other-chain', 3, /plugin other-chain .* does not verify/, []],
      ['denied', 3, /plugin denied failed describe-key with ACCESS_DENIED/, []],
      ['hang', 3, /plugin hang did not answer generate-signature within 2000 ms/, ['--timeout', '2s']],
      ['verifier-only', 2, /neither SIGNATURE_GENERATOR.RAW nor SIGNATURE_GENERATOR.ENVELOPE/, []],
      ['absent', 2, /Notation plugin absent is not installed/, []],
    ];
    for (const [plugin, code, message, extra] of cases) {
      const r = await cli('sign', ref('bad-plugins'), '--plugin', plugin, '--id', 'test-key', '--plugin-dir', join(dir, 'plugins'), ...extra);
      assert.equal(r.code, code, `${plugin}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.deepEqual(await signatures(subject), [], 'no signature was pushed');
    const v = await verify('bad-plugins');
    assert.equal(v.code, 1);
    assert.match(v.stdout, /no signatures found/);
  });

  it('key flags that do not go together exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--plugin', 'x'], /--plugin x needs --id KEY_ID/],
      [['--plugin', 'x', '--id', 'k', '--key', 'k.pem'], /--plugin and --key name two keys/],
      [['--plugin', 'x', '--id', 'k', '--cert', 'c.pem'], /--cert does not apply to --plugin/],
      [['--key', 'k.pem', '--id', 'k'], /--id applies only to --plugin NAME/],
      [[], /a key is required/],
      [['--plugin', 'x', '--id', 'k', '--plugin-config', 'novalue'], /--plugin-config "novalue" must be KEY=VALUE/],
    ];
    for (const [args, message] of cases) {
      const r = await cli('sign', ref('bad-plugins'), ...args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
    }
  });
});
