/**
 * `signgate signer serve --config FILE` (its own process) re-reads its SigningRules when the file changes, against
 * Debian's docker-registry: an invalid change is refused with the field path and the rules in use keep signing; an
 * added rule records its baseline before it signs; a rule removed with removeSignaturesOnDelete has exactly its
 * signatures deleted, logged with counts; the tag binding of its Default signatures refuses a retagged image (signgate
 * verify --verify-tag). Push notifications are posted by the test (the registry's own notifier is
 * exercised in signer-push.test.ts). Rule files are replaced by rename, as editors and ConfigMap mounts do.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry, type Descriptor, type FetchLike, type Repository } from '../../provider/src/oci/index.js';
import { cli } from '../support/cli.js';
import { createPki, type Pki } from '../support/pki.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';
import { startServeProcess, type LogLine, type ServeProcess } from '../support/serveProcess.js';
import { SIGNER_TOKEN, writeSignerFiles, type SignerRuleSpec } from '../support/signerFiles.js';
import { waitFor } from '../support/waitFor.js';
import { pushImage, signImage, TempDirs, testPki } from '../unit/verify/fixtures.js';

const REMOVE = '  removeSignaturesOnDelete: true\n';

describe('signgate signer serve: SigningRules reloaded from files', function () {
  this.timeout(120_000);
  const dirs = new TempDirs();
  let registry: RunningRegistry | undefined;
  let signer: ServeProcess | undefined;
  let client: Registry;
  let pki: Pki;
  let dir: string;
  let url: string;

  const repo = (name: string): Repository => client.repository(`${registry?.host ?? ''}/${name}`);
  const signatureCount = async (name: string, image: Descriptor): Promise<number> => (await repo(name).signatureManifests(image)).length;
  /** Replaces the rules file by rename (written complete in another folder first). */
  const writeRules = async (rules: readonly SignerRuleSpec[], edit: (yaml: string) => string = (y) => y): Promise<void> => {
    const staging = await dirs.make('signgate-rules-');
    const { rulesFile } = await writeSignerFiles(staging, registry?.host ?? '', pki, rules);
    await writeFile(rulesFile, edit(await readFile(rulesFile, 'utf8')));
    await rename(rulesFile, join(dir, 'rules.yaml'));
  };
  /** What docker-registry would send for a pushed tag. */
  const notify = async (name: string, tag: string, image: Descriptor): Promise<void> => {
    const target = { mediaType: image.mediaType, digest: image.digest, size: image.size, repository: name, tag, url: `http://${registry?.host ?? ''}/v2/${name}/manifests/${image.digest}` };
    const answer = await fetch(`${url}/v1/registry-events`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json', authorization: `Bearer ${SIGNER_TOKEN}` },
      body: JSON.stringify({ events: [{ id: `${name}:${tag}`, action: 'push', target }] }),
    });
    assert.equal(answer.status, 202, await answer.text());
  };
  const signedSoon = (name: string, image: Descriptor): Promise<number> =>
    waitFor(async () => ((await signatureCount(name, image)) > 0 ? signatureCount(name, image) : undefined), `a signature on ${name}@${image.digest} (log: ${JSON.stringify(signer?.lines.slice(-6))})`, 30_000);
  const log = (match: (l: LogLine) => boolean, what: string): Promise<LogLine> => (signer as ServeProcess).waitForLog(match, what, 30_000);

  before(async function () {
    requireComponent(this, 'docker-registry');
    dir = await dirs.make('signgate-reload-');
    pki = await createPki({ at: new Date() });
    registry = await startRegistry();
    client = new Registry({ fetch: fetch as FetchLike, clock: () => new Date(), cache: { ttlMs: 0 } });
    const files = await writeSignerFiles(dir, registry.host, pki, [{ name: 'team-a', namespace: 'team-a', extra: REMOVE }]);
    signer = startServeProcess([...files.args, '--insecure-listen', '127.0.0.1:0', '--resync-interval', '10m'], {}, ['signer', 'serve']);
    url = String((await log((l) => l.msg === 'signer listening', 'the signer to listen')).url);
    await log((l) => l.msg.startsWith('took the baseline of SigningRule team-a'), 'the baseline of team-a');
  });

  after(async () => {
    signer?.kill();
    await registry?.stop();
    await dirs.cleanup();
  });

  it('refuses an invalid change naming the field, and the rules in use keep signing', async () => {
    const v1 = await pushImage(repo('team-a/app'), 'v1');
    await notify('team-a/app', 'v1', v1);
    await signedSoon('team-a/app', v1);
    await writeRules([{ name: 'team-a', namespace: 'team-a', extra: `${REMOVE}  signatureType: Bogus\n` }]);
    const refused = await log((l) => l.level === 50 && /spec\.signatureType/.test(l.msg), 'the refused change');
    assert.match(refused.msg, /rules\.yaml:\d+ \(document 1, SigningRule "team-a"\): spec\.signatureType: must be one of/);
    assert.match(refused.msg, /the SigningRules in use keep signing/);
    const v2 = await pushImage(repo('team-a/app'), 'v2');
    await notify('team-a/app', 'v2', v2);
    await signedSoon('team-a/app', v2);
  });

  it('an added rule records its baseline first: what was there stays unsigned, a new push is signed', async () => {
    const old = await pushImage(repo('team-b/app'), 'old');
    await writeRules([
      { name: 'team-a', namespace: 'team-a', extra: REMOVE },
      { name: 'team-b', namespace: 'team-b' },
    ]);
    const reloaded = await log((l) => l.msg === 'SigningRules reloaded' && Array.isArray(l.added) && l.added.includes('team-b'), 'the reload that adds team-b');
    assert.deepEqual([reloaded.changed, reloaded.removed], [[], []]);
    await log((l) => l.msg === 'took the baseline of SigningRule team-b: 1 existing tags, signed only by backfill', 'the baseline of team-b');
    const fresh = await pushImage(repo('team-b/app'), 'new');
    await notify('team-b/app', 'new', fresh);
    await signedSoon('team-b/app', fresh);
    assert.equal(await signatureCount('team-b/app', old), 0, 'the baseline tag is not signed');
  });

  it('a rule removed with removeSignaturesOnDelete loses exactly its signatures, logged with counts', async () => {
    const v1 = await repo('team-a/app').resolve('v1');
    const v2 = await repo('team-a/app').resolve('v2');
    const teamB = await repo('team-b/app').resolve('new');
    const thirdParty = await testPki('CN=third party,O=elsewhere');
    await signImage(repo('team-a/app'), v1, thirdParty);
    assert.equal(await signatureCount('team-a/app', v1), 2);
    await writeRules([{ name: 'team-b', namespace: 'team-b' }]);
    const removed = await log((l) => l.rule === 'team-a' && /was deleted/.test(l.msg), 'the removal of team-a\'s signatures');
    assert.equal(removed.level, 30, removed.msg);
    assert.deepEqual([removed.removed, removed.kept, removed.scope], [2, 1, `${registry?.host ?? ''}/team-a`]);
    assert.match(removed.msg, /SigningRule team-a was deleted \(removeSignaturesOnDelete\): removed 2 of its signatures from .*\/team-a; 1 signatures of other signers kept/);
    assert.equal(await signatureCount('team-a/app', v1), 1, 'the third party\'s signature stays');
    assert.equal(await signatureCount('team-a/app', v2), 0);
    assert.equal(await signatureCount('team-b/app', teamB), 1, 'the other rule\'s signature stays');
    // team-a signs no more
    const v3 = await pushImage(repo('team-a/app'), 'v3');
    await notify('team-a/app', 'v3', v3);
    const b2 = await pushImage(repo('team-b/app'), 'b2');
    await notify('team-b/app', 'b2', b2);
    await signedSoon('team-b/app', b2);
    assert.equal(await signatureCount('team-a/app', v3), 0, 'a push into the removed rule\'s namespace is not signed');
  });

  it('a disabled rule keeps its signatures; deleted later with removeSignaturesOnDelete, its key is opened to remove them', async () => {
    const teamB = { name: 'team-b', namespace: 'team-b' };
    const teamC = { name: 'team-c', namespace: 'team-c', extra: REMOVE };
    await writeRules([teamB, teamC]);
    await log((l) => l.msg.startsWith('took the baseline of SigningRule team-c'), 'the baseline of team-c');
    const c1 = await pushImage(repo('team-c/app'), 'c1');
    await notify('team-c/app', 'c1', c1);
    await signedSoon('team-c/app', c1);
    await writeRules([teamB, { ...teamC, extra: `${REMOVE}  enabled: false\n` }]);
    await log((l) => l.msg === 'SigningRules reloaded' && Array.isArray(l.removed) && l.removed.includes('team-c'), 'the reload that disables team-c');
    assert.equal(await signatureCount('team-c/app', c1), 1, 'disabling removes nothing');
    await writeRules([teamB]);
    const removed = await log((l) => l.rule === 'team-c' && /was deleted/.test(l.msg), 'the removal of team-c\'s signatures');
    assert.deepEqual([removed.level, removed.removed, removed.kept], [30, 1, 0]);
    assert.equal(await signatureCount('team-c/app', c1), 0);
  });

  it('the signer\'s Default signature binds the tag: signgate verify --verify-tag refuses the image retagged (TAG_NOT_SIGNED)', async () => {
    const release = await pushImage(repo('team-b/app'), 'release');
    await notify('team-b/app', 'release', release);
    await signedSoon('team-b/app', release);
    const { bytes } = await repo('team-b/app').fetchManifest(release);
    await repo('team-b/app').pushManifest(bytes, release.mediaType, { tag: 'rollback' }); // no notification: not signed
    await mkdir(join(dir, 'trust', 'x509', 'ca', 'signer'), { recursive: true });
    await writeFile(join(dir, 'trust', 'x509', 'ca', 'signer', 'root.pem'), pki.root.pem);
    const policy = { name: 'all', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:signer'], trustedIdentities: ['*'] };
    await writeFile(join(dir, 'policy.json'), JSON.stringify({ version: '1.0', trustPolicies: [policy] }));
    const verify = (tag: string) => cli('verify', `${registry?.host ?? ''}/team-b/app:${tag}`, '--verify-tag', '--trust-policy', join(dir, 'policy.json'), '--trust-store', join(dir, 'trust'));
    assert.equal((await verify('release')).code, 0);
    const refused = await verify('rollback');
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stdout, /TAG_NOT_SIGNED\): tag "rollback" is not signed: .* they bind the tag "release" only/);
  });
});
