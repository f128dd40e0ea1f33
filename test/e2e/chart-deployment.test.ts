/**
 * The chart's own Deployment starts: its container args and env, rendered from charts/signgate with the default
 * values (test/support/helmTemplate.ts), are given to `signgate serve` as a process, against the protocol-level
 * Kubernetes API test server holding the chart's rendered configuration resources and Gatekeeper's CA Secret, and
 * the server must become ready. A chart/CLI mismatch (such as the bare `--kubernetes` that once crash-looped every
 * replica) fails here.
 *
 * The process runs what the image runs: the CLI with the command words of the Dockerfile's ENTRYPOINT, then the args.
 * What stands in for the pod, and nothing else: each volumeMount's mountPath is a temp folder (the same mapping
 * applies to the file paths in the rendered resources, which the pod reads), each containerPort is port 0 (the
 * process reports the ports it bound), and KUBECONFIG points at the test server instead of the in-cluster
 * ServiceAccount. The test checks that reversing that mapping gives the rendered args and env back unchanged.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { join } from 'node:path';
import { loadChart } from '../support/helmTemplate.js';
import { KubeApiTestServer } from '../support/kubeApiServer.js';
import { podView, type RenderedContainer } from '../support/podView.js';
import { createKeyPair, issueCertificate } from '../support/pki.js';
import { startServeProcess, type ServeProcess } from '../support/serveProcess.js';
import { createTlsServerCertificate } from '../support/tlsCerts.js';
import { TempDirs } from '../unit/verify/fixtures.js';

const CHART = join(import.meta.dirname, '..', '..', 'charts', 'signgate');
const NAMESPACE = 'signgate-system';
const TOKEN = 'chart-test-token';

function containerOf(deployment: Record<string, unknown>): RenderedContainer {
  const spec = (deployment as { spec: { template: { spec: { containers: RenderedContainer[] } } } }).spec.template.spec;
  assert.equal(spec.containers.length, 1);
  return spec.containers[0] as RenderedContainer;
}

async function gatekeeperCa(): Promise<{ caPem: string; certPem: string; keyPem: string }> {
  const now = Date.now();
  const root = await issueCertificate({ subject: 'CN=gatekeeper-ca', key: await createKeyPair('ec-p256'), notBefore: new Date(now - 3600_000), notAfter: new Date(now + 86_400_000), basicConstraints: { ca: true }, keyUsages: ['keyCertSign'] });
  const leaf = await issueCertificate({
    subject: 'CN=gatekeeper-webhook-service.gatekeeper-system.svc',
    key: await createKeyPair('ec-p256'),
    issuer: root,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 86_400_000),
    keyUsages: ['digitalSignature'],
    extendedKeyUsages: ['1.3.6.1.5.5.7.3.2'],
  });
  return { caPem: root.pem, certPem: leaf.pem, keyPem: leaf.key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

function verifyCall(url: string, options: { ca: string; cert?: string; key?: string }): Promise<{ status: number; body: string }> {
  const u = new URL('/ratify/gatekeeper/v1/verify', url);
  const body = JSON.stringify({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys: ['registry.example/team/app:1.0'] } });
  return new Promise((resolve, reject) => {
    const req = https.request({ hostname: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent: false, servername: 'localhost', headers: { 'content-type': 'application/json' }, ...options }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe("e2e: the chart's Deployment args and env start signgate serve (Kubernetes API test server)", function () {
  this.timeout(120_000);
  const dirs = new TempDirs();
  const api = new KubeApiTestServer({ token: TOKEN });
  let serve: ServeProcess | undefined;

  after(async function () {
    serve?.kill();
    await api.close();
    await dirs.cleanup();
  });

  it('becomes ready with exactly the rendered args and env, answers Gatekeeper over mTLS, and exits 0 on SIGTERM', async function () {
    const chart = loadChart(CHART, { name: 'signgate', namespace: NAMESPACE }, ['deployment.yaml', 'config.yaml']);
    const deployment = chart.documents('deployment.yaml').find((d) => d.kind === 'Deployment');
    assert.ok(deployment, 'the chart renders a Deployment');
    const container = containerOf(deployment);
    assert.ok(container.args.includes('--kubernetes'), 'the chart runs the Kubernetes source');
    const root = await dirs.make('signgate-chart-pod-');
    const pod = podView(container, root);
    for (const m of container.volumeMounts) await mkdir(join(root, m.name), { recursive: true });

    // the tls Secret's files, as the kubelet mounts them
    const tlsMount = container.volumeMounts.find((m) => m.name === 'tls');
    assert.ok(tlsMount);
    const tls = await createTlsServerCertificate({ at: new Date(Date.now()), hosts: ['localhost', '127.0.0.1'] });
    await writeFile(pod.map(`${tlsMount.mountPath}/tls.crt`), tls.certChainPem);
    await writeFile(pod.map(`${tlsMount.mountPath}/tls.key`), tls.keyPem);

    // the API server: the chart's configuration resources (file paths as the pod sees them), Gatekeeper's CA Secret
    const gatekeeper = await gatekeeperCa();
    await api.start();
    for (const resource of chart.documents('config.yaml')) api.apply(JSON.parse(pod.map(JSON.stringify(resource))) as Record<string, unknown>);
    api.apply({ apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'gatekeeper-webhook-server-cert', namespace: 'gatekeeper-system' }, data: { 'ca.crt': Buffer.from(gatekeeper.caPem).toString('base64') } });
    const kubeconfig = join(root, 'kubeconfig.json');
    await writeFile(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'test', cluster: { server: api.url, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'test', user: { token: TOKEN } }],
        contexts: [{ name: 'test', context: { cluster: 'test', user: 'test', namespace: NAMESPACE } }],
        'current-context': 'test',
      }),
    );

    // the image's ENTRYPOINT runs the CLI's main.js with its command words; the Deployment's args follow them
    const entry = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(join(CHART, '..', '..', 'Dockerfile'), 'utf8'))?.[1];
    const entrypoint = JSON.parse(entry ?? '[]') as string[];
    const main = entrypoint.findIndex((w) => w.endsWith('/dist/provider/src/cli/main.js'));
    assert.ok(main > 0, `the Dockerfile's ENTRYPOINT runs the CLI: ${entry}`);
    assert.equal(container.command, undefined, 'the Deployment keeps the image ENTRYPOINT');
    const commandWords = entrypoint.slice(main + 1);
    assert.deepEqual(commandWords, ['serve']);
    const args = container.args.map((a) => pod.map(a));
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, pod.map(e.value)]));
    assert.deepEqual(args.map((a) => pod.unmap(a)), container.args, 'only mount paths and ports differ from the rendered args');
    assert.deepEqual(Object.entries(env).map(([k, v]) => ({ name: k, value: pod.unmap(v) })), container.env, 'the rendered env, unchanged');
    serve = startServeProcess(args, { ...env, KUBECONFIG: kubeconfig }, commandWords);

    const listening = await serve.waitForStderr(/listening on (https:\/\/\S+) \(metrics (http:\/\/\S+)\)/, 'the listening line');
    const [, url = '', metricsUrl = ''] = listening;
    let ready = { status: 0, body: '' };
    for (let i = 0; i < 200 && ready.status !== 200; i++) {
      const res = await fetch(`${metricsUrl}/readyz`);
      ready = { status: res.status, body: await res.text() };
      if (ready.status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(ready, { status: 200, body: 'ready\n' }, `/readyz\n${serve.stderr()}`);
    const loaded = await serve.waitForLog((l) => l.msg === 'configuration loaded', 'configuration loaded');
    assert.equal(loaded.level, 30);

    // mutual TLS with Gatekeeper's CA (read from its Secret into the pod's /tmp): its client is served, others refused
    const answer = await verifyCall(url, { ca: tls.ca.pem, cert: gatekeeper.certPem, key: gatekeeper.keyPem });
    assert.equal(answer.status, 200);
    const item = (JSON.parse(answer.body) as { response: { items: { value?: { isSuccess: boolean; verifierReports: { errorReason: string }[] } }[] } }).response.items[0];
    assert.equal(item?.value?.isSuccess, false, 'no certificate is trusted yet: every image fails closed');
    assert.equal(item.value.verifierReports[0]?.errorReason, 'NO_TRUSTED_CERTIFICATE');
    await assert.rejects(verifyCall(url, { ca: tls.ca.pem }), 'a client without Gatekeeper\'s certificate is refused');

    serve.child.kill('SIGTERM');
    assert.equal(await serve.exit(), 0);
    assert.ok(serve.lines.some((l) => l.msg === 'stopped'));
  });
});
