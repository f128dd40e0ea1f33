/**
 * The chart's signing-service Deployment starts and signs: its container command, args and env, rendered from
 * charts/signgate with the signer enabled (test/support/helmTemplate.ts), are given to `signgate signer serve` as a
 * process; the rendered rules ConfigMap, the Secrets, the token and the serving certificate are written where the pod
 * would mount them. For each key door the chart mounts (a key file from a Secret; a Notation plugin folder on a
 * volume; a PKCS#11 module on a volume with its configuration and PIN, here SoftHSM2 with its token directory on an
 * extra volume) the service must become ready, refuse a notification without the token, and sign a tag pushed to
 * the real docker-registry once told about it with the token. A chart/CLI mismatch (a flag the CLI lacks, a path on
 * no volume, the image's `serve` ENTRYPOINT not replaced) fails here.
 *
 * What stands in for the pod, and nothing else (test/support/podView.ts): each volumeMount's mountPath is a temp
 * folder, the containerPort is port 0; file paths inside what the pod reads (rules, softhsm2.conf) are mapped the
 * same way. The test checks that reversing that mapping gives the rendered args and env back unchanged.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { copyFile, cp, mkdir, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { join } from 'node:path';
import { MEDIA_TYPE_DISTRIBUTION_EVENTS } from '../../provider/src/events/index.js';
import { Registry, type FetchLike } from '../../provider/src/oci/index.js';
import { loadChart } from '../support/helmTemplate.js';
import { installPlugin } from '../support/notationPlugins.js';
import { createPki, type Pki } from '../support/pki.js';
import { podView, type RenderedContainer } from '../support/podView.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { createSoftHsm } from '../support/softhsm.js';
import { requireComponent } from '../support/requirements.js';
import { startServeProcess, type ServeProcess } from '../support/serveProcess.js';
import { createTlsServerCertificate, type TlsServerMaterial } from '../support/tlsCerts.js';
import { waitFor } from '../support/waitFor.js';
import { TempDirs, pushImage } from '../unit/verify/fixtures.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CHART = join(ROOT, 'charts', 'signgate');
const TOKEN = 'chart-signer-token-0123456789';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

function deploymentContainer(values: Record<string, unknown>): { container: RenderedContainer; rulesData: Record<string, string> } {
  const chart = loadChart(CHART, { name: 'signgate', namespace: 'signgate-system', values: { signer: values } }, ['signer-deployment.yaml', 'signer-rules.yaml']);
  const deployment = chart.documents('signer-deployment.yaml').find((d) => d.kind === 'Deployment') as { spec: { template: { spec: { containers: RenderedContainer[] } } } } | undefined;
  assert.ok(deployment, 'the chart renders the signer Deployment');
  const containers = deployment.spec.template.spec.containers;
  assert.equal(containers.length, 1);
  const rules = chart.documents('signer-rules.yaml').find((d) => d.kind === 'ConfigMap') as { data: Record<string, string> } | undefined;
  assert.ok(rules, 'the chart renders the rules ConfigMap');
  return { container: containers[0] as RenderedContainer, rulesData: rules.data };
}

/** The CLI words the rendered command runs: what follows the image's main.js, with the image's node and main.js. */
function commandWords(container: RenderedContainer): string[] {
  const entry = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))?.[1];
  const entrypoint = JSON.parse(entry ?? '[]') as string[];
  const main = entrypoint.findIndex((w) => w.endsWith('/dist/provider/src/cli/main.js'));
  assert.ok(main > 0, `the Dockerfile's ENTRYPOINT runs the CLI: ${entry}`);
  assert.deepEqual(container.command?.slice(0, main + 1), entrypoint.slice(0, main + 1), "the signer runs the image's node and CLI");
  return (container.command ?? []).slice(main + 1);
}

