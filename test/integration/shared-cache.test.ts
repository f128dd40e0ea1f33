/**
 * The shared verdict cache with real parts: two `signgate serve` processes (replicas A and B, the CLI entry point,
 * wall clock, real TLS) sharing Debian's redis-server (started here on loopback, with a password read from
 * --shared-cache-password-file), in front of Debian's docker-registry reached through a counting proxy, and the
 * registry's own notifications sent to replica A's event route. Registry requests are counted at the proxy, so "no
 * registry request" is observed, not inferred.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import https from 'node:https';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Registry, type Descriptor, type FetchLike, type Repository } from '../../provider/src/oci/index.js';
import { trustConfigYaml } from '../support/configYaml.js';
import { createPki, type Pki } from '../support/pki.js';
import { startRedis, type RunningRedis } from '../support/redis.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { RegistryProxy } from '../support/registryProxy.js';
import { requireComponent } from '../support/requirements.js';
import { startServeProcess, type ServeProcess } from '../support/serveProcess.js';
import { createTlsServerCertificate } from '../support/tlsCerts.js';
import { waitFor } from '../support/waitFor.js';
import { TempDirs, pushImage, signImage } from '../unit/verify/fixtures.js';

const TOKEN = 'shared-cache-events-token-0123456789';
const PASSWORD = 'shared-cache-test-password';
const SEAL_KEY = 'shared-cache-seal-key-0123456789abcdef';
/** A value's JSON sealed with `key` in the documented format (`<base64url HMAC-SHA256>.<JSON>`), written independently. */
const sealWith = (key: string, json: string): string => `${createHmac('sha256', key).update(json).digest('base64url')}.${json}`;
const jsonOf = (value: string): string => value.slice(value.indexOf('.') + 1);

interface Replica {
  readonly name: string;
  readonly process: ServeProcess;
  readonly url: string;
  readonly metricsUrl: string;
}

type Verdict = { isSuccess: boolean; verifierReports: { errorReason: string; message: string }[] };
type Item = { key: string; value?: Verdict; error?: string };

