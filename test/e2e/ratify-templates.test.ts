/**
 * Ratify v2 templates must not fail open (issue 10, section 5), end to end: ConstraintTemplates written the way
 * Ratify v1 (`isSuccess`) and Ratify v2 (`succeeded`) library templates read verdicts (test/fixtures/ratify-templates)
 * run through `signgate policy test --provider NAME=URL --provider-ca FILE` against the LIVE provider (real HTTPS,
 * real verification) backed by Debian's docker-registry holding one signed and one unsigned image: for both, the
 * unsigned image is denied and the signed one admitted. Needs docker-registry (test/support/requirements.ts).
 */
import assert from 'node:assert/strict';
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Registry, type FetchLike } from '../../provider/src/oci/index.js';
import { createApp, startServer, type RunningServer } from '../../provider/src/server/index.js';
import { createProviderExecutor, createRegistryPool } from '../../provider/src/verify/index.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';
import { AT, TempDirs, makeConfig, pushImage, scopeConfig, signImage, testPki, verifierConfig } from '../unit/verify/fixtures.js';
import { cli } from '../support/cli.js';

const FIXTURES = resolve(fileURLToPath(new URL('../fixtures/ratify-templates/', import.meta.url)));

describe('e2e: Ratify v1- and v2-style templates through signgate policy test against the live provider', function () {
  this.timeout(60_000);
  const dirs = new TempDirs();
  let registry: RunningRegistry | undefined;
  let server: RunningServer | undefined;
  let suites: string;
  let providerArgs: string[];

  before(async function () {
    requireComponent(this, 'docker-registry');
    registry = await startRegistry();
    const repo = new Registry({ fetch: fetch as FetchLike, clock: () => AT }).repository(`${registry.host}/compat/app`);
    const pki = await testPki();
    const signed = await pushImage(repo, 'signed');
    await pushImage(repo, 'unsigned');
    await signImage(repo, signed, pki);
    const config = makeConfig(1, scopeConfig([await verifierConfig(dirs, [pki.root.pem])]));
    const pool = createRegistryPool(() => new Registry({ fetch: fetch as FetchLike, clock: () => AT, retry: { retries: 0 } }));
    const executor = createProviderExecutor({ registryFor: (s) => pool.registryFor(s), clock: () => AT });
    const logger = pino({ level: 'silent' });
    const app = createApp({ configSource: { current: () => config, lastError: () => undefined }, executor, logger });
    server = await startServer({ handler: app.callback(), address: '127.0.0.1:0', logger, clock: () => new Date(Date.now()) });

    // a copy of the fixtures whose objects name this run's registry
    const dir = await dirs.make('signgate-ratify-templates-');
    suites = join(dir, 'ratify-templates');
    await cp(FIXTURES, suites, { recursive: true });
    for (const name of await readdir(join(suites, 'objects'))) {
      const file = join(suites, 'objects', name);
      await writeFile(file, (await readFile(file, 'utf8')).replaceAll('REGISTRY_HOST', registry.host));
    }
    const caFile = join(dir, 'provider-ca.pem');
    await writeFile(caFile, server.devCertificate?.caPem ?? '');
    const url = new URL('/ratify/gatekeeper/v1/verify', server.url).href;
    providerArgs = ['--provider', `ratify-provider=${url}`, '--provider', `ratify-gatekeeper-provider=${url}`, '--provider-ca', caFile];
  });
  after(async () => {
    await server?.close();
    await registry?.stop();
    await dirs.cleanup();
  });

  for (const [generation, field] of [['v1', 'isSuccess'], ['v2', 'succeeded']] as const) {
    it(`Ratify ${generation} style (denies on ${field} == false): signed admitted, unsigned denied`, async () => {
      const r = await cli('policy', 'test', join(suites, generation), ...providerArgs);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines.at(-1), '2 passed, 0 failed', r.stdout);
      assert.ok(lines.some((l) => /^ok\s+.*signed-admitted/.test(l)), r.stdout);
      assert.ok(lines.some((l) => /^ok\s+.*unsigned-denied/.test(l)), r.stdout);
    });
  }

  it('the v2 template admits everything when verdicts lack succeeded: the trap the field closes', async () => {
    // the same suite against the same provider, with the template reading a field no verdict carries
    const template = join(suites, 'v2', 'template.yaml');
    const original = await readFile(template, 'utf8');
    try {
      await writeFile(template, original.replace('subject_validation[1].succeeded == false', 'subject_validation[1].notAField == false'));
      const r = await cli('policy', 'test', join(suites, 'v2'), ...providerArgs);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /unsigned-denied/);
      assert.equal(r.stdout.trim().split('\n').at(-1), '1 passed, 1 failed');
    } finally {
      await writeFile(template, original);
    }
  });
});
