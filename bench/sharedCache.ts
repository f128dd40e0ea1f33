/**
 * The verdict cache at scale (issue 14, items 3 and 4), with `signgate serve` as its own process (CLI entry point
 * through tsx, wall clock, real TLS), Debian's docker-registry behind a counting proxy and Debian's redis-server:
 * (a) memory: one provider's resident set with 100,000 cached verdicts (goal <= 150 MiB) and the bytes each verdict
 *     takes. The cache is filled through the provider's own path: 100,000 valid shared-cache values (clones of one
 *     real verdict, each for another digest) are written to Redis and every key is asked for once, so each becomes a
 *     local verdict through the shared cache's check, without 100,000 registry round trips. The figure is the RSS once
 *     the provider has then been idle for 20 s, as a replica is between bursts (it collects the fill's garbage when
 *     idle, provider/src/cli/idleCollection.ts); the RSS right after the fill is printed beside it.
 * (b) the cluster: two replicas on one redis-server behind one load generator that asks both replicas for each cold
 *     image at the same moment (as admission of a Deployment's Pods on two nodes would); registry requests and
 *     verifications (signature envelope downloads) per image, without and with the shared cache. Goal: 1
 *     verification per image for the cluster.
 * Counts and ratios only: nothing here is a timing assertion.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import https from 'node:https';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Redis } from 'ioredis';
import { loadConfigFromFiles } from '../provider/src/config/index.js';
import { Registry, type Descriptor, type FetchLike } from '../provider/src/oci/index.js';
import { encodeSharedVerdict, type SharedVerdictKey } from '../provider/src/verify/sharedVerdict.js';
import type { Verdict } from '../provider/src/verify/index.js';
import { VerdictCache, verdictKey } from '../provider/src/verify/verdictCache.js';
import { trustConfigYaml } from '../test/support/configYaml.js';
import { createPki } from '../test/support/pki.js';
import { startRedis, type RunningRedis } from '../test/support/redis.js';
import { startRegistry } from '../test/support/registry.js';
import { RegistryProxy } from '../test/support/registryProxy.js';
import { componentPath } from '../test/support/requirements.js';
import { BUILT_MAIN, startServeProcess, type ServeProcess } from '../test/support/serveProcess.js';
import { createTlsServerCertificate } from '../test/support/tlsCerts.js';
import { TempDirs, pushImage, signImage } from '../test/unit/verify/fixtures.js';
import type { BenchResult } from './measure.js';

const VERDICTS = 100_000;
const RSS_GOAL_MIB = 150;
const SEAL_KEY = 'bench-shared-cache-seal-key-0123456789';
const COLD_IMAGES = 20;
const KEYS_PER_REQUEST = 20;
const KEY_PREFIX = 'signgate:v1:online';
/** How long the provider is left idle after the fill before its RSS is read. */
const IDLE_WAIT_MS = 20_000;

interface Replica {
  readonly process: ServeProcess;
  readonly url: string;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) / 1024;
}

/**
 * RSS once the process has been idle for IDLE_WAIT_MS, as a replica is between bursts: serve collects once its heap
 * has stood still for 7.5 s after start-up or after growing (provider/src/cli/idleCollection.ts).
 */
async function idleRss(pid: number): Promise<number> {
  await new Promise((done) => setTimeout(done, IDLE_WAIT_MS));
  return rssMiB(pid);
}

