/**
 * End to end for the policy bundle: policies/verification/template.yaml evaluated by `signgate policy test` against the
 * LIVE provider (HTTPS, real verification) backed by Debian's docker-registry holding one signed and one unsigned
 * image. It proves that what the suite fixtures assume is what the provider really answers. Skips visibly when
 * /usr/bin/docker-registry is absent.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Registry, type FetchLike } from '../../provider/src/oci/index.js';
import { LiveHost, builtinEngine, runSuites } from '../../provider/src/policytest/index.js';
import { createApp, startServer, type RunningServer } from '../../provider/src/server/index.js';
import { createProviderExecutor, createRegistryPool } from '../../provider/src/verify/index.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';
import { AT, TempDirs, makeConfig, pushImage, scopeConfig, signImage, testPki, verifierConfig } from '../unit/verify/fixtures.js';

const POLICIES = resolve(fileURLToPath(new URL('../../policies/verification/', import.meta.url)));

function pod(name: string, images: Record<string, string>): string {
  const containers = Object.entries(images).map(([c, image]) => `    - name: ${c}\n      image: ${image}`).join('\n');
  return `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: default\nspec:\n  containers:\n${containers}\n`;
}

describe('e2e: the SignGateVerification template against the live provider', function () {
  this.timeout(60_000);
  const dirs = new TempDirs();
  let registry: RunningRegistry | undefined;
  let server: RunningServer | undefined;

  before(async function () {
    requireComponent(this, 'docker-registry');
    registry = await startRegistry();
    const client = new Registry({ fetch: fetch as FetchLike, clock: () => AT });
    const repo = client.repository(`${registry.host}/policy/app`);
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
  });
  after(async () => {
    await server?.close();
    await registry?.stop();
    await dirs.cleanup();
  });

  it('allows the signed image and denies the unsigned one with the provider\'s own reason and trace id', async () => {
    const host = registry?.host ?? '';
    const dir = await dirs.make();
    await mkdir(join(dir, 'objects'));
    await writeFile(join(dir, 'objects', 'signed.yaml'), pod('signed', { app: `${host}/policy/app:signed` }));
    await writeFile(join(dir, 'objects', 'mixed.yaml'), pod('mixed', { app: `${host}/policy/app:signed`, sidecar: `${host}/policy/app:unsigned` }));
    await writeFile(
      join(dir, 'suite.yaml'),
      [
        'kind: Suite',
        'apiVersion: test.gatekeeper.sh/v1alpha1',
        'metadata: {name: live}',
        'tests:',
        '  - name: live-provider',
        `    template: ${join(POLICIES, 'template.yaml')}`,
        `    constraint: ${join(POLICIES, 'constraints', 'deny.yaml')}`,
        '    cases:',
        '      - name: signed-allowed',
        '        object: objects/signed.yaml',
        '        assertions: [{violations: no}]',
        '      - name: unsigned-sidecar-denied',
        '        object: objects/mixed.yaml',
        '        assertions:',
        '          - violations: 1',
        `          - message: 'container "sidecar" image "${host}/policy/app:unsigned" failed signature verification: no signatures found'`,
        '          - message: "\\\\[trace [0-9a-f-]{36}\\\\]"',
        '',
      ].join('\n'),
    );
    const live = new LiveHost(
      new Map([
        ['signgate-verify', { name: 'signgate-verify', url: new URL('/ratify/gatekeeper/v1/verify', server?.url), ca: server?.devCertificate?.caPem }],
      ]),
    );
    const lines: string[] = [];
    const summary = await runSuites([dir], { engine: builtinEngine, live, out: (l) => lines.push(l) });
    assert.deepEqual({ passed: summary.passed, failed: summary.failed }, { passed: 2, failed: 0 }, lines.join('\n'));
  });
});
