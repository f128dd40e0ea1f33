/**
 * Abuse of the provider (issue 15, section 3), over real HTTPS on loopback against `signgate serve`'s own wiring
 * (startProvider with settings parsed from its flags) and Debian's docker-registry behind test/support/registryProxy
 * (which counts and holds registry requests). Each case states what it expects next to it; every assertion is about
 * behaviour (which connection was cut, with what; which request was served; what the registry was asked), never a
 * duration. Clients that trickle do so on their own interval until the server closes them; the test waits only for
 * observable events, through the bounded waitFor.
 *
 * Two servers: A with short header/request timeouts (3s / 6s) for the slow clients; B with long ones, so that idle
 * connections stay open while it is measured, a verify deadline long enough to hold requests, and 16 places
 * (--max-concurrent-requests) for the 503 case.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { pino } from 'pino';
import { Registry, type Descriptor, type FetchLike } from '../../provider/src/oci/index.js';
import { startProvider, type RunningProvider } from '../../provider/src/cli/serve.js';
import { parseServeArgs } from '../../provider/src/cli/serveArgs.js';
import type { Verdict } from '../../provider/src/verify/index.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { RegistryProxy } from '../support/registryProxy.js';
import { requireComponent } from '../support/requirements.js';
import { track, trickle, type RawClient } from '../support/rawClient.js';
import { waitFor } from '../support/waitFor.js';
import { AT, TempDirs, pushImage, signImage, testPki } from '../unit/verify/fixtures.js';
import { trustConfigYaml } from '../support/configYaml.js';

/** Idle TLS connections held open at once (client and server ends live in this process: 2 descriptors each). */
const IDLE_CONNECTIONS = 2000;
/** Distinct tags of one image, each sent under 10 namespace prefixes: 1,000 keys that all resolve to one digest. */
const TAGS = 100;
const CONCURRENT_BIG_REQUESTS = 8;
const MAX_CONCURRENT = 16;

type Item = { key: string; value?: Verdict | string; error?: string };
interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

const providerRequest = (keys: readonly string[]): string => JSON.stringify({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys } });

