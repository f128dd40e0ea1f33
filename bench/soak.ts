/**
 * `npm run soak -- --minutes N` (issue 15, section 5; not in CI): `signgate serve` as its own process (the CLI entry
 * point, wall clock, cross-fetch, a config file) in front of Debian's docker-registry, under two loads at once for N
 * minutes:
 * - warm: `--warm-rps` (default 500) verify requests per second, each the same 10 signed keys (cached verdicts);
 * - cold: `--cold-rps` (default 10) images per second that are pushed and signed during the run, each verified once
 *   by a one-key request as soon as it is in the registry (nothing cached).
 * Every minute it prints the provider's RSS and event-loop delay (its own /metrics: process_resident_memory_bytes and
 * prom-client's nodejs_eventloop_lag_*, reset at each scrape, so each line covers that minute), the p50/p99 latency of
 * each load, and the errors: a non-200 answer, an item error, or a verdict other than a pass. `shed` counts warm
 * requests not sent because 256 were already waiting (the load generator, not the provider, fell behind). The summary
 * checks the issue's goals: RSS growth after the first minute < 10%, zero errors, p99 flat. The provider's log goes to
 * a file in the run's temp folder (its size is printed), never through this process.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import crossFetch from 'cross-fetch';
import { signEnvelope } from '../provider/src/notation/index.js';
import { Registry, type Descriptor, type FetchLike, type Repository } from '../provider/src/oci/index.js';
import { createPki, type Pki } from '../test/support/pki.js';
import { freePort, startRegistry } from '../test/support/registry.js';
import { createTlsServerCertificate } from '../test/support/tlsCerts.js';
import { pushImage } from '../test/unit/verify/fixtures.js';

const MAX_WAITING = 256;
const PUSHERS = 4;

function positive(name: string, text: string, max: number): number {
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(n > 0) || n > max) throw new Error(`--${name} must be a number above 0 and at most ${max}, got "${text}"`);
  return n;
}

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '30' }, 'warm-rps': { type: 'string', default: '500' }, 'cold-rps': { type: 'string', default: '10' } } });
const minutes = positive('minutes', values.minutes, 24 * 60);
const warmRps = positive('warm-rps', values['warm-rps'], 10_000);
const coldRps = positive('cold-rps', values['cold-rps'], 1_000);

/** Latencies (ms) and counts of one load over one minute. */
class Window {
  latencies: number[] = [];
  errors = 0;
  shed = 0;
  firstError: string | undefined;
  error(why: string): void {
    this.errors++;
    this.firstError ??= why;
  }
  pct(p: number): number {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
  }
}

async function signed(repo: Repository, tag: string, pki: Pki): Promise<Descriptor> {
  const subject = await pushImage(repo, tag, `soak layer ${tag}`);
  const { mediaType, envelope } = await signEnvelope({
    format: 'jws',
    payload: { targetArtifact: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size } },
    privateKey: pki.leaf.key.privateKey,
    certificateChain: pki.chain,
    signingScheme: 'notary.x509',
    signingTime: new Date(Date.now() - 60_000),
  });
  await repo.pushSignature({ subject, envelope, envelopeMediaType: mediaType });
  return subject;
}

