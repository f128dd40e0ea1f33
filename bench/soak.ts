/**
 * `npm run soak -- --minutes N` (issue 15, section 5; not in CI): `signgate serve` as its own process (the CLI entry
 * point, wall clock, cross-fetch, a config file) in front of Debian's docker-registry, under two loads at once for N
 * minutes:
 * - warm: `--warm-rps` (default 500) verify requests per second, each the same 10 signed keys (cached verdicts);
 * - cold: `--cold-rps` (default 10) images per second that are pushed and signed during the run, each verified once
 *   by a one-key request as soon as it is in the registry (nothing cached).
 * The client is shaped after Gatekeeper's (soakClient.ts: Go's Transport, idle connections kept 90 s). Every minute it
 * prints the provider's RSS, heap used of the heap V8 holds, external memory and event-loop delay (its own /metrics:
 * process_resident_memory_bytes, nodejs_heap_size_{used,total}_bytes, nodejs_external_memory_bytes and prom-client's
 * nodejs_eventloop_lag_*, reset at each scrape, so each line covers that minute), the fill of its caches (signgate_cache_entries / signgate_cache_bytes), the p50/p99 latency of each load,
 * and the errors by kind: a connection failure, a non-200 answer, an item error, a verdict other than a pass. `shed`
 * counts warm requests not sent because 256 were already waiting (the load generator, not the provider, fell behind).
 *
 * Warm-up: the first `--warmup-minutes` (default a third of the run, at most 5) fill the caches. So that they are full
 * by then, the provider gets cache bounds sized to the cold load (`--verdict-cache-size`, `--tag-cache-size`: the
 * images of half the warm-up; `--content-cache-bytes`: 4 KiB per such image), printed at the start; growth after the
 * warm-up is then not caches filling. The last lines check the issue's goals, each PASS or FAIL: RSS growth from the
 * end of the warm-up to the end < 10%, zero errors, warm p99 flat (the median of the last third of the minutes after
 * the warm-up at most 1.5 times that of the first third). `--heap-snapshots DIR` has the provider write a V8 heap
 * snapshot there at the end of the warm-up and at the end (compare them in Chrome DevTools, Memory tab); writing one
 * costs memory and time, so RSS and latency figures of such a run are for diagnosis only. `--serve-arg ARG`
 * (repeatable) passes a flag to `signgate serve` (e.g. `--serve-arg=--keep-alive-timeout=15s`). The provider's log goes
 * to a file in the run's temp folder (its size is printed), never through this process.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import crossFetch from 'cross-fetch';
import { signEnvelope } from '../provider/src/notation/index.js';
import { Registry, type Descriptor, type FetchLike, type Repository } from '../provider/src/oci/index.js';
import { createPki, type Pki } from '../test/support/pki.js';
import { freePort, startRegistry } from '../test/support/registry.js';
import { createTlsServerCertificate } from '../test/support/tlsCerts.js';
import { pushImage } from '../test/unit/verify/fixtures.js';
import { connectionErrorKind, gatekeeperLikeAgent, postKeys } from './soakClient.js';

const MAX_WAITING = 256;
const PUSHERS = 4;
/**
 * What one cold image counts in the content cache: its signature manifest and JWS envelope (measured: about 3.2 KB
 * together), plus each entry's key and overhead as oci/cache.ts counts them, rounded up.
 */
const CONTENT_BYTES_PER_IMAGE = 4 * 1024;
/** Goals (issue 15, section 5). */
const MAX_GROWTH = 0.1;
const MAX_P99_RATIO = 1.5;

function positive(name: string, text: string, max: number): number {
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(n > 0) || n > max) throw new Error(`--${name} must be a number above 0 and at most ${max}, got "${text}"`);
  return n;
}

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    'warm-rps': { type: 'string', default: '500' },
    'cold-rps': { type: 'string', default: '10' },
    'warmup-minutes': { type: 'string' },
    'verdict-cache-size': { type: 'string' },
    'tag-cache-size': { type: 'string' },
    'content-cache-bytes': { type: 'string' },
    'heap-snapshots': { type: 'string' },
    'serve-arg': { type: 'string', multiple: true, default: [] },
  },
});
const minutes = positive('minutes', values.minutes, 24 * 60);
const warmRps = positive('warm-rps', values['warm-rps'], 10_000);
const coldRps = positive('cold-rps', values['cold-rps'], 1_000);
const warmupMinutes = values['warmup-minutes'] !== undefined ? positive('warmup-minutes', values['warmup-minutes'], minutes) : Math.min(5, Math.max(1, Math.floor(minutes / 3)));
if (warmupMinutes >= minutes) throw new Error(`--warmup-minutes (${warmupMinutes}) must be shorter than --minutes (${minutes}): the goals are checked after the warm-up`);
const fillImages = Math.max(100, Math.round((coldRps * 60 * warmupMinutes) / 2));
const cacheBounds = {
  'verdict-cache-size': values['verdict-cache-size'] ?? String(fillImages),
  'tag-cache-size': values['tag-cache-size'] ?? String(fillImages),
  'content-cache-bytes': values['content-cache-bytes'] ?? String(fillImages * CONTENT_BYTES_PER_IMAGE),
};
const snapshotDir = values['heap-snapshots'] !== undefined ? resolve(values['heap-snapshots']) : undefined;

