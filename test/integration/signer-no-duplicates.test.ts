/**
 * One signature per subject and rule (issue 12, "plugin first-sign duplicate"), with real parts: Debian's
 * docker-registry, the test suite's Notation plugin (test/support/notationPlugins.ts), the CLI in process.
 * - A Notation plugin key: the plugin contract gives the certificate chain only with a signature (describe-key names
 *   the key id and spec alone), so a signer that learned its certificate from its first signature could not check
 *   coverage before it, and signed again, after every restart, what it had signed before. Each `signgate signer`
 *   command here is a fresh process state (a restart).
 * - A Simple rule (digest only) and one image pushed under two tags: both tags are worked on at once (backfill lanes,
 *   queue workers), and neither saw a signature when it checked, so both signed the one digest.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Registry, type FetchLike, type Repository } from '../../provider/src/oci/index.js';
import { cli } from '../support/cli.js';
import { installPlugin } from '../support/notationPlugins.js';
import { createPki } from '../support/pki.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';
import { writeSignerFiles, type SignerFiles } from '../support/signerFiles.js';
import { TempDirs, pushImage } from '../unit/verify/fixtures.js';

const PLUGIN = 'com.example.identity';

describe('signgate signer: one signature per subject and rule', function () {
  this.timeout(120_000);
  const dirs = new TempDirs();
  let registry: RunningRegistry | undefined;
  let client: Registry;
  let files: SignerFiles;
  let pluginDir: string;
  const repo = (): Repository => client.repository(`${registry?.host ?? ''}/team-p/app`);
  const signaturesOf = async (tag: string): Promise<number> => (await repo().signatureManifests(await repo().resolve(tag))).length;
  const signer = (...args: string[]) => cli('signer', ...args, '--config', files.rulesFile, '--state-dir', files.stateDir, '--plugin-dir', pluginDir);

  before(async function () {
    requireComponent(this, 'docker-registry');
    registry = await startRegistry();
    client = new Registry({ fetch: fetch as FetchLike, clock: () => new Date(), cache: { ttlMs: 0 } });
    const dir = await dirs.make('signgate-signer-plugin-');
    const pki = await createPki({ at: new Date() });
    pluginDir = join(dir, 'plugins');
    await installPlugin(pluginDir, PLUGIN, 'raw', pki);
    files = await writeSignerFiles(dir, registry.host, pki, [
      { name: 'team-p', namespace: 'team-p', key: `{plugin: {name: ${PLUGIN}, id: test-key}}` },
      { name: 'simple', namespace: 'simple', extra: '  signatureType: Simple\n' },
    ]);
    for (const tag of ['v1', 'v2', 'v3']) await pushImage(repo(), tag);
  });

  after(async () => {
    client.close();
    await registry?.stop();
    await dirs.cleanup();
  });

  it('a Notation plugin key signs each tag once: a second backfill (a restart) finds the signed tags covered and signs only the new one; status says signed', async () => {
    const first = await signer('backfill', 'team-p');
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /backfill team-p: 3 tags; 3 signed, 0 already signed, 0 skipped, 0 failed/);
    await pushImage(repo(), 'v4');

    const second = await signer('backfill', 'team-p');
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /backfill team-p: 4 tags; 1 signed, 3 already signed, 0 skipped, 0 failed/);
    for (const tag of ['v1', 'v2', 'v3', 'v4']) assert.equal(await signaturesOf(tag), 1, `team-p/app:${tag} has one signature`);

    const status = await signer('status', `${registry?.host ?? ''}/team-p`, '--output', 'json');
    assert.equal(status.code, 0, status.stderr);
    const v4 = (JSON.parse(status.stdout) as { tags: { tag: string; state: string; thumbprint?: string }[] }).tags.find((r) => r.tag === 'v4');
    assert.equal(v4?.state, 'signed', status.stdout);
    assert.match(v4.thumbprint ?? '', /^[0-9a-f]{64}$/);
  });

  it('a Simple rule signs an image pushed under several tags once, though its tags are worked on at once', async () => {
    const simple = client.repository(`${registry?.host ?? ''}/simple/app`);
    const subject = await pushImage(simple, 'v1', 'one image, four tags');
    for (const tag of ['latest', 'stable', 'v1.0']) await pushImage(simple, tag, 'one image, four tags');
    const run = await signer('backfill', 'simple', '--concurrency', '4');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /backfill simple: 4 tags; 1 signed, 3 already signed, 0 skipped, 0 failed/);
    assert.equal((await simple.signatureManifests(subject)).length, 1);
  });
});
