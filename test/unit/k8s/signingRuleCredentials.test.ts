import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SigningRuleConfig } from '../../../provider/src/config/index.js';
import { startSigningRuleController, type SigningRuleController } from '../../../provider/src/k8s/index.js';
import type { KubeApiTestServer } from '../../support/kubeApiServer.js';
import { waitFor } from '../../support/waitFor.js';
import { removeTempDirs, tempDir } from '../config/helpers.js';
import { API, clientFor, secret, startApi } from './helpers.js';

const NS = 'signgate-system';
const DOCKER_CONFIG_TYPE = 'kubernetes.io/dockerconfigjson';
const auths = (user: string): string => JSON.stringify({ auths: { 'registry.example.com': { username: user, password: 'pw' } } });

function rule(secretName: string): Record<string, unknown> {
  return {
    apiVersion: API,
    kind: 'SigningRule',
    metadata: { name: 'team-a' },
    spec: {
      registry: 'registry.example.com',
      namespace: 'team-a',
      key: { file: { secretName: 'signing-key', key: 'tls.key', certificateChain: 'tls.crt' } },
      registryCredentials: { authProvider: { name: 'k8Secrets', secrets: [{ secretName }] } },
    },
  };
}

describe('k8s SigningRule controller: registryCredentials.authProvider Secrets (watched by name, rotated without a restart)', () => {
  let server: KubeApiTestServer;
  let controller: SigningRuleController | undefined;
  let stateDir: string;
  let applied: (readonly SigningRuleConfig[])[];

  beforeEach(async () => {
    server = await startApi();
    stateDir = await tempDir('signgate-signer-credentials-');
    applied = [];
  });
  afterEach(async () => {
    await controller?.close();
    controller = undefined;
    await server.close();
  });
  after(removeTempDirs);

  /** A standby (no status refresh): only the Secret watch can bring a rotation in. */
  function start(): SigningRuleController {
    controller = startSigningRuleController({
      client: clientFor(server),
      namespace: NS,
      isLeader: () => false,
      applyRules: async (rules) => {
        applied.push(rules);
        return new Map();
      },
      counts: () => [],
      removeSignatures: () => Promise.resolve(''),
      clock: () => new Date('2026-01-01T12:00:00Z'),
      log: () => {},
      stateDir,
      statusIntervalMs: 3_600_000,
    });
    return controller;
  }
  const pathNow = (): string | undefined => controller?.rules().find((r) => r.name === 'team-a')?.dockerConfigPath;

  it('writes the Secret\'s auths to a private file in stateDir, reads the signer\'s namespace, and follows a rotated Secret', async () => {
    server.apply(secret(NS, 'registry-push', { '.dockerconfigjson': auths('first') }, DOCKER_CONFIG_TYPE));
    server.apply(rule('registry-push'));
    const c = start();
    assert.equal(await c.waitForSync(5000), true);
    const first = await waitFor(pathNow, 'the rule with its credentials file');
    assert.equal(join(stateDir, first.slice(stateDir.length + 1)), first, 'the file is in stateDir');
    assert.deepEqual(JSON.parse(await readFile(first, 'utf8')), JSON.parse(auths('first')));
    assert.equal((await stat(first)).mode & 0o777, 0o600);

    server.apply(secret(NS, 'registry-push', { '.dockerconfigjson': auths('second') }, DOCKER_CONFIG_TYPE));
    const second = await waitFor(() => (pathNow() !== first ? pathNow() : undefined), 'the rotated Secret in effect');
    assert.deepEqual(JSON.parse(await readFile(second, 'utf8')), JSON.parse(auths('second')));
    assert.equal(applied.at(-1)?.[0]?.dockerConfigPath, second, 'applyRules got the rule with the new credentials');
    assert.deepEqual(await readdir(stateDir), [second.slice(stateDir.length + 1)], 'the old credentials file is removed');
  });

  it('a missing Secret keeps the rule out; creating it (seen by the watch) brings the rule in', async () => {
    server.apply(rule('not-yet'));
    const c = start();
    assert.equal(await c.waitForSync(5000), true);
    assert.deepEqual(c.rules(), []);
    server.apply(secret(NS, 'not-yet', { '.dockerconfigjson': auths('late') }, DOCKER_CONFIG_TYPE));
    const path = await waitFor(pathNow, 'the rule once its Secret exists');
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), JSON.parse(auths('late')));
  });

  it('a Secret of another type keeps the rule out, whatever its content', async () => {
    server.apply(secret(NS, 'opaque', { '.dockerconfigjson': auths('x') }));
    server.apply(rule('opaque'));
    const c = start();
    assert.equal(await c.waitForSync(5000), true);
    assert.deepEqual(c.rules(), []);
    assert.deepEqual(await readdir(stateDir), []);
  });
});