/** Latencies (ms) and errors by kind of one load over one minute. */
class Window {
  latencies: number[] = [];
  errors = new Map<string, number>();
  shed = 0;
  firstError: string | undefined;
  error(kind: string, why: string): void {
    this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
    this.firstError ??= why;
  }
  errorCount(): number {
    return [...this.errors.values()].reduce((a, b) => a + b, 0);
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

/** Sends one request, records its latency, and counts anything but "every key passed" as an error of its kind. */
async function verify(agent: ReturnType<typeof gatekeeperLikeAgent>, url: URL, ca: string, keys: readonly string[], window: () => Window): Promise<void> {
  const t0 = performance.now();
  try {
    const res = await postKeys(agent, url, ca, keys);
    const w = window();
    w.latencies.push(performance.now() - t0);
    if (res.status !== 200) return w.error(`status ${res.status}`, `status ${res.status}: ${res.body.slice(0, 200)}`);
    const items = (JSON.parse(res.body) as { response: { items: { key: string; value?: { isSuccess?: boolean }; error?: string }[] } }).response.items;
    for (const item of items) {
      if (item.value?.isSuccess === true) continue;
      if (item.error !== undefined) w.error('item error', `${item.key}: ${item.error}`);
      else w.error('not a pass', `${item.key}: verdict is not a pass`);
    }
  } catch (error) {
    window().error(connectionErrorKind(error), (error as Error).message);
  }
}

/** Every series of the provider's /metrics, by its text (`name` or `name{labels}`). */
async function scrape(metricsUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) ([0-9.e+-]+|NaN)$/gm)) out.set(m[1] as string, Number(m[2]));
  return out;
}

const mb = (bytes: number | undefined): string => `${((bytes ?? Number.NaN) / 2 ** 20).toFixed(1)} MB`;
const ms = (n: number | undefined): string => (n !== undefined && Number.isFinite(n) ? `${n.toFixed(1)} ms` : '-');
const pass = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? Number.NaN;

function errorsText(windows: readonly Window[]): string {
  const byKind = new Map<string, number>();
  for (const w of windows) for (const [kind, n] of w.errors) byKind.set(kind, (byKind.get(kind) ?? 0) + n);
  const total = [...byKind.values()].reduce((a, b) => a + b, 0);
  return total === 0 ? '0' : `${total} (${[...byKind].map(([kind, n]) => `${kind} ${n}`).join(', ')})`;
}

/**
 * `signgate serve ARGS` through tsx, its JSON log (stdout) going to `logFile` as a container runtime would take it:
 * a reader in this process would hold every line and compete for the CPU being measured. Resolves once it listens.
 */