function post(agent: https.Agent, replica: Replica, ca: string, keys: readonly string[]): Promise<{ key: string; value?: Verdict; error?: string }[]> {
  const u = new URL('/ratify/gatekeeper/v1/verify', replica.url);
  const body = JSON.stringify({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys } });
  return new Promise((resolve, reject) => {
    const req = https.request({ hostname: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, ca, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}: ${text.slice(0, 300)}`));
        return resolve((JSON.parse(text) as { response: { items: { key: string; value?: Verdict; error?: string }[] } }).response.items);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function startReplica(args: readonly string[], built = false): Promise<Replica> {
  const process = startServeProcess(args, { SIGNGATE_LOG_LEVEL: 'warn' }, ['serve'], { built });
  const [, url = ''] = await process.waitForStderr(/listening on (https:\/\/\S+) \(metrics/, 'the listening line');
  return { process, url };
}

/** Pushes and signs `n` images (wall-clock PKI: the replicas verify on the wall clock). */
async function coldImages(client: Registry, host: string, pki: Awaited<ReturnType<typeof createPki>>, tagPrefix: string, n: number): Promise<string[]> {
  const repo = client.repository(`${host}/bench/cold`);
  const keys: string[] = [];
  for (let i = 0; i < n; i++) {
    const image: Descriptor = await pushImage(repo, `${tagPrefix}-${i}`, `cold layer ${tagPrefix} ${i}`);
    await signImage(repo, image, pki, { signingTime: new Date(Date.now() - 60_000) });
    keys.push(`${host}/bench/cold@${image.digest}`);
  }
  return keys;
}

/**
 * The heap that `n` verdicts hold in a VerdictCache (the provider's), after full collections: what the provider's RSS
 * after the HTTP fill cannot tell apart from the garbage the fill itself left.
 */
function retainedBytesPerVerdict(template: string, seedSubject: string, subjectOf: (i: number) => string, configDigest: string, n: number): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  setFlagsFromString('--no-expose-gc');
  const heap = (): number => {
    gc();
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  };
  const before = heap();
  const cache = new VerdictCache({ maxEntries: n, ttlMs: 3_600_000, maxBytes: 4 * 1024 ** 3 }, () => new Date());
  for (let i = 0; i < n; i++) cache.set(verdictKey('', subjectOf(i), configDigest), JSON.parse(template.split(seedSubject).join(subjectOf(i))) as Verdict);
  const after = heap();
  if (cache.stats().entries !== n) throw new Error(`the measured cache holds ${cache.stats().entries} verdicts, not ${n}`);
  return (after - before) / n;
}

export async function benchSharedCache(): Promise<BenchResult[]> {
  for (const component of ['docker-registry', 'redis-server'] as const) {
    if (componentPath(component) === undefined) {
      process.stdout.write(`shared cache: skipped (${component} is not installed; run .ci/deps)\n`);
      return [];
    }
  }
  const dirs = new TempDirs();
  const registry = await startRegistry();
  const proxy = await new RegistryProxy(registry.host).start();
  let redis: RunningRedis | undefined;
  const replicas: Replica[] = [];
  const agent = new https.Agent({ keepAlive: true, maxSockets: 8 });
  try {
    const pki = await createPki({ at: new Date() });
    const tls = await createTlsServerCertificate({ at: new Date(), hosts: ['127.0.0.1'] });
    const dir = await dirs.make();
    const files = { config: join(dir, 'signgate.yaml'), cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key'), sealKey: join(dir, 'shared-cache-key') };
    await writeFile(files.config, trustConfigYaml(pki.root.pem));
    await writeFile(files.sealKey, SEAL_KEY);
    await writeFile(files.cert, tls.certChainPem);
    await writeFile(files.key, tls.keyPem);
    const common = ['--config', files.config, '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0', '--tls-cert', files.cert, '--tls-key', files.key];
    const client = new Registry({ fetch: fetch as FetchLike, clock: () => new Date() });
    const results: BenchResult[] = [];

    // (b) the cluster, without and with the shared cache
    const perImage = async (shared: boolean, run: string): Promise<{ requests: number; verifications: number }> => {
      redis = shared ? await startRedis() : undefined;
      const extra = redis !== undefined ? ['--shared-cache', redis.url, '--shared-cache-key-file', files.sealKey] : [];
      const pair = [await startReplica([...common, ...extra]), await startReplica([...common, ...extra])];
      replicas.push(...pair);
      const keys = await coldImages(client, proxy.host, pki, run, COLD_IMAGES);
      const before = proxy.forwarded.length;
      for (const key of keys) {
        const answers = await Promise.all(pair.map((r) => post(agent, r, tls.ca.pem, [key])));
        for (const [item] of answers) if (item?.value?.isSuccess !== true) throw new Error(`${key}: not a pass: ${JSON.stringify(item)}`);
      }
      const forwarded = proxy.forwarded.slice(before);
      for (const r of pair) r.process.kill();
      await redis?.stop();
      redis = undefined;
      // each verification downloads its signature envelope (a blob) once; replicas do not share a content cache
      return { requests: forwarded.length, verifications: forwarded.filter((l) => l.includes('/blobs/')).length };
    };
    const alone = await perImage(false, 'alone');
    const together = await perImage(true, 'shared');
    results.push(
      { name: `2 replicas, ${COLD_IMAGES} cold images asked of both at once, without --shared-cache: registry requests in all`, value: alone.requests, unit: 'requests' },
      { name: `  ... verifications (signature downloads) for the ${COLD_IMAGES} images`, value: alone.verifications, unit: 'verifications' },
      { name: '2 replicas, same load, with --shared-cache (one redis-server): registry requests in all', value: together.requests, unit: 'requests' },
      { name: `  ... verifications for the ${COLD_IMAGES} images, cluster-wide (goal: one per image)`, value: together.verifications, unit: 'verifications', limit: COLD_IMAGES },
    );

    // (a) one provider with 100,000 cached verdicts, filled through the shared cache
    redis = await startRedis();
    const big = ['--verdict-cache-size', String(VERDICTS), '--verdict-cache-bytes', String(4 * 1024 ** 3), '--verdict-cache-ttl', '3600s'];
    // the built CLI when there is one (what an image runs; tsx alone holds tens of MiB), else through tsx
    const built = existsSync(BUILT_MAIN);
    const provider = await startReplica([...common, ...big, '--shared-cache', redis.url, '--shared-cache-key-file', files.sealKey], built);
    replicas.push(provider);
    const [seedKey = ''] = await coldImages(client, proxy.host, pki, 'seed', 1);
    const [seed] = await post(agent, provider, tls.ca.pem, [seedKey]);
    if (seed?.value?.isSuccess !== true) throw new Error(`the seed image did not pass: ${JSON.stringify(seed)}`);
    const configDigest = (await loadConfigFromFiles([files.config], { generation: 1 })).cluster?.digest ?? '';
    const seedSubject = seedKey;
    const template = JSON.stringify(seed.value);
    const subjectOf = (i: number): string => `${proxy.host}/bench/many@sha256:${i.toString(16).padStart(64, '0')}`;
    const writer = new Redis(redis.url);
    const keys: string[] = [];
    const expiresAt = Date.now() + 3_600_000;
    for (let start = 0; start < VERDICTS; start += 1000) {
      const batch = writer.pipeline();
      for (let i = start; i < start + 1000; i++) {
        const subject = subjectOf(i);
        const verdict = JSON.parse(template.split(seedSubject).join(subject)) as Verdict;
        const key: SharedVerdictKey = { scope: '', subject, configDigest };
        batch.set(`${KEY_PREFIX}:verdict:${configDigest}::${subject}`, encodeSharedVerdict(key, { subject: 0, repository: 0 }, expiresAt, verdict, Buffer.from(SEAL_KEY)), 'PX', 3_600_000);
        keys.push(subject);
      }
      await batch.exec();
    }
    writer.disconnect();
    const pid = provider.process.child.pid ?? 0;
    const before = await idleRss(pid);
    // a lookup that runs into its 50 ms bound on a loaded machine is a miss: that key is verified instead (an error,
    // as the digest does not exist) and asked again; rounds are bounded
    let pending = keys;
    for (let round = 0; round < 20 && pending.length > 0; round++) {
      const missed: string[] = [];
      for (let start = 0; start < pending.length; start += KEYS_PER_REQUEST * 2) {
        await Promise.all(
          [0, 1].map(async (j) => {
            const slice = pending.slice(start + j * KEYS_PER_REQUEST, start + (j + 1) * KEYS_PER_REQUEST);
            if (slice.length > 0) for (const item of await post(agent, provider, tls.ca.pem, slice)) if (item.value?.isSuccess !== true) missed.push(item.key);
          }),
        );
      }
      pending = missed;
    }
    if (pending.length > 0) throw new Error(`${pending.length} verdicts could not be filled through the shared cache in 20 rounds`);
    const metrics = await (await fetch(`${(await provider.process.waitForStderr(/\(metrics (http:\/\/\S+)\)/, 'metrics url'))[1] ?? ''}/metrics`)).text();
    const gauge = (name: string): number => Number(/^(\S+) (\S+)$/m.exec(metrics.split('\n').find((l) => l.startsWith(name)) ?? '')?.[2] ?? Number.NaN);
    const after = rssMiB(pid);
    const idle = await idleRss(pid);
    const retained = retainedBytesPerVerdict(template, seedSubject, subjectOf, configDigest, VERDICTS);
    results.push(
      {
        name: `provider RSS with ${VERDICTS.toLocaleString('en')} cached verdicts (${built ? 'built CLI' : 'tsx process: run npm run build for the built CLI'}, idle ${IDLE_WAIT_MS / 1000} s after the fill)`,
        value: idle,
        unit: 'MiB',
        limit: RSS_GOAL_MIB,
      },
      { name: '  ... RSS right after the fill (the fill\'s garbage not yet collected)', value: after, unit: 'MiB' },
      { name: `  ... RSS before filling (one verdict cached, idle ${IDLE_WAIT_MS / 1000} s)`, value: before, unit: 'MiB' },
      { name: '  ... RSS growth per cached verdict ((idle - before) / verdicts)', value: ((idle - before) * 1024 * 1024) / VERDICTS, unit: 'bytes' },
      { name: '  ... heap retained per cached verdict after full collections (same verdicts, VerdictCache in this process)', value: retained, unit: 'bytes' },
      { name: `  ... RSS before filling + ${VERDICTS.toLocaleString('en')} x retained bytes (a cross-check of the idle figure)`, value: before + (retained * VERDICTS) / 1024 / 1024, unit: 'MiB' },
      { name: '  ... bytes per verdict as --verdict-cache-bytes counts them (entryBytes)', value: gauge('signgate_cache_bytes{cache="verdict"}') / VERDICTS, unit: 'bytes' },
      { name: '  ... verdicts cached (signgate_cache_entries{cache="verdict"})', value: gauge('signgate_cache_entries{cache="verdict"}'), unit: 'verdicts' },
    );
    return results;
  } finally {
    agent.destroy();
    for (const r of replicas) r.process.kill();
    await redis?.stop();
    await proxy.stop();
    await registry.stop();
    await dirs.cleanup();
  }
}
