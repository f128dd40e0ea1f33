/**
 * `signgate signer serve --kubernetes`, two replicas, with real parts where they exist: Debian's docker-registry with
 * a `notifications` endpoint, images pushed over HTTP, signatures read back from the registry. The Kubernetes API is
 * the protocol-level test server (test/support/kubeApiServer.ts): SigningRule CRs, the key Secret, the Pods, the Lease
 * and the baseline ConfigMaps live there. Between the registry and the replicas sits this test's stand-in for the
 * chart's Service: it forwards each notification to the Pod that carries the leader label, as the Service's selector
 * does. The Lease timing is shortened (lease 3 s) so that a takeover does not take 14 s; the takeover itself is the
 * production code path (renewals stop, the record expires by the standby's own clock, it acquires).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubernetesSigner } from '../../provider/src/cli/signerKubernetes.js';
import { KubeError, LEADER_LABEL, type KubeClient } from '../../provider/src/k8s/index.js';
import { Registry, type Descriptor, type FetchLike, type Repository } from '../../provider/src/oci/index.js';
import type { RunningServer } from '../../provider/src/server/index.js';
import { KubeApiTestServer } from '../support/kubeApiServer.js';
import { startTestKubernetesSigner } from '../support/kubernetesSigner.js';
import { createPki, type Pki } from '../support/pki.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';
import { SIGNER_TOKEN } from '../support/signerFiles.js';
import { waitFor } from '../support/waitFor.js';
import { clientFor } from '../unit/k8s/helpers.js';
import { pushImage } from '../unit/verify/fixtures.js';

const NS = 'signgate-system';
const API = 'config.signgate.dev/v1alpha1';
const KUBE_TOKEN = 'kube-token-for-the-signer';

/** A signer replica: the in-process equivalent of one Pod running `signgate signer serve --kubernetes`. */
interface Replica {
  readonly pod: string;
  readonly signer: KubernetesSigner;
  readonly server: RunningServer;
  /** Cuts this replica off the Kubernetes API (as a crashed or partitioned Pod): its renewals stop. */
  cut: boolean;
}