async function startServe(args: readonly string[], logFile: string, nodeFlags: readonly string[]): Promise<{ pid: number; snapshot(): void; stop(): Promise<void> }> {
  const log = openSync(logFile, 'w');
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', join(import.meta.dirname, '..', 'provider', 'src', 'cli', 'main.ts'), 'serve', ...args], {
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
    snapshot: () => child.kill('SIGUSR2'),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

interface Row {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly warmP99: number;
  readonly errors: number;
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
  if (snapshotDir !== undefined) await mkdir(snapshotDir, { recursive: true });
  const nodeFlags = snapshotDir !== undefined ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshotDir}`] : [];
  const bounds = Object.entries(cacheBounds).flatMap(([flag, value]) => [`--${flag}`, value]);
  const serveArgs = ['--config', join(dir, 'config.yaml'), '--address', address, '--metrics-address', metricsAddress, '--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key'), ...bounds, ...values['serve-arg']];
  serve = await startServe(serveArgs, logFile, nodeFlags);
  const url = new URL(`https://${address}/ratify/gatekeeper/v1/verify`);
  const metricsUrl = `http://${metricsAddress}`;
  const ca = tls.ca.pem;
  const agent = gatekeeperLikeAgent();
  process.stdout.write(
    `soak: ${minutes} min (warm-up ${warmupMinutes}), warm ${warmRps} req/s x 10 cached keys, cold ${coldRps} new signed images/s; ` +
      `signgate serve pid ${serve.pid} ${bounds.join(' ')}${values['serve-arg'].length > 0 ? ` ${values['serve-arg'].join(' ')}` : ''} (log: ${logFile}), docker-registry ${registry.host}\n`,
  );

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
        cold.error('push', `push ${tag}: ${(error as Error).message}`);
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

  const rows: Row[] = [];
  let warmupFill = '';
  const windows: Window[] = [];
  // one line a minute (a shorter run, e.g. --minutes 0.5, prints one line for its whole length)
  const windowMs = Math.min(60_000, minutes * 60_000);
  const lines = Math.round((minutes * 60_000) / windowMs);
  const warmupLines = Math.max(1, Math.round((warmupMinutes * 60_000) / windowMs));
  for (let minute = 1; minute <= lines; minute++) {
    await new Promise((r) => setTimeout(r, windowMs));
    const [w, c] = [warm, cold];
    warm = new Window();
    cold = new Window();
    windows.push(w, c);
    const m = await scrape(metricsUrl);
    const rss = m.get('process_resident_memory_bytes') ?? Number.NaN;
    rows.push({ rss, heapUsed: m.get('nodejs_heap_size_used_bytes') ?? Number.NaN, heapTotal: m.get('nodejs_heap_size_total_bytes') ?? Number.NaN, warmP99: w.pct(0.99), errors: w.errorCount() + c.errorCount() });
    const entries = (cache: string): string => String(m.get(`signgate_cache_entries{cache="${cache}"}`) ?? '-');
    if (minute === warmupLines) {
      warmupFill =
        `verdict ${entries('verdict')} of ${cacheBounds['verdict-cache-size']}, tags ${entries('tags')} of ${cacheBounds['tag-cache-size']}, ` +
        `content ${mb(m.get('signgate_cache_bytes{cache="content"}'))} of ${mb(Number(cacheBounds['content-cache-bytes']))}`;
    }
    process.stdout.write(
      `minute ${minute}${minute === warmupLines ? ' (end of warm-up)' : ''}: RSS ${mb(rss)} (heap used ${mb(m.get('nodejs_heap_size_used_bytes'))} of ${mb(m.get('nodejs_heap_size_total_bytes'))}, external ${mb(m.get('nodejs_external_memory_bytes'))}, log ${mb(statSync(logFile).size)}),` +
        ` event-loop delay p99 ${ms((m.get('nodejs_eventloop_lag_p99_seconds') ?? Number.NaN) * 1000)} max ${ms((m.get('nodejs_eventloop_lag_max_seconds') ?? Number.NaN) * 1000)}` +
        ` | caches: verdict ${entries('verdict')}, tags ${entries('tags')}, referrers ${entries('referrers')}, content ${entries('content')} (${mb(m.get('signgate_cache_bytes{cache="content"}'))})` +
        ` | warm ${w.latencies.length} req p50 ${ms(w.pct(0.5))} p99 ${ms(w.pct(0.99))} shed ${w.shed}` +
        ` | cold ${c.latencies.length} images p50 ${ms(c.pct(0.5))} p99 ${ms(c.pct(0.99))}` +
        ` | errors ${errorsText([w, c])}${w.firstError ?? c.firstError ? ` (first: ${(w.firstError ?? c.firstError ?? '').slice(0, 160)})` : ''}\n`,
    );
    if (snapshotDir !== undefined && (minute === warmupLines || minute === lines)) serve.snapshot();
  }
  stopped = true;
  clearInterval(warmTimer);
  clearInterval(coldTimer);
  await Promise.all(pushers);
  agent.destroy();
  client.close();

  const base = rows[warmupLines - 1];
  const last = rows[rows.length - 1];
  const after = rows.slice(warmupLines);
  if (base !== undefined && last !== undefined && after.length > 0) {
    const growth = (last.rss - base.rss) / base.rss;
    const third = Math.max(1, Math.floor(after.length / 3));
    const [early, late] = [median(after.slice(0, third).map((r) => r.warmP99)), median(after.slice(-third).map((r) => r.warmP99))];
    const errors = rows.reduce((n, r) => n + r.errors, 0);
    process.stdout.write(
      `caches at the end of the warm-up (full when at their bounds, so that growth after it is not caches filling): ${warmupFill}\n` +
        `goal RSS growth after warm-up < ${MAX_GROWTH * 100}%: ${mb(base.rss)} at minute ${warmupLines} -> ${mb(last.rss)} at minute ${rows.length} (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}%, highest ${mb(Math.max(...after.map((r) => r.rss)))}; V8 heap in use ${mb(base.heapUsed)} -> ${mb(last.heapUsed)}, held ${mb(base.heapTotal)} -> ${mb(last.heapTotal)}): ${pass(growth < MAX_GROWTH)}\n` +
        `goal zero errors: ${errorsText(windows)}: ${pass(errors === 0)}\n` +
        `goal warm p99 flat (last third of the minutes after warm-up at most ${MAX_P99_RATIO}x the first third, medians): ${ms(early)} -> ${ms(late)}: ${pass(late <= early * MAX_P99_RATIO)}\n`,
    );
  }
  if (snapshotDir !== undefined) process.stdout.write(`heap snapshots (end of warm-up, end): ${snapshotDir}\n`);
} finally {
  await serve?.stop();
  await registry.stop();
  await rm(dir, { recursive: true, force: true });
}
