/**
 * `signgate signer serve --kubernetes` as its own process, as a Pod runs it: the KubeConfig from KUBECONFIG (here
 * pointing at the protocol-level Kubernetes API test server), POD_NAME and POD_NAMESPACE as the downward API sets them,
 * a real docker-registry. It leads (the Lease, its Pod's label), keeps the rule's baseline in a ConfigMap, signs a tag
 * pushed after it (found by resync), writes the count into the SigningRule's status, and on SIGTERM exits 0 having
 * released the Lease and removed its label, so a standby takes over at once.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LEADER_LABEL } from '../../provider/src/k8s/index.js';
import { Registry, type FetchLike, type Repository } from '../../provider/src/oci/index.js';
import { KubeApiTestServer } from '../support/kubeApiServer.js';
import { createPki } from '../support/pki.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';
import { startServeProcess, type ServeProcess } from '../support/serveProcess.js';
import { SIGNER_TOKEN } from '../support/signerFiles.js';
import { waitFor } from '../support/waitFor.js';
import { pushImage } from '../unit/verify/fixtures.js';

const NS = 'signgate-system';
const API = 'config.signgate.dev/v1alpha1';

describe('e2e: signgate signer serve --kubernetes as a process (KUBECONFIG, downward API env, real docker-registry)', function () {
  this.timeout(180_000);
  const api = new KubeApiTestServer({ token: 'kube-token-e2e' });
  let registry: RunningRegistry | undefined;
  let signer: ServeProcess | undefined;
  let dir: string;
  let client: Registry;
  const repo = (name: string): Repository => client.repository(`${registry?.host ?? ''}/${name}`);
  const lease = (): Record<string, unknown> | undefined => api.get('coordination.k8s.io/v1', 'Lease', 'signgate-signer', NS)?.spec as Record<string, unknown> | undefined;
  const labelled = (): boolean => (api.get('v1', 'Pod', 'signer-0', NS)?.metadata.labels as Record<string, string>)[LEADER_LABEL] === 'true';

  before(async function () {
    requireComponent(this, 'docker-registry');
    dir = await mkdtemp(join(tmpdir(), 'signgate-signer-kube-e2e-'));
    await api.start();
    registry = await startRegistry();
    client = new Registry({ fetch: fetch as FetchLike, clock: () => new Date(), cache: { ttlMs: 0 } });
    const pki = await createPki({ at: new Date() });
    const kubeconfig = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster: { server: api.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'signer', user: { token: 'kube-token-e2e' } }],
      contexts: [{ name: 'test', context: { cluster: 'test', user: 'signer' } }],
      'current-context': 'test',
    };
    await writeFile(join(dir, 'kubeconfig'), JSON.stringify(kubeconfig));
    await writeFile(join(dir, 'token'), `${SIGNER_TOKEN}\n`);
    api.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'signer-0', namespace: NS, labels: { app: 'signer' } }, spec: {} });
    const key = pki.leaf.key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const chain = [pki.leaf.pem, pki.intermediate.pem, pki.root.pem].join('\n');
    api.apply({ apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'team-a-key', namespace: NS }, data: { 'tls.key': Buffer.from(key).toString('base64'), 'tls.crt': Buffer.from(chain).toString('base64') } });
    api.apply({ apiVersion: API, kind: 'SigningRule', metadata: { name: 'team-a' }, spec: { registry: registry.host, namespace: 'team-a', key: { file: { secretName: 'team-a-key', key: 'tls.key', certificateChain: 'tls.crt' } } } });
    await pushImage(repo('team-a/app'), 'before');
    signer = startServeProcess(
      ['--kubernetes', '--token-file', join(dir, 'token'), '--insecure-listen', '127.0.0.1:0', '--resync-interval', '1s'],
      { KUBECONFIG: join(dir, 'kubeconfig'), POD_NAME: 'signer-0', POD_NAMESPACE: NS },
      ['signer', 'serve'],
    );
  });

  after(async () => {
    signer?.kill();
    await registry?.stop();
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('leads, labels its Pod, takes the baseline into a ConfigMap, signs a later push and counts it in the rule status', async () => {
    assert.ok(signer);
    await signer.waitForLog((l) => l.msg === 'signer listening', 'the signer to listen');
    await waitFor(() => (lease()?.holderIdentity === 'signer-0' ? true : undefined), 'the Lease held by signer-0', 30_000);
    await waitFor(() => (labelled() ? true : undefined), 'the leader label on signer-0', 30_000);
    await waitFor(() => api.get('v1', 'ConfigMap', 'signgate-baseline-team-a', NS), 'the baseline ConfigMap', 30_000);
    const pushed = await pushImage(repo('team-a/app'), 'after');
    await waitFor(async () => ((await repo('team-a/app').signatureManifests(pushed)).length > 0 ? true : undefined), 'a signature on team-a/app:after', 60_000);
    const status = await waitFor(() => {
      const s = api.get(API, 'SigningRule', 'team-a')?.status as Record<string, unknown> | undefined;
      return s?.signed === 1 ? s : undefined;
    }, 'status.signed 1', 30_000);
    assert.equal(status.lastSignedImage, `${registry?.host ?? ''}/team-a/app:after@${pushed.digest}`);
    assert.equal((await repo('team-a/app').signatureManifests(await repo('team-a/app').resolve('before'))).length, 0, 'the baseline tag is not signed');
  });

  it('on SIGTERM exits 0 after releasing the Lease and removing its label', async () => {
    assert.ok(signer);
    signer.child.kill('SIGTERM');
    assert.equal(await signer.exit(), 0);
    assert.equal(lease()?.holderIdentity, '');
    assert.equal(labelled(), false);
  });
});
