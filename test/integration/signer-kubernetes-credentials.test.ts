/**
 * `signgate signer serve --kubernetes` with a SigningRule whose `spec.registryCredentials.authProvider` names a
 * kubernetes.io/dockerconfigjson Secret (the Store's k8Secrets shape). Real parts: Debian's docker-registry with
 * htpasswd Basic auth and a `notifications` endpoint at the signer; the Kubernetes API is the protocol-level test
 * server (test/support/kubeApiServer.ts), holding the SigningRule, the key Secret and the credentials Secret. The
 * Secret is rotated while the signer runs: wrong credentials make signing fail (UNAUTHORIZED, in the rule's status),
 * right ones sign again, without a restart.
 */
import assert from 'node:assert/strict';
import type { KubernetesSigner } from '../../provider/src/cli/signerKubernetes.js';
import { Registry, staticCredentials, type FetchLike, type Repository } from '../../provider/src/oci/index.js';
import type { RunningServer } from '../../provider/src/server/index.js';
import { KubeApiTestServer } from '../support/kubeApiServer.js';
import { startTestKubernetesSigner } from '../support/kubernetesSigner.js';
import { createPki } from '../support/pki.js';
import { HTPASSWD_PASSWORD, HTPASSWD_USER, startRegistry, type RunningRegistry } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';
import { SIGNER_TOKEN } from '../support/signerFiles.js';
import { waitFor } from '../support/waitFor.js';
import { clientFor } from '../unit/k8s/helpers.js';
import { pushImage } from '../unit/verify/fixtures.js';

const NS = 'signgate-system';
const API = 'config.signgate.dev/v1alpha1';
const KUBE_TOKEN = 'kube-token-for-the-signer';
const base64 = (text: string): string => Buffer.from(text).toString('base64');

describe('signgate signer serve --kubernetes: SigningRule registryCredentials.authProvider (a dockerconfigjson Secret, rotated live)', function () {
  this.timeout(180_000);
  const api = new KubeApiTestServer({ token: KUBE_TOKEN });
  let registry: RunningRegistry | undefined;
  let signer: KubernetesSigner | undefined;
  let server: RunningServer | undefined;
  let client: Registry;

  const repo = (name: string): Repository => client.repository(`${registry?.host ?? ''}/${name}`);
  const signatureCount = async (tag: string): Promise<number> => (await repo('team-a/app').signatureManifests(await repo('team-a/app').resolve(tag))).length;
  const signedSoon = (tag: string): Promise<true> => waitFor(async () => ((await signatureCount(tag)) > 0 ? true : undefined), `a signature on team-a/app:${tag}`, 60_000);
  const status = (): Record<string, unknown> => (api.get(API, 'SigningRule', 'team-a')?.status ?? {}) as Record<string, unknown>;
  const dockerConfigPath = (): string | undefined => signer?.rules().find((r) => r.name === 'team-a')?.dockerConfigPath;

  /** The credentials Secret, as `kubectl create secret docker-registry` writes it. */
  function applyCredentials(password: string): void {
    const auths = { [registry?.host ?? '']: { username: HTPASSWD_USER, password, auth: base64(`${HTPASSWD_USER}:${password}`) } };
    api.apply({ apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/dockerconfigjson', metadata: { name: 'registry-push', namespace: NS }, data: { '.dockerconfigjson': base64(JSON.stringify({ auths })) } });
  }

  /** Rotates the Secret and waits until the rule in effect uses a new credentials file. */
  async function rotate(password: string): Promise<void> {
    const before = dockerConfigPath();
    applyCredentials(password);
    await waitFor(() => (dockerConfigPath() !== undefined && dockerConfigPath() !== before ? true : undefined), 'the rule to take the rotated Secret');
  }

  before(async function () {
    requireComponent(this, 'docker-registry');
    const pki = await createPki({ at: new Date() });
    await api.start();
    api.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'signer-a', namespace: NS }, spec: {} });
    const started = await startTestKubernetesSigner({ pod: 'signer-a', namespace: NS, client: clientFor(api, KUBE_TOKEN) });
    signer = started.signer;
    server = started.server;
    registry = await startRegistry({ htpasswd: true, notifications: { url: `${server.url}/v1/registry-events`, headers: { Authorization: `Bearer ${SIGNER_TOKEN}` } } });
    client = new Registry({
      fetch: fetch as FetchLike,
      clock: () => new Date(),
      cache: { ttlMs: 0 },
      credentials: staticCredentials({ [registry.host]: { username: HTPASSWD_USER, password: HTPASSWD_PASSWORD } }),
    });
    const key = pki.leaf.key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const chain = [pki.leaf.pem, pki.intermediate.pem, pki.root.pem].join('\n');
    api.apply({ apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'team-a-key', namespace: NS }, data: { 'tls.key': base64(key), 'tls.crt': base64(chain) } });
    applyCredentials(HTPASSWD_PASSWORD);
    api.apply({
      apiVersion: API,
      kind: 'SigningRule',
      metadata: { name: 'team-a' },
      spec: {
        registry: registry.host,
        namespace: 'team-a',
        key: { file: { secretName: 'team-a-key', key: 'tls.key', certificateChain: 'tls.crt' } },
        // no namespace: the signer's
        registryCredentials: { authProvider: { name: 'k8Secrets', secrets: [{ secretName: 'registry-push' }] } },
      },
    });
    await waitFor(() => (signer?.isLeader() === true ? true : undefined), 'signer-a to lead');
  });

  after(async () => {
    await server?.close();
    await signer?.close();
    await registry?.stop();
    await api.close();
  });

  it('signs a push into the ruled namespace, authenticated with the Secret\'s credentials', async () => {
    const ready = await waitFor(() => ((status().conditions ?? []) as Record<string, unknown>[]).find((c) => c.type === 'Ready' && c.status === 'True'), 'team-a Ready=True');
    assert.equal(ready.reason, 'Accepted');
    assert.ok(dockerConfigPath() !== undefined, 'the rule in effect has the merged credentials file');
    await pushImage(repo('team-a/app'), 'v1');
    await signedSoon('v1');
    assert.equal(await signatureCount('v1'), 1);
  });

  it('the Secret replaced with a wrong password: signing fails with UNAUTHORIZED in status.lastError, nothing signed', async () => {
    await rotate('not-the-password');
    await pushImage(repo('team-a/app'), 'v2');
    const failed = await waitFor(() => (String(status().lastError ?? '').includes('team-a/app:v2') ? status() : undefined), 'status.lastError naming team-a/app:v2');
    assert.match(String(failed.lastError), /the registry needs credentials or rejected them/);
    assert.ok(Number(failed.failed) >= 1, `status.failed counts it: ${JSON.stringify(failed)}`);
    assert.equal(await signatureCount('v2'), 0);
  });

  it('fixed again: the rule signs without a restart (the failed tag at the resync, a new push at once)', async () => {
    await rotate(HTPASSWD_PASSWORD);
    await pushImage(repo('team-a/app'), 'v3');
    await signedSoon('v3');
    await signedSoon('v2');
    assert.deepEqual([await signatureCount('v1'), await signatureCount('v2'), await signatureCount('v3')], [1, 1, 1]);
  });
});
