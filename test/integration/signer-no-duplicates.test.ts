/**
 * A SigningRule whose key is a Notation plugin (issue 12, "plugin first-sign duplicate"): the plugin contract gives the
 * certificate chain only with a signature (describe-key names the key id and spec alone), so a signer that learned its
 * certificate from its first signature could not check coverage before that first signature, and signed again what
 * it had signed before every restart. Each `signgate signer` command here is a fresh process state (a restart): the
 * second backfill must find the tags signed, `status` must say so, and the registry must hold one signature per tag.
 * Real parts: Debian's docker-registry, the test suite's plugin (test/support/notationPlugins.ts), the CLI in process.
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

describe('signgate signer with a Notation plugin key: no second signature after a restart', function () {
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
    files = await writeSignerFiles(dir, registry.host, pki, [{ name: 'team-p', namespace: 'team-p', key: `{plugin: {name: ${PLUGIN}, id: test-key}}` }]);
    for (const tag of ['v1', 'v2', 'v3']) await pushImage(repo(), tag);
  });

  after(async () => {
    client.close();
    await registry?.stop();
    await dirs.cleanup();
  });

  it('signs each tag once: a second backfill (a restart) finds the signed tags covered and signs only the new one; status says signed', async () => {
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
});