/** One request on its own connection; resolves with status, headers and body. */
function post(provider: RunningProvider, path: string, body: string): Promise<Answer> {
  const u = new URL(path, provider.server.url);
  return new Promise((resolve, reject) => {
    const req = https.request(
      { hostname: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent: false, ca: provider.server.devCertificate?.caPem, headers: { 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function probe(provider: RunningProvider, path: '/healthz' | '/readyz' | '/metrics'): Promise<{ status: number; text: string }> {
  const res = await fetch(`${provider.server.metricsUrl ?? ''}${path}`);
  return { status: res.status, text: await res.text() };
}

/** The value of one Prometheus series (exact label text), or 0 when absent. */
async function metric(provider: RunningProvider, series: string): Promise<number> {
  const { text } = await probe(provider, '/metrics');
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

async function assertProbesHealthy(provider: RunningProvider): Promise<void> {
  assert.deepEqual(await probe(provider, '/healthz'), { status: 200, text: 'ok\n' });
  assert.deepEqual(await probe(provider, '/readyz'), { status: 200, text: 'ready\n' });
}

/** A TLS client under the test's control: what it received, and whether the server has closed it. */
/** One client context per server CA: a context per connection would parse the CA thousands of times. */
const contexts = new Map<string, tls.SecureContext>();
function tlsConnect(provider: RunningProvider): Promise<tls.TLSSocket> {
  const u = new URL(provider.server.url);
  const ca = provider.server.devCertificate?.caPem ?? '';
  const secureContext = contexts.get(ca) ?? tls.createSecureContext({ ca });
  contexts.set(ca, secureContext);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: u.hostname, port: Number(u.port), secureContext, servername: 'localhost' }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** A slow client of the provider (see test/support/rawClient.ts). */
async function trickler(provider: RunningProvider, head: string, drip: string): Promise<RawClient> {
  return trickle(await tlsConnect(provider), head, drip);
}

describe('e2e: the provider under abuse (slow clients, idle connections, 1,000-key floods, the concurrency bound)', function () {
  this.timeout(180_000);
  const dirs = new TempDirs();
  let registry: RunningRegistry | undefined;
  let proxy: RegistryProxy | undefined;
  let a: RunningProvider | undefined; // short header/request timeouts
  let b: RunningProvider | undefined; // long timeouts, 16 places
  let same: Descriptor;
  let held: Descriptor;
  const ref = (path: string): string => `${proxy?.host ?? ''}/${path}`;
  const verifyNormal = async (provider: RunningProvider): Promise<void> => {
    const res = await post(provider, '/ratify/gatekeeper/v1/verify', providerRequest([ref('abuse/normal:v1')]));
    assert.equal(res.status, 200, res.body);
    const items = (JSON.parse(res.body) as { response: { items: Item[] } }).response.items;
    assert.equal((items[0]?.value as Verdict | undefined)?.isSuccess, true, res.body);
  };

  before(async function () {
    requireComponent(this, 'docker-registry');
    registry = await startRegistry();
    proxy = await new RegistryProxy(registry.host).start();
    const pki = await testPki();
    const client = new Registry({ fetch: fetch as FetchLike, clock: () => AT });
    const repo = client.repository(`${registry.host}/abuse/same`);
    // the same content under every tag: one manifest, one digest, signed once
    for (let i = 0; i < TAGS; i++) same = await pushImage(repo, `t${i}`, 'one layer for every tag');
    await signImage(repo, same, pki);
    const heldRepo = client.repository(`${registry.host}/abuse/held`);
    held = await pushImage(heldRepo, 'v1');
    await signImage(heldRepo, held, pki);
    const cached = client.repository(`${registry.host}/abuse/normal`);
    await signImage(cached, await pushImage(cached, 'v1'), pki);
    client.close();
    const dir = await dirs.make();
    const configFile = join(dir, 'signgate.yaml');
    await writeFile(configFile, trustConfigYaml(pki.root.pem, { cacheEnabled: true, ttl: 10 }));
    const serve = async (flags: readonly string[]): Promise<RunningProvider> => {
      const settings = parseServeArgs(['--config', configFile, '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0', ...flags], {}, () => '');
      assert.ok(settings !== 'help');
      return startProvider(settings, pino({ level: 'silent' }), { clock: () => AT });
    };
    a = await serve(['--headers-timeout', '3s', '--request-timeout', '6s', '--keep-alive-timeout', '1s']);
    b = await serve(['--headers-timeout', '120s', '--request-timeout', '120s', '--verify-timeout', '60s', '--max-concurrent-requests', String(MAX_CONCURRENT)]);
    // the normal image verified once on each server: later, serving it is a cache hit beside the abuse
    await verifyNormal(a);
    await verifyNormal(b);
  });
  after(async function () {
    await a?.close();
    await b?.close();
    await proxy?.stop();
    await registry?.stop();
    await dirs.cleanup();
  });

  it('slow headers are cut at the headers timeout (408), a slow body at the request timeout (408), silent connections too, while a normal client is served', async function () {
    const provider = a as RunningProvider;
    // padded with JSON whitespace so that, one byte every 50 ms, it could not complete in minutes even on a loaded machine
    const body = providerRequest([ref('abuse/normal:v1')]) + ' '.repeat(4000);
    // headers that never end: one more byte of a header value every 50 ms
    const slowHeaders = await trickler(provider, 'POST /ratify/gatekeeper/v1/verify HTTP/1.1\r\nHost: localhost\r\nX-Slow: ', 'abcdefgh');
    // complete headers, then the body one byte every 50 ms: never complete within the request timeout
    const slowBody = await trickler(provider, `POST /ratify/gatekeeper/v1/verify HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`, body);
    // a TLS connection that sends nothing, and a TCP connection that never starts TLS
    const silentTls = track(await tlsConnect(provider));
    const u = new URL(provider.server.url);
    const rawTcp = track(net.connect({ host: u.hostname, port: Number(u.port) }));
    await new Promise<void>((resolve) => rawTcp.socket.once('connect', () => resolve()));

    // served while all four are open: the slow ones hold no place a normal request needs
    await verifyNormal(provider);
    assert.deepEqual([slowHeaders.closed, slowBody.closed, silentTls.closed, rawTcp.closed], [false, false, false, false], 'the abusive clients are still open while the normal one is served');
    await assertProbesHealthy(provider);

    await waitFor(() => slowHeaders.closed && slowBody.closed && silentTls.closed && rawTcp.closed, 'the server to close every slow or silent connection', 30_000);
    // Node answers a header or request timeout with 408 and closes; the slow body got no ProviderResponse
    assert.match(slowHeaders.received, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.match(slowBody.received, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.match(silentTls.received, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.equal(rawTcp.received, '', 'a connection that never started TLS is closed by the handshake timeout, unanswered');
    // the headers timeout (3s) cut the slow headers before the request timeout (6s) cut the slow body, which had
    // sent its headers at the same moment: each was cut by its own bound
    assert.ok((slowHeaders.closedAt ?? 0) < (slowBody.closedAt ?? 0), `slow headers closed ${String(slowHeaders.closedAt)}th, slow body ${String(slowBody.closedAt)}th`);
    // the slow body's place was given back when its connection was cut
    assert.equal(await metric(provider, 'signgate_inflight_requests'), 0);
    await verifyNormal(provider);
  });

  it(`${IDLE_CONNECTIONS} idle TLS connections do not stop normal requests or the probes`, async function () {
    const provider = b as RunningProvider;
    const idle: tls.TLSSocket[] = [];
    try {
      for (let opened = 0; opened < IDLE_CONNECTIONS; opened += 100) {
        idle.push(...(await Promise.all(Array.from({ length: Math.min(100, IDLE_CONNECTIONS - opened) }, () => tlsConnect(provider)))));
      }
      for (const s of idle) s.on('error', () => undefined);
      assert.equal(idle.filter((s) => !s.destroyed).length, IDLE_CONNECTIONS);
      await verifyNormal(provider);
      await assertProbesHealthy(provider);
      assert.equal(idle.filter((s) => s.destroyed).length, 0, 'every idle connection is still open while a normal request is served');
    } finally {
      for (const s of idle) s.destroy();
    }
  });

  it(`${CONCURRENT_BIG_REQUESTS} concurrent requests of 1,000 keys that all resolve to one digest cost one verification`, async function () {
    const provider = b as RunningProvider;
    const p = proxy as RegistryProxy;
    const keys: string[] = [];
    for (let ns = 0; ns < 10; ns++) for (let t = 0; t < TAGS; t++) keys.push(`[ns-${ns}]${ref(`abuse/same:t${t}`)}`);
    assert.equal(keys.length, 1000);
    const before = p.forwarded.length;
    const heapBefore = process.memoryUsage().heapUsed;
    const answers = await Promise.all(Array.from({ length: CONCURRENT_BIG_REQUESTS }, () => post(provider, '/v1/verify', providerRequest(keys))));
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    for (const res of answers) {
      assert.equal(res.status, 200, res.body.slice(0, 300));
      const items = (JSON.parse(res.body) as { response: { items: Item[] } }).response.items;
      assert.deepEqual(items.map((i) => i.key), keys, 'one item per key, in request order');
      const subjects = new Set(items.map((i) => (i.value as Verdict | undefined)?.verifierReports[0]?.subject));
      assert.deepEqual([...subjects], [`${ref('abuse/same')}@${same.digest}`]);
      assert.ok(items.every((i) => (i.value as Verdict | undefined)?.isSuccess === true), 'every key verified');
    }
    const asked = p.forwarded.slice(before);
    const hex = same.digest.slice('sha256:'.length);
    // one verification: the signatures of the digest were looked up once (referrers API, then the tag schema)
    assert.equal(asked.filter((r) => r.includes(`/manifests/sha256-${hex}`)).length, 1, asked.join('\n'));
    assert.ok(asked.filter((r) => r.includes('/referrers/')).length <= 1, asked.join('\n'));
    // each tag resolved once, whatever its namespace prefix or the number of requests naming it
    for (let t = 0; t < TAGS; t++) assert.equal(asked.filter((r) => r.endsWith(`/abuse/same/manifests/t${t}`)).length, 1, `tag t${t}: ${asked.join('\n')}`);
    assert.ok(asked.length <= TAGS + 10, `${asked.length} registry requests for ${CONCURRENT_BIG_REQUESTS * 1000} keys:\n${asked.join('\n')}`);
    // bounded: nothing is kept once answered, and the heap did not grow by the size of a leak
    assert.equal(provider.executor.stats().inFlight, 0);
    assert.equal(await metric(provider, 'signgate_inflight_requests'), 0);
    assert.ok(heapGrowth < 256 * 1024 * 1024, `heap grew by ${Math.round(heapGrowth / 1048576)} MiB`);
  });

  it(`at ${MAX_CONCURRENT} requests in progress the next is answered 503 with Retry-After and what to do; probes stay 200; the held ones are answered`, async function () {
    const provider = b as RunningProvider;
    const p = proxy as RegistryProxy;
    p.hold = /\/abuse\/held\//;
    const body = providerRequest([ref('abuse/held:v1')]);
    let heldAnswers: Promise<Answer[]> | undefined;
    try {
      heldAnswers = Promise.all(Array.from({ length: MAX_CONCURRENT }, () => post(provider, '/ratify/gatekeeper/v1/verify', body)));
      await waitFor(async () => p.heldCount() >= 1 && (await metric(provider, 'signgate_inflight_requests')) === MAX_CONCURRENT, `${MAX_CONCURRENT} requests in progress, held at the registry`);

      const refused = await post(provider, '/ratify/gatekeeper/v1/verify', body);
      assert.equal(refused.status, 503);
      assert.equal(refused.headers['retry-after'], '1');
      const doc = JSON.parse(refused.body) as { kind: string; response: { items: unknown[]; systemError: string } };
      assert.equal(doc.kind, 'ProviderResponse');
      assert.deepEqual(doc.response.items, []);
      assert.match(doc.response.systemError, /already answering 16 requests \(its --max-concurrent-requests\); retry after 1s, and if this persists raise --max-concurrent-requests or run more replicas/);
      const mutateRefused = await post(provider, '/v1/mutate', body);
      assert.equal(mutateRefused.status, 503);
      assert.equal(await metric(provider, 'signgate_rejected_requests_total{route="verify",code="OVERLOADED"}'), 1);
      assert.equal(await metric(provider, 'signgate_rejected_requests_total{route="mutate",code="OVERLOADED"}'), 1);
      await assertProbesHealthy(provider);
      assert.equal(p.heldCount() >= 1, true, 'the held requests were still in progress during the checks');
    } finally {
      p.release();
    }
    const answers = await heldAnswers;
    for (const res of answers ?? []) {
      assert.equal(res.status, 200, res.body);
      const items = (JSON.parse(res.body) as { response: { items: Item[] } }).response.items;
      assert.equal((items[0]?.value as Verdict | undefined)?.isSuccess, true, res.body);
    }
    // places given back: a request is served again
    assert.equal(await metric(provider, 'signgate_inflight_requests'), 0);
    await verifyNormal(provider);
  });
});