function config(rootPem: string): string {
  const api = 'config.signgate.dev/v1alpha1';
  const docs = [
    { apiVersion: api, kind: 'KeyManagementProvider', metadata: { name: 'soak' }, spec: { type: 'inline', parameters: { contentType: 'certificate', value: rootPem } } },
    {
      apiVersion: api,
      kind: 'Verifier',
      metadata: { name: 'notation' },
      spec: {
        type: 'notation',
        artifactTypes: ['application/vnd.cncf.notary.signature'],
        parameters: {
          verificationCertStores: { ca: { soak: ['soak'] } },
          trustPolicyDoc: { version: '1.0', trustPolicies: [{ name: 'all', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:soak'], trustedIdentities: ['*'] }] },
        },
      },
    },
  ];
  return docs.map((d) => JSON.stringify(d)).join('\n---\n');
}

function post(agent: https.Agent, url: URL, ca: string, keys: readonly string[]): Promise<{ status: number; body: string }> {
  const body = JSON.stringify({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys } });
  return new Promise((resolve, reject) => {
    const req = https.request({ hostname: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, ca, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends one request, records its latency, and counts anything but "every key passed" as an error. */
async function verify(agent: https.Agent, url: URL, ca: string, keys: readonly string[], window: () => Window): Promise<void> {
  const t0 = performance.now();
  try {
    const res = await post(agent, url, ca, keys);
    const w = window();
    w.latencies.push(performance.now() - t0);
    if (res.status !== 200) return w.error(`status ${res.status}: ${res.body.slice(0, 200)}`);
    const items = (JSON.parse(res.body) as { response: { items: { key: string; value?: { isSuccess?: boolean }; error?: string }[] } }).response.items;
    for (const item of items) if (item.value?.isSuccess !== true) w.error(`${item.key}: ${item.error ?? 'verdict is not a pass'}`);
  } catch (error) {
    window().error((error as Error).message);
  }
}

async function metric(metricsUrl: string, names: readonly string[]): Promise<Record<string, number>> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const name of names) {
    const m = new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text);
    out[name] = m ? Number(m[1]) : Number.NaN;
  }
  return out;
}

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const ms = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(1)} ms` : '-');

/**
 * `signgate serve ARGS` through tsx, its JSON log (stdout) going to `logFile` as a container runtime would take it:
 * a reader in this process would hold every line and compete for the CPU being measured. Resolves once it listens.
 */
async function startServe(args: readonly string[], logFile: string): Promise<{ pid: number; stop(): Promise<void> }> {
  const log = openSync(logFile, 'w');
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'provider', 'src', 'cli', 'main.ts'), 'serve', ...args], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp' },
    stdio: ['ignore', log, 'pipe'],
  });
  closeSync(log);
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-8000);
      if (/listening on/.test(stderr)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`signgate serve exited with ${code} before listening:\n${stderr}`)));
  });
  return {
    pid: child.pid ?? 0,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const dir = await mkdtemp(join(tmpdir(), 'signgate-soak-'));
const registry = await startRegistry();
let serve: Awaited<ReturnType<typeof startServe>> | undefined;
try {
  const now = new Date();
  const pki = await createPki({ at: now });
  const tls = await createTlsServerCertificate({ at: now, hosts: ['127.0.0.1'] });
  await writeFile(join(dir, 'config.yaml'), config(pki.root.pem));
  await writeFile(join(dir, 'tls.crt'), tls.certChainPem);
  await writeFile(join(dir, 'tls.key'), tls.keyPem, { mode: 0o600 });
  const client = new Registry({ fetch: crossFetch as unknown as FetchLike, clock: () => new Date(Date.now()) });
  const repo = client.repository(`${registry.host}/soak/app`);
  const warmKeys: string[] = [];
  for (let i = 0; i < 10; i++) {
    await signed(repo, `warm-${i}`, pki);
    warmKeys.push(`${registry.host}/soak/app:warm-${i}`);
  }

  const [address, metricsAddress] = [`127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`];
  const logFile = join(dir, 'serve.log');
  serve = await startServe(['--config', join(dir, 'config.yaml'), '--address', address, '--metrics-address', metricsAddress, '--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key')], logFile);
  const url = new URL(`https://${address}/ratify/gatekeeper/v1/verify`);
  const metricsUrl = `http://${metricsAddress}`;
  const ca = tls.ca.pem;
  const agent = new https.Agent({ keepAlive: true, maxSockets: 64 });
  process.stdout.write(`soak: ${minutes} min, warm ${warmRps} req/s x 10 cached keys, cold ${coldRps} new signed images/s; signgate serve pid ${serve.pid} (log: ${logFile}), docker-registry ${registry.host}\n`);

  let warm = new Window();
  let cold = new Window();
  let waiting = 0;
  const ready: string[] = [];
  let pushed = 0;
  let stopped = false;

  // warm: open loop, a batch every 10 ms
  let warmDue = 0;
  const warmTimer = setInterval(() => {
    warmDue += warmRps / 100;
    for (; warmDue >= 1; warmDue--) {
      if (waiting >= MAX_WAITING) {
        warm.shed++;
        continue;
      }
      waiting++;
      void verify(agent, url, ca, warmKeys, () => warm).finally(() => waiting--);
    }
  }, 10);
  // cold: pushers keep signed images coming at the cold rate; each is verified once, when it is ready
  const pushers = Array.from({ length: PUSHERS }, async () => {
    while (!stopped) {
      const started = performance.now();
      const tag = `cold-${pushed++}`;
      try {
        await signed(repo, tag, pki);
        ready.push(`${registry.host}/soak/app:${tag}`);
      } catch (error) {
        cold.error(`push ${tag}: ${(error as Error).message}`);
      }
      const pause = (PUSHERS * 1000) / coldRps - (performance.now() - started);
      if (pause > 0) await new Promise((r) => setTimeout(r, pause));
    }
  });
  let coldDue = 0;
  const coldTimer = setInterval(() => {
    coldDue += coldRps / 10;
    for (; coldDue >= 1 && ready.length > 0; coldDue--) void verify(agent, url, ca, [ready.shift() as string], () => cold);
    coldDue = Math.min(coldDue, Math.max(1, coldRps)); // a pusher behind for a moment does not turn into a burst
  }, 100);

  const rows: { rss: number; warmP99: number; coldP99: number; errors: number }[] = [];
  // one line a minute (a shorter run, e.g. --minutes 0.5, prints one line for its whole length)
  const windowMs = Math.min(60_000, minutes * 60_000);
  for (let minute = 1; minute <= Math.round((minutes * 60_000) / windowMs); minute++) {
    await new Promise((r) => setTimeout(r, windowMs));
    const [w, c] = [warm, cold];
    warm = new Window();
    cold = new Window();
    const m = await metric(metricsUrl, ['process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_eventloop_lag_max_seconds']);
    const rss = m['process_resident_memory_bytes'] ?? Number.NaN;
    rows.push({ rss, warmP99: w.pct(0.99), coldP99: c.pct(0.99), errors: w.errors + c.errors });
    process.stdout.write(
      `minute ${minute}: RSS ${mb(rss)} (heap used ${mb(m['nodejs_heap_size_used_bytes'] ?? Number.NaN)}, log ${mb(statSync(logFile).size)}), event-loop delay p99 ${ms((m['nodejs_eventloop_lag_p99_seconds'] ?? Number.NaN) * 1000)} max ${ms((m['nodejs_eventloop_lag_max_seconds'] ?? Number.NaN) * 1000)}` +
        ` | warm ${w.latencies.length} req p50 ${ms(w.pct(0.5))} p99 ${ms(w.pct(0.99))} shed ${w.shed}` +
        ` | cold ${c.latencies.length} images p50 ${ms(c.pct(0.5))} p99 ${ms(c.pct(0.99))}` +
        ` | errors ${w.errors + c.errors}${w.firstError ?? c.firstError ? ` (first: ${(w.firstError ?? c.firstError ?? '').slice(0, 160)})` : ''}\n`,
    );
  }
  stopped = true;
  clearInterval(warmTimer);
  clearInterval(coldTimer);
  await Promise.all(pushers);
  agent.destroy();
  client.close();

  const first = rows[0];
  const last = rows[rows.length - 1];
  const errors = rows.reduce((n, r) => n + r.errors, 0);
  if (first !== undefined && last !== undefined) {
    const growth = (last.rss - first.rss) / first.rss;
    const p99s = rows.slice(1).map((r) => r.warmP99);
    process.stdout.write(
      `summary: RSS ${mb(first.rss)} after minute 1 -> ${mb(last.rss)} (${(growth * 100).toFixed(1)}%, goal < 10%: ${growth < 0.1 ? 'met' : 'NOT met'}); ` +
        `errors ${errors} (goal 0: ${errors === 0 ? 'met' : 'NOT met'}); warm p99 after minute 1 ${ms(Math.min(...p99s))} .. ${ms(Math.max(...p99s))}; ` +
        `cold p99 ${ms(first.coldP99)} -> ${ms(last.coldP99)}\n`,
    );
  }
} finally {
  await serve?.stop();
  await registry.stop();
  await rm(dir, { recursive: true, force: true });
}