function verify(replica: Replica, ca: string, key: string): Promise<Item> {
  const u = new URL('/ratify/gatekeeper/v1/verify', replica.url);
  const body = JSON.stringify({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys: [key] } });
  return new Promise((resolve, reject) => {
    const req = https.request({ hostname: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent: false, ca, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`${replica.name}: status ${res.statusCode}: ${text}`));
        const item = (JSON.parse(text) as { response: { items: Item[] } }).response.items[0];
        return item ? resolve(item) : reject(new Error(`${replica.name}: no item in ${text}`));
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The sum of a counter's samples whose labels include `labels` (e.g. `operation="lookup",outcome="hit"`). */
async function metric(replica: Replica, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${replica.metricsUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && labels.split(',').every((label) => l.includes(label)))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

function decided(item: Item, replica: string): Verdict {
  assert.ok(item.value !== undefined, `${replica} answered an item error instead of a verdict: ${JSON.stringify(item)}`);
  return item.value;
}

describe('shared verdict cache: two signgate serve replicas on one redis-server (real docker-registry, real TLS)', function () {
  this.timeout(180_000);
  const dirs = new TempDirs();
  let redis: RunningRedis | undefined;
  let registry: RunningRegistry | undefined;
  let proxy: RegistryProxy | undefined;
  let spy: Redis | undefined;
  const replicas: Replica[] = [];
  let ca = '';
  let pki: Pki;
  let client: Registry;
  const repo = (): Repository => client.repository(`${proxy?.host ?? ''}/team/app`);
  const key = (image: Descriptor): string => `${proxy?.host ?? ''}/team/app@${image.digest}`;
  const sign = (image: Descriptor): Promise<void> => signImage(repo(), image, pki, { signingTime: new Date(Date.now() - 60_000) });

  const startReplica = async (name: string, args: readonly string[]): Promise<Replica> => {
    const process = startServeProcess(args, { SIGNGATE_LOG_LEVEL: 'info' });
    const [, url = '', metricsUrl = ''] = await process.waitForStderr(/listening on (https:\/\/\S+) \(metrics (http:\/\/\S+)\)/, `replica ${name} listening`);
    const replica = { name, process, url, metricsUrl };
    replicas.push(replica);
    await waitFor(async () => (await metric(replica, 'signgate_shared_cache_operations_total', 'operation="subscribe",outcome="ok"')) >= 1, `replica ${name} subscribed to the invalidation channel`, 30_000);
    return replica;
  };

  before(async function () {
    requireComponent(this, 'docker-registry');
    requireComponent(this, 'redis-server');
    // the replicas verify on the wall clock: a PKI minted now, signatures signed now
    pki = await createPki({ at: new Date() });
    const tls = await createTlsServerCertificate({ at: new Date(), hosts: ['127.0.0.1'] });
    ca = tls.ca.pem;
    redis = await startRedis({ password: PASSWORD });
    spy = new Redis({ port: redis.port, host: '127.0.0.1', password: PASSWORD, lazyConnect: true, maxRetriesPerRequest: 0 });
    spy.on('error', () => undefined); // the outage test kills the server under it
    await spy.connect();
    const dir = await dirs.make();
    const files = { config: join(dir, 'signgate.yaml'), token: join(dir, 'token'), password: join(dir, 'redis-password'), cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key'), sealKey: join(dir, 'shared-cache-key') };
    await writeFile(files.config, trustConfigYaml(pki.root.pem));
    await writeFile(files.token, `${TOKEN}\n`);
    await writeFile(files.password, `${PASSWORD}\n`);
    await writeFile(files.sealKey, `${SEAL_KEY}\n`);
    await writeFile(files.cert, tls.certChainPem);
    await writeFile(files.key, tls.keyPem);
    const common = ['--config', files.config, '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0', '--tls-cert', files.cert, '--tls-key', files.key];
    const shared = ['--shared-cache', `redis://127.0.0.1:${redis.port}/0`, '--shared-cache-password-file', files.password, '--shared-cache-key-file', files.sealKey];
    const a = await startReplica('A', [...common, ...shared, '--events-token-file', files.token]);
    await startReplica('B', [...common, ...shared]);
    registry = await startRegistry({ notifications: { url: `${a.url}/v1/registry-events`, headers: { Authorization: `Bearer ${TOKEN}` } }, notificationsCaPem: ca });
    proxy = await new RegistryProxy(registry.host).start();
    client = new Registry({ fetch: fetch as FetchLike, clock: () => new Date() });
  });

  after(async function () {
    for (const r of replicas) r.process.kill();
    spy?.disconnect();
    await proxy?.stop();
    await registry?.stop();
    await redis?.stop();
    await dirs.cleanup();
  });

  const replica = (name: 'A' | 'B'): Replica => {
    const r = replicas.find((x) => x.name === name);
    assert.ok(r, `replica ${name} is running`);
    return r;
  };

  it('an image verified through replica A is answered by replica B with no registry request', async function () {
    const image = await pushImage(repo(), 'shared-1');
    await sign(image);
    // the registry's notification of the signature invalidates the subject everywhere: let it arrive first
    await replica('A').process.waitForLog((l) => l.kind === 'subject' && l.image === key(image), 'A logs the subject invalidation of the signature push');
    const a = decided(await verify(replica('A'), ca, key(image)), 'A');
    assert.equal(a.isSuccess, true, JSON.stringify(a));
    const before = proxy?.forwarded.length ?? 0;
    const hitsBefore = await metric(replica('B'), 'signgate_shared_cache_operations_total', 'operation="lookup",outcome="hit"');
    const b = decided(await verify(replica('B'), ca, key(image)), 'B');
    assert.equal(b.isSuccess, true, JSON.stringify(b));
    assert.deepEqual(proxy?.forwarded.slice(before), [], 'replica B sent no request to the registry');
    assert.equal(await metric(replica('B'), 'signgate_shared_cache_operations_total', 'operation="lookup",outcome="hit"'), hitsBefore + 1);
  });

  it('a garbage or forged value planted in Redis is not trusted: B verifies itself, counts and logs the refusal', async function () {
    const refused: string[] = [];
    const forgedPass = (value: string): string => jsonOf(value).replaceAll('"isSuccess":false', '"isSuccess":true').replaceAll('"errorReason":"SIGNATURE_NOT_FOUND"', '"errorReason":""');
    for (const [what, plant] of [
      ['a well-formed pass for this very image, unsealed', forgedPass],
      ['the same pass sealed with another key', (value: string): string => sealWith('another-key-of-at-least-32-bytes-xx', forgedPass(value))],
      ['not JSON, sealed with the replicas\' key (a replica gone wrong)', (): string => sealWith(SEAL_KEY, '{"format":"signgate-verdict/v1",')],
      ['a pass written for another subject, sealed', (value: string): string => sealWith(SEAL_KEY, jsonOf(value).replace(/"subject":"[^"]*"/, '"subject":"127.0.0.1:1/other/image@sha256:' + '0'.repeat(64) + '"').replace('"isSuccess":false', '"isSuccess":true'))],
    ] as const) {
      const image = await pushImage(repo(), `planted-${refused.length}`, `layer ${what}`);
      assert.equal(decided(await verify(replica('A'), ca, key(image)), 'A').isSuccess, false, `${what}: an unsigned image fails`);
      const [stored] = await waitFor(async () => {
        const keys = await spy?.keys(`*:verdict:*${image.digest}`);
        return keys !== undefined && keys.length === 1 ? keys : undefined;
      }, `${what}: A's verdict in Redis`);
      assert.ok(stored !== undefined);
      const original = (await spy?.get(stored)) ?? '';
      await spy?.set(stored, plant(original), 'PX', 60_000);
      const invalidBefore = await metric(replica('B'), 'signgate_shared_cache_operations_total', 'outcome="invalid"');
      const before = proxy?.forwarded.length ?? 0;
      const b = decided(await verify(replica('B'), ca, key(image)), 'B');
      assert.equal(b.isSuccess, false, `${what}: the planted value did not make B pass`);
      assert.equal(b.verifierReports[0]?.errorReason, 'SIGNATURE_NOT_FOUND', `${what}: B decided itself`);
      assert.ok((proxy?.forwarded.length ?? 0) > before, `${what}: B asked the registry`);
      assert.equal(await metric(replica('B'), 'signgate_shared_cache_operations_total', 'outcome="invalid"'), invalidBefore + 1, `${what}: counted as invalid`);
      refused.push(image.digest);
    }
    // the warn line is rate-limited (one per 30 s and kind): the first refusal is logged, naming the image
    const logged = replica('B').process.lines.filter((l) => l.level === 40 && /^shared cache lookup refused a value/.test(l.msg));
    assert.equal(logged.length, 1, JSON.stringify(logged));
    assert.match(String(logged[0]?.detail), new RegExp(`${refused[0] ?? 'none'}: SHARED_CACHE_VALUE_INVALID: is not sealed with this replica's shared-cache key`));
  });

  it('a registry event received by A invalidates B\'s answer (epoch in Redis, message on the channel)', async function () {
    const image = await pushImage(repo(), 'event-1');
    assert.equal(decided(await verify(replica('A'), ca, key(image)), 'A').isSuccess, false, 'unsigned: denied by A');
    const before = proxy?.forwarded.length ?? 0;
    assert.equal(decided(await verify(replica('B'), ca, key(image)), 'B').isSuccess, false, 'denied by B from the shared cache');
    assert.deepEqual(proxy?.forwarded.slice(before), [], 'B answered the denial without the registry');
    const messages = await metric(replica('B'), 'signgate_shared_cache_operations_total', 'operation="message",outcome="ok"');
    await sign(image); // docker-registry notifies A of the signature push
    await replica('A').process.waitForLog((l) => l.kind === 'subject' && l.image === key(image), 'A logs the subject invalidation');
    await waitFor(async () => (await metric(replica('B'), 'signgate_shared_cache_operations_total', 'operation="message",outcome="ok"')) > messages, 'B receives the invalidation', 30_000);
    const b = decided(await verify(replica('B'), ca, key(image)), 'B');
    assert.equal(b.isSuccess, true, `B passes the newly signed image at once: ${JSON.stringify(b)}`);
  });

  it('Redis paused, then killed: both replicas keep answering within their deadlines, from local caches and their own verification', async function () {
    const warm = await pushImage(repo(), 'outage-warm');
    await sign(warm);
    for (const name of ['A', 'B'] as const) assert.equal(decided(await verify(replica(name), ca, key(warm)), name).isSuccess, true);
    redis?.pause(); // connected but silent: every call runs into its 50 ms bound
    const slow = await pushImage(repo(), 'outage-slow');
    await sign(slow);
    for (const name of ['A', 'B'] as const) {
      assert.equal(decided(await verify(replica(name), ca, key(warm)), name).isSuccess, true, `${name}: cached pass while Redis is paused`);
      assert.equal(decided(await verify(replica(name), ca, key(slow)), name).isSuccess, true, `${name}: cold image verified while Redis is paused`);
      assert.ok((await metric(replica(name), 'signgate_shared_cache_operations_total', 'outcome="timeout"')) >= 1, `${name}: timeouts counted`);
    }
    await redis?.kill();
    const cold = await pushImage(repo(), 'outage-cold');
    await sign(cold);
    for (const name of ['A', 'B'] as const) {
      assert.equal(decided(await verify(replica(name), ca, key(warm)), name).isSuccess, true, `${name}: cached pass with Redis gone`);
      assert.equal(decided(await verify(replica(name), ca, key(cold)), name).isSuccess, true, `${name}: cold image verified with Redis gone`);
      await waitFor(async () => (await metric(replica(name), 'signgate_shared_cache_connected', '')) === 0 || undefined, `${name}: the connected gauge drops to 0`);
      assert.ok(
        replica(name).process.lines.some((l) => l.level === 40 && /^shared cache .*answering from the local cache/.test(l.msg)),
        `${name}: a warn line says the shared cache is failing`,
      );
    }
  });
});