describe('signgate signer serve --kubernetes: SigningRule CRs, ConfigMap baselines, Lease leader election (two replicas)', function () {
  this.timeout(180_000);
  const api = new KubeApiTestServer({ token: KUBE_TOKEN });
  const replicas: Replica[] = [];
  let registry: RunningRegistry | undefined;
  let client: Registry;
  let pki: Pki;
  let service: http.Server | undefined;
  let dropEvents = false;

  const repo = (name: string): Repository => client.repository(`${registry?.host ?? ''}/${name}`);
  const signatures = async (name: string, tag: string): Promise<readonly unknown[]> => repo(name).signatureManifests(await repo(name).resolve(tag));
  const signedSoon = (name: string, tag: string): Promise<true> => waitFor(async () => (await signatures(name, tag)).length > 0 || undefined, `a signature on ${name}:${tag}`, 60_000);
  const rule = (name: string): Record<string, unknown> => (api.get(API, 'SigningRule', name)?.status ?? {}) as Record<string, unknown>;
  const ready = (name: string): Record<string, unknown> | undefined => ((rule(name).conditions ?? []) as Record<string, unknown>[]).find((c) => c.type === 'Ready');
  const labelled = (pod: string): boolean => (api.get('v1', 'Pod', pod, NS)?.metadata.labels as Record<string, string> | undefined)?.[LEADER_LABEL] === 'true';
  const holder = (): unknown => (api.get('coordination.k8s.io/v1', 'Lease', 'signgate-signer', NS)?.spec as Record<string, unknown> | undefined)?.holderIdentity;

  function kubeClient(replica: { cut: boolean }): KubeClient {
    const real = clientFor(api, KUBE_TOKEN);
    const cutOff = (): Promise<never> => Promise.reject(new KubeError('KUBE_UNREACHABLE', 'cut off by the test'));
    return {
      request: (method, path, options) => (replica.cut ? cutOff() : real.request(method, path, options)),
      watch: (path, query, onEvent, signal) => (replica.cut ? cutOff() : real.watch(path, query, onEvent, signal)),
    };
  }

  async function startReplica(pod: string): Promise<Replica> {
    const state = { cut: false };
    const { signer, server } = await startTestKubernetesSigner({
      pod,
      namespace: NS,
      client: kubeClient(state),
      leaseTiming: { leaseDurationSeconds: 3, renewDeadlineMs: 2000, renewPeriodMs: 500, retryPeriodMs: 250 },
    });
    const replica: Replica = {
      pod,
      signer,
      server,
      get cut() {
        return state.cut;
      },
      set cut(value: boolean) {
        state.cut = value;
      },
    };
    replicas.push(replica);
    return replica;
  }

  /** The chart's Service: notifications go to the Pod with the leader label. */
  async function startService(): Promise<string> {
    service = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const target = replicas.find((r) => !r.cut && labelled(r.pod));
        if (dropEvents || target === undefined) return void res.writeHead(200).end(); // lost: resync must cover it
        const headers = { ...req.headers } as Record<string, string>;
        delete headers.host;
        fetch(`${target.server.url}${req.url ?? ''}`, { method: 'POST', headers, body: Buffer.concat(chunks) })
          .then(async (answer) => res.writeHead(answer.status).end(Buffer.from(await answer.arrayBuffer())))
          .catch(() => res.writeHead(502).end());
      });
    });
    await new Promise<void>((resolve) => service?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(service.address() as AddressInfo).port}/v1/registry-events`;
  }

  before(async function () {
    requireComponent(this, 'docker-registry');
    pki = await createPki({ at: new Date() });
    await api.start();
    registry = await startRegistry({ notifications: { url: await startService(), headers: { Authorization: `Bearer ${SIGNER_TOKEN}` } } });
    client = new Registry({ fetch: fetch as FetchLike, clock: () => new Date(), cache: { ttlMs: 0 } });
    for (const pod of ['signer-a', 'signer-b']) api.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: pod, namespace: NS, labels: { 'app.kubernetes.io/component': 'signer' } }, spec: {} });
    const key = pki.leaf.key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const chain = [pki.leaf.pem, pki.intermediate.pem, pki.root.pem].join('\n');
    api.apply({ apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'team-a-key', namespace: NS }, data: { 'tls.key': Buffer.from(key).toString('base64'), 'tls.crt': Buffer.from(chain).toString('base64') } });
    await pushImage(repo('team-a/app'), 'old'); // there before the rule: its baseline
    const spec = (namespace: string): Record<string, unknown> => ({ registry: registry?.host, namespace, key: { file: { secretName: 'team-a-key', key: 'tls.key', certificateChain: 'tls.crt' } } });
    api.apply({ apiVersion: API, kind: 'SigningRule', metadata: { name: 'team-a' }, spec: spec('team-a') });
    api.apply({ apiVersion: API, kind: 'SigningRule', metadata: { name: 'team-a-copy' }, spec: spec('team-a/app') });
    await startReplica('signer-a');
    await waitFor(() => replicas[0]?.signer.isLeader(), 'signer-a to lead');
    await startReplica('signer-b');
  });

  after(async () => {
    for (const r of replicas) {
      r.cut = false;
      await r.server.close();
      await r.signer.close();
    }
    await new Promise((resolve) => service?.close(resolve).closeAllConnections());
    await registry?.stop();
    await api.close();
  });

  it('takes the rule from its CR (key from the Secret), keeps its baseline in a ConfigMap and rejects a second rule for the namespace, naming the first', async () => {
    const accepted = await waitFor(() => (ready('team-a')?.status === 'True' ? ready('team-a') : undefined), 'team-a Ready=True');
    assert.equal(accepted.reason, 'Accepted');
    const baseline = await waitFor(() => api.get('v1', 'ConfigMap', 'signgate-baseline-team-a', NS), 'the baseline ConfigMap');
    assert.deepEqual(baseline.data, { rule: 'team-a', scope: `${registry?.host ?? ''}/team-a`, takenAt: (baseline.data as Record<string, string>).takenAt, count: '1' });
    const rejected = await waitFor(() => ready('team-a-copy'), 'team-a-copy Ready');
    assert.equal(rejected.status, 'False');
    assert.match(String(rejected.message), new RegExp(`spec.namespace: ${registry?.host ?? ''}/team-a/app is already covered by SigningRule "team-a"`));
    assert.equal((await signatures('team-a/app', 'old')).length, 0, 'the baseline is not signed');
  });

  it('only the leader signs a push (the event reaches it through the label) and the CR counts it; the leader alone carries the label', async () => {
    const [a, b] = replicas as [Replica, Replica];
    assert.equal(holder(), 'signer-a');
    assert.deepEqual([labelled('signer-a'), labelled('signer-b')], [true, false]);
    const v1: Descriptor = await pushImage(repo('team-a/app'), 'v1');
    await signedSoon('team-a/app', 'v1');
    const status = await waitFor(() => (rule('team-a').signed === 1 ? rule('team-a') : undefined), 'status.signed 1');
    assert.equal(status.lastSignedImage, `${registry?.host ?? ''}/team-a/app:v1@${v1.digest}`);
    assert.equal(a.signer.service.ruleStatuses()[0]?.signed, 1);
    assert.equal(b.signer.service.ruleStatuses()[0]?.signed ?? 0, 0, 'the standby signed nothing');
    assert.equal((await signatures('team-a/app', 'v1')).length, 1);
    const toStandby = await fetch(`${b.server.url}/v1/registry-events`, { method: 'POST', headers: { authorization: `Bearer ${SIGNER_TOKEN}`, 'content-type': 'application/json' }, body: '{"events":[]}' });
    assert.equal(toStandby.status, 503);
    assert.equal(toStandby.headers.get('retry-after'), '5');
  });

  it('a leader that stops renewing is replaced by the standby, which resyncs and signs the tag pushed while no one led', async () => {
    const [a, b] = replicas as [Replica, Replica];
    a.cut = true; // renewals fail from now on; its label cannot be removed either (a crashed Pod's endpoint goes away)
    dropEvents = true; // no ready endpoint behind the Service: the push event is lost
    const gap = await pushImage(repo('team-a/app'), 'gap');
    await waitFor(() => (!a.signer.isLeader() ? true : undefined), 'signer-a to give up leading at its renew deadline');
    dropEvents = false;
    await waitFor(() => (b.signer.isLeader() ? true : undefined), 'signer-b to take the Lease over');
    assert.equal(holder(), 'signer-b');
    await waitFor(() => (labelled('signer-b') ? true : undefined), 'the leader label on signer-b');
    await signedSoon('team-a/app', 'gap');
    assert.equal(b.signer.service.ruleStatuses()[0]?.lastSignedImage, `${registry?.host ?? ''}/team-a/app:gap@${gap.digest}`);
    // the new leader writes the status now
    await waitFor(() => (rule('team-a').lastSignedImage === `${registry?.host ?? ''}/team-a/app:gap@${gap.digest}` ? true : undefined), 'the status written by signer-b');
    // back on the API, the old leader sees another holder: it stays standby and removes its label
    a.cut = false;
    await waitFor(() => (!labelled('signer-a') ? true : undefined), 'signer-a to remove its label');
    assert.equal(a.signer.isLeader(), false);
    await pushImage(repo('team-a/app'), 'after');
    await signedSoon('team-a/app', 'after');
    assert.equal((await signatures('team-a/app', 'after')).length, 1, 'one leader, one signature');
  });
});
