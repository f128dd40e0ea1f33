/**
 * `signgate serve` as a process: SIGTERM drains (stops accepting, lets a slow request in progress finish, exits 0);
 * a start whose configuration files do not load exits 2 listing every problem; `--kubernetes` without valid
 * resources keeps running, not ready, until they arrive (and never claims a last good configuration it lacks).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import { Registry, type FetchLike } from '../../provider/src/oci/index.js';
import { KubeApiTestServer } from '../support/kubeApiServer.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';
import { startServeProcess, type ServeProcess } from '../support/serveProcess.js';
import { kmpInline, verifier } from '../unit/k8s/helpers.js';
import { AT, TempDirs, pushImage, testPki } from '../unit/verify/fixtures.js';
import { trustConfigYaml } from '../support/configYaml.js';

/** A proxy in front of the registry that holds requests while `holding`, until `release()`; `held` resolves on the first held one. */
class Gate {
  holding = false;
  host = '';
  private readonly waiting: (() => void)[] = [];
  private onHeld: (() => void) | undefined;
  readonly held = new Promise<void>((resolve) => (this.onHeld = resolve));
  private readonly server = http.createServer((req, res) => {
    const forward = (): void => {
      const [hostname, port] = this.target.split(':');
      const up = http.request({ hostname, port: Number(port), method: req.method, path: req.url, headers: { ...req.headers, host: this.target } }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    };
    if (!this.holding) return forward();
    this.waiting.push(forward);
    this.onHeld?.();
  });
  constructor(private readonly target: string) {}
  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.host = `127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
    return this;
  }
  release(): void {
    this.holding = false;
    for (const forward of this.waiting.splice(0)) forward();
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** POST /v1/verify trusting the development CA printed on stderr. */
function verify(url: string, caPem: string, key: string): Promise<{ status: number; body: string }> {
  const u = new URL('/v1/verify', url);
  const body = JSON.stringify({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys: [key] } });
  return new Promise((resolve, reject) => {
    const req = https.request({ hostname: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent: false, ca: caPem, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function connect(port: number): Promise<'connected' | string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

async function listening(serve: ServeProcess): Promise<{ url: string; metricsUrl: string; caPem: string }> {
  const [, caBundle = ''] = await serve.waitForStderr(/\(spec\.caBundle\):\n(\S+)\n/, 'the development caBundle');
  const [, url = '', metricsUrl = ''] = await serve.waitForStderr(/listening on (https:\/\/\S+) \(metrics (http:\/\/\S+)\)/, 'the listening line');
  return { url, metricsUrl, caPem: Buffer.from(caBundle, 'base64').toString('utf8') };
}

describe('e2e: signgate serve as a process (signals, exit codes, waiting for configuration)', function () {
  this.timeout(180_000);
  const dirs = new TempDirs();
  const processes: ServeProcess[] = [];
  const start = (args: string[], env: Record<string, string> = {}): ServeProcess => {
    const p = startServeProcess(args, { SIGNGATE_LOG_LEVEL: 'info', ...env });
    processes.push(p);
    return p;
  };
  after(async function () {
    for (const p of processes) p.kill();
    await dirs.cleanup();
  });

  describe('SIGTERM with a request in progress (real docker-registry behind a gate)', function () {
    let registry: RunningRegistry | undefined;
    let gate: Gate | undefined;
    after(async function () {
      await gate?.stop();
      await registry?.stop();
    });

    it('logs the signal, refuses new connections, answers the slow request in full, and exits 0', async function () {
      requireComponent(this, 'docker-registry');
      registry = await startRegistry();
      await pushImage(new Registry({ fetch: fetch as FetchLike, clock: () => AT }).repository(`${registry.host}/drain/app`), 'v1');
      gate = await new Gate(registry.host).start();
      const dir = await dirs.make();
      await writeFile(join(dir, 'signgate.yaml'), trustConfigYaml((await testPki()).root.pem));
      const serve = start(['--config', join(dir, 'signgate.yaml'), '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0', '--shutdown-timeout', '30s']);
      const { url, caPem } = await listening(serve);
      const key = `${gate.host}/drain/app:v1`;

      gate.holding = true;
      const slow = verify(url, caPem, key);
      await gate.held; // the request is in progress: its registry call waits at the gate
      serve.child.kill('SIGTERM');
      const signal = await serve.waitForLog((l) => l.signal === 'SIGTERM' && /^SIGTERM received/.test(l.msg), 'the SIGTERM line');
      assert.equal(signal.inFlight, 1);
      assert.equal(signal.drainMs, 30_000);
      const port = Number(new URL(url).port);
      assert.equal(await connect(port), 'ECONNREFUSED', `no new connections to ${port} once draining`);
      assert.equal(serve.child.exitCode, null, 'still running while the request is in progress');

      gate.release();
      const answer = await slow;
      assert.equal(answer.status, 200);
      const item = (JSON.parse(answer.body) as { response: { items: { key: string; value?: { isSuccess: boolean; verifierReports: { errorReason: string }[] } }[] } }).response.items[0];
      assert.equal(item?.key, key);
      assert.equal(item.value?.isSuccess, false, 'an unsigned image: a complete, decided answer');
      assert.equal(item.value.verifierReports[0]?.errorReason, 'SIGNATURE_NOT_FOUND');
      assert.equal(await serve.exit(), 0);
      assert.ok(serve.lines.some((l) => l.msg === 'stopped'), 'the stop is logged');
      assert.ok(!serve.lines.some((l) => /cut off/.test(l.msg)), 'nothing was cut off');
    });
  });

  it('exits 2 listing every problem when the configuration files do not load (never "keeps serving")', async function () {
    const dir = await dirs.make();
    await writeFile(join(dir, 'bad.yaml'), 'apiVersion: config.signgate.dev/v1alpha1\nkind: Verifier\nmetadata: {name: v}\nspec: {type: notation, artifactTypes: 7}\n');
    const serve = start(['--config', join(dir, 'bad.yaml'), '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0']);
    assert.equal(await serve.exit(), 2);
    assert.match(serve.stderr(), /^signgate serve: the configuration .*bad\.yaml does not load \(2 problems\), so there is nothing to serve:\n/);
    assert.match(serve.stderr(), /\n {2}- .*bad\.yaml:4 \(document 1, Verifier "v"\): spec\.parameters: is required\n/);
    assert.match(serve.stderr(), /\n {2}- .*bad\.yaml:4 \(document 1, Verifier "v"\): spec\.artifactTypes: must be a list, got the integer 7\n/);
    assert.match(serve.stderr(), /\nfix them and start again/);
    assert.doesNotMatch(serve.stderr() + JSON.stringify(serve.lines), /keeps serving|listening/);
  });

  const kubeconfigFor = async (server: string, extra: Record<string, unknown> = {}): Promise<string> => {
    const file = join(await dirs.make(), 'kubeconfig.json');
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 't', cluster: { server, ...extra } }],
      users: [{ name: 't', user: { token: 'wait-token' } }],
      contexts: [{ name: 't', context: { cluster: 't', user: 't' } }],
      'current-context': 't',
    };
    await writeFile(file, JSON.stringify(config));
    return file;
  };

  it('--kubernetes with an unusable kubeconfig exits 2 naming the problem (waiting cannot fix it)', async function () {
    const serve = start(['--kubernetes', '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0'], { KUBECONFIG: await kubeconfigFor('http://127.0.0.1:9') });
    assert.equal(await serve.exit(), 2);
    assert.match(serve.stderr(), /^signgate serve: the kubeconfig cannot authenticate to http:\/\/127\.0\.0\.1:9: .*skipTLSVerify/m);
  });

  it('--kubernetes with the API server unreachable keeps running, not ready, until stopped (no exit while it waits)', async function () {
    const down = net.createServer();
    await new Promise<void>((r) => down.listen(0, '127.0.0.1', r));
    const port = (down.address() as net.AddressInfo).port;
    await new Promise<void>((r) => down.close(() => r())); // a port with nothing behind it: connections are refused
    const serve = start(['--kubernetes', '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0'], { KUBECONFIG: await kubeconfigFor(`https://127.0.0.1:${port}`, { 'insecure-skip-tls-verify': true }) });
    const { metricsUrl } = await listening(serve);
    const res = await fetch(`${metricsUrl}/readyz`);
    assert.equal(res.status, 503);
    assert.match(await res.text(), /no configuration loaded: the custom resources have not been listed yet \(is the Kubernetes API reachable\?\)/);
    assert.ok(serve.lines.some((l) => /cannot reach the Kubernetes API .*ECONNREFUSED/.test(String(l.err))), 'the unreachable API is logged');
    serve.child.kill('SIGTERM');
    assert.equal(await serve.exit(), 0);
  });

  it('a SIGTERM while still starting (waiting for an unreachable API server) stops it as soon as it is up, exit 0', async function () {
    const down = net.createServer();
    await new Promise<void>((r) => down.listen(0, '127.0.0.1', r));
    const port = (down.address() as net.AddressInfo).port;
    await new Promise<void>((r) => down.close(() => r()));
    const serve = start(['--kubernetes', '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0'], { KUBECONFIG: await kubeconfigFor(`https://127.0.0.1:${port}`, { 'insecure-skip-tls-verify': true }) });
    await serve.waitForLog((l) => l.msg === 'kubernetes', 'the first unreachable-API line (still starting)');
    assert.doesNotMatch(serve.stderr(), /listening on/);
    serve.child.kill('SIGTERM');
    assert.equal(await serve.exit(), 0);
    assert.ok(serve.lines.some((l) => l.signal === 'SIGTERM' && l.msg === 'stopped'));
  });

  it('--kubernetes keeps waiting for valid resources: not ready, no "last good" claim, ready once they are valid', async function () {
    const api = new KubeApiTestServer({ token: 'wait-token' });
    await api.start();
    try {
      const pki = await testPki();
      api.apply(verifier('notation', 'certs')); // names a KeyManagementProvider that does not exist yet
      const kubeconfig = await kubeconfigFor(api.url, { 'insecure-skip-tls-verify': true });
      const serve = start(['--kubernetes', '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0'], { KUBECONFIG: kubeconfig });
      const { metricsUrl } = await listening(serve);
      const rejected = await serve.waitForLog((l) => l.level === 50 && /certs/.test(l.msg), 'the rejected configuration line');
      assert.match(rejected.msg, /no configuration is loaded yet: every key is answered with an item error and \/readyz is not ready until a valid one is applied$/);
      const notReady = await fetch(`${metricsUrl}/readyz`);
      assert.equal(notReady.status, 503);
      assert.match(await notReady.text(), /^not ready: no configuration loaded/);

      api.apply(kmpInline('certs', pki.root.pem));
      await serve.waitForLog((l) => l.msg === 'configuration reloaded', 'the configuration to load');
      const ready = await fetch(`${metricsUrl}/readyz`);
      assert.equal(ready.status, 200);
      assert.ok(!serve.lines.some((l) => /keeps serving/.test(l.msg)), 'no last good configuration was claimed');
      serve.child.kill('SIGINT');
      assert.equal(await serve.exit(), 0);
    } finally {
      await api.close();
    }
  });
});