function call(url: string, path: string, ca: string, options: { method?: string; token?: string; body?: string; type?: string } = {}): Promise<{ status: number; body: string }> {
  const u = new URL(path, url);
  const headers: Record<string, string> = { ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }), ...(options.type === undefined ? {} : { 'content-type': options.type }) };
  return new Promise((resolve, reject) => {
    const req = https.request({ hostname: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method: options.method ?? 'GET', agent: false, servername: 'localhost', ca, headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe("e2e: the chart's signer Deployment command, args and env start signgate signer serve (real docker-registry)", function () {
  this.timeout(120_000);
  const dirs = new TempDirs();
  let registry: RunningRegistry | undefined;
  let signer: ServeProcess | undefined;
  let tls: TlsServerMaterial;
  let pki: Pki;
  let keyPem: string;
  let chainPem: string;

  before(async function () {
    requireComponent(this, 'docker-registry');
    registry = await startRegistry();
    pki = await createPki({ at: new Date() });
    keyPem = pki.leaf.key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    chainPem = [pki.leaf.pem, pki.intermediate.pem, pki.root.pem].join('\n');
    tls = await createTlsServerCertificate({ at: new Date(), hosts: ['localhost', '127.0.0.1'] });
  });

  afterEach(() => signer?.kill());

  after(async () => {
    await registry?.stop();
    await dirs.cleanup();
  });

  const FILE_KEY = { file: { key: '/etc/signgate/secrets/team-a-key/key.pem', certificateChain: '/etc/signgate/secrets/team-a-key/chain.pem' } };
  const rule = (key: Record<string, unknown> = FILE_KEY): Record<string, unknown> => ({
    name: 'team-a',
    spec: { registry: registry?.host ?? '', namespace: 'team-a', key, registryCredentials: { plainHttp: true } },
  });

  /** Pushes `repository:v1`, tells the signer with and without the token, waits until its status says signed, stops it. */
  async function pushAndSign(url: string, repository: string): Promise<void> {
    const running = signer as ServeProcess;
    await running.waitForLog((l) => l.msg.startsWith('took the baseline of SigningRule team-a'), 'the baseline of team-a (state dir written)');
    const client = new Registry({ fetch: fetch as FetchLike, clock: () => new Date(), cache: { ttlMs: 0 } });
    const image = await pushImage(client.repository(`${registry?.host ?? ''}/${repository}`), 'v1');
    const event = {
      id: `chart-${repository}`,
      action: 'push',
      target: { mediaType: OCI_MANIFEST, digest: image.digest, size: image.size, repository, url: `http://${registry?.host ?? ''}/v2/${repository}/manifests/${image.digest}`, tag: 'v1' },
    };
    const body = JSON.stringify({ events: [event] });
    const refused = await call(url, '/v1/registry-events', tls.ca.pem, { method: 'POST', body, type: MEDIA_TYPE_DISTRIBUTION_EVENTS });
    assert.equal(refused.status, 401, refused.body);
    const accepted = await call(url, '/v1/registry-events', tls.ca.pem, { method: 'POST', body, type: MEDIA_TYPE_DISTRIBUTION_EVENTS, token: TOKEN });
    assert.equal(accepted.status, 202, accepted.body);
    const scope = `${registry?.host ?? ''}/${repository}`;
    const signed = await waitFor(
      async () => {
        const res = await call(url, `/v1/status?scope=${encodeURIComponent(scope)}`, tls.ca.pem, { token: TOKEN });
        const tags = (JSON.parse(res.body) as { tags: { tag: string; state: string; digest?: string; rule: string }[] }).tags;
        return tags.find((t) => t.tag === 'v1' && t.state === 'signed');
      },
      `${repository}:v1 signed (log: ${JSON.stringify(running.lines.slice(-6))})`,
      30_000,
    );
    assert.equal(signed.digest, image.digest);
    assert.equal(signed.rule, 'team-a');
    running.child.kill('SIGTERM');
    assert.equal(await running.exit(), 0);
  }

  /** Writes what the kubelet would mount, starts the rendered container, and waits for /readyz. */
  async function start(values: Record<string, unknown>, extraFiles: (pod: ReturnType<typeof podView>) => Promise<void> = async () => undefined): Promise<{ url: string; container: RenderedContainer }> {
    const { container, rulesData } = deploymentContainer(values);
    const root = await dirs.make('signgate-chart-signer-');
    const pod = podView(container, root);
    for (const m of container.volumeMounts) await mkdir(pod.folder(m.name), { recursive: true });
    await writeFile(join(pod.folder('tls'), 'tls.crt'), tls.certChainPem);
    await writeFile(join(pod.folder('tls'), 'tls.key'), tls.keyPem);
    await writeFile(join(pod.folder('token'), 'token'), `${TOKEN}\n`);
    for (const [file, text] of Object.entries(rulesData)) await writeFile(join(pod.folder('rules'), file), pod.map(text));
    await writeFile(join(pod.folder('secret-team-a-key'), 'key.pem'), keyPem);
    await writeFile(join(pod.folder('secret-team-a-key'), 'chain.pem'), chainPem);
    await extraFiles(pod);

    // every file path the args and env name lies on a mounted volume
    const paths = [...container.args.map((a) => a.replace(/^--[\w-]+=/, '')), ...(container.env ?? []).map((e) => e.value)].filter((p) => p.startsWith('/'));
    for (const path of paths) assert.notEqual(pod.map(path), path, `${path} is on no volume of the rendered Deployment`);
    const words = commandWords(container);
    assert.deepEqual(words, ['signer', 'serve']);
    const args = container.args.map((a) => pod.map(a));
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, pod.map(e.value)]));
    assert.deepEqual(args.map((a) => pod.unmap(a)), container.args, 'only mount paths and ports differ from the rendered args');
    assert.deepEqual(Object.entries(env).map(([name, value]) => ({ name, value: pod.unmap(value) })), container.env ?? [], 'the rendered env, unchanged');
    signer = startServeProcess(args, env, words);
    const [, url = ''] = await signer.waitForStderr(/listening on (https:\/\/\S+), 1 SigningRule\(s\)/, 'the listening line');
    const ready = await waitFor(async () => {
      const res = await call(url, '/readyz', tls.ca.pem);
      return res.status === 200 ? res : undefined;
    }, `/readyz\n${signer.stderr()}`);
    assert.equal(ready.body, 'ready\n');
    return { url, container };
  }

  it('with a key file from a Secret: ready, a notification needs the token, a pushed tag is signed; SIGTERM exits 0', async () => {
    const { url, container } = await start({ enabled: true, rules: [rule()], secrets: ['team-a-key'] });
    assert.ok(!container.args.some((a) => a.startsWith('--plugin-')), 'no plugin flags without signer.notationPlugins.volume');
    await pushAndSign(url, 'team-a/app');
  });

  it('with a Notation plugin folder on a volume (and PKCS#11 mounts named by the env): the plugin found through --plugin-dir signs', async () => {
    const values = {
      enabled: true,
      rules: [rule({ plugin: { name: 'example', id: 'test-key' } })],
      secrets: ['team-a-key'],
      pkcs11: { moduleVolume: { hostPath: { path: '/opt/hsm/lib', type: 'Directory' } }, modulePath: '/opt/pkcs11/libvendor.so', config: { secretName: 'hsm-conf', file: 'vendor.conf', env: 'VENDOR_PKCS11_CONF' }, pin: { secretName: 'hsm-pin', key: 'user-pin' } },
      notationPlugins: { volume: { persistentVolumeClaim: { claimName: 'notation-plugins' } }, env: ['ALIBABA_CLOUD_ACCESS_KEY_ID'] },
      env: [{ name: 'ALIBABA_CLOUD_ACCESS_KEY_ID', value: 'test-id' }],
    };
    const { url, container } = await start(values, async (pod) => {
      await writeFile(pod.map('/opt/pkcs11/libvendor.so'), 'not loaded: no rule uses pkcs11 here');
      await writeFile(pod.map('/etc/signgate/pkcs11/vendor.conf'), 'directories.tokendir = /var/lib/tokens\n');
      await writeFile(pod.map('/etc/signgate/pkcs11-pin/pin'), '1234\n');
      await installPlugin(pod.map('/etc/signgate/notation/plugins'), 'example', 'raw', pki);
    });
    const mounts = Object.fromEntries(container.volumeMounts.map((m) => [m.name, m.mountPath]));
    assert.equal(mounts['pkcs11-module'], '/opt/pkcs11');
    assert.equal(mounts['pkcs11-config'], '/etc/signgate/pkcs11');
    assert.equal(mounts['pkcs11-pin'], '/etc/signgate/pkcs11-pin');
    assert.equal(mounts['notation-plugins'], '/etc/signgate/notation/plugins');
    assert.ok(container.args.includes('--plugin-dir=/etc/signgate/notation/plugins'));
    assert.ok(container.args.includes('--plugin-env=ALIBABA_CLOUD_ACCESS_KEY_ID'));
    assert.deepEqual(container.env, [
      { name: 'SIGNGATE_PKCS11_MODULE', value: '/opt/pkcs11/libvendor.so' },
      { name: 'VENDOR_PKCS11_CONF', value: '/etc/signgate/pkcs11/vendor.conf' },
      { name: 'ALIBABA_CLOUD_ACCESS_KEY_ID', value: 'test-id' },
    ]);
    await pushAndSign(url, 'team-a/plugin-signed');
  });

  it('with a PKCS#11 module (SoftHSM2) from a volume, its configuration and PIN from Secrets, tokens on an extra volume: a pushed tag is signed on the token', async function () {
    requireComponent(this, 'softhsm2');
    const hsm = await createSoftHsm({ token: 'chart-token', pin: '4321' });
    const hsmPki = await createPki({ at: new Date(), leaf: { key: await hsm.generate('ec-p256', 'signer', '01') } });
    const values = {
      enabled: true,
      rules: [rule({ pkcs11: { uri: 'pkcs11:token=chart-token;object=signer?pin-source=file:/etc/signgate/pkcs11-pin/pin', certificateChain: '/etc/signgate/secrets/hsm-chain/chain.pem' } })],
      secrets: ['team-a-key', 'hsm-chain'],
      pkcs11: { moduleVolume: { persistentVolumeClaim: { claimName: 'softhsm-lib', readOnly: true } }, modulePath: '/opt/pkcs11/libsofthsm2.so', config: { configMapName: 'softhsm2-conf' }, pin: { secretName: 'hsm-pin' } },
      extraVolumes: [{ name: 'softhsm-tokens', persistentVolumeClaim: { claimName: 'softhsm-tokens' } }],
      extraVolumeMounts: [{ name: 'softhsm-tokens', mountPath: '/var/lib/softhsm/tokens' }],
    };
    try {
      const { url, container } = await start(values, async (pod) => {
        await copyFile(hsm.modulePath, pod.map('/opt/pkcs11/libsofthsm2.so'));
        await writeFile(pod.map('/etc/signgate/pkcs11/softhsm2.conf'), `directories.tokendir = ${pod.map('/var/lib/softhsm/tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
        await cp(join(hsm.dir, 'tokens'), pod.map('/var/lib/softhsm/tokens'), { recursive: true });
        await writeFile(pod.map('/etc/signgate/pkcs11-pin/pin'), hsm.pin);
        await writeFile(pod.map('/etc/signgate/secrets/hsm-chain/chain.pem'), [hsmPki.leaf.pem, hsmPki.intermediate.pem, hsmPki.root.pem].join('\n'));
      });
      assert.deepEqual(container.env, [
        { name: 'SIGNGATE_PKCS11_MODULE', value: '/opt/pkcs11/libsofthsm2.so' },
        { name: 'SOFTHSM2_CONF', value: '/etc/signgate/pkcs11/softhsm2.conf' },
      ]);
      await pushAndSign(url, 'team-a/hsm-signed');
    } finally {
      await hsm.stop();
    }
  });
});
