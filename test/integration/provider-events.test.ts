/**
 * Registry events to the provider, with real parts: Debian's docker-registry (no referrers API, delete enabled) with a
 * `notifications` endpoint pointed at `signgate serve --events-token-file` (in process, real HTTPS with a test CA the
 * registry trusts), images pushed and signed with signgate's registry client. The provider's clock is pinned and
 * every TTL is 10 minutes, so a changed answer can only come from an invalidation, never from an expiry.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import https from 'node:https';
import { join } from 'node:path';
import { pino } from 'pino';
import { startProvider, type RunningProvider } from '../../provider/src/cli/serve.js';
import { parseServeArgs } from '../../provider/src/cli/serveArgs.js';
import { Registry, type Descriptor, type FetchLike, type Repository } from '../../provider/src/oci/index.js';
import { traceMixin } from '../../provider/src/server/index.js';
import { trustConfigYaml } from '../support/configYaml.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { LogSink, type LogLine } from '../support/logSink.js';
import { requireComponent } from '../support/requirements.js';
import type { Pki } from '../support/pki.js';
import { createTlsServerCertificate, type TlsServerMaterial } from '../support/tlsCerts.js';
import { waitFor } from '../support/waitFor.js';
import { AT, TempDirs, pushImage, signImage, testPki } from '../unit/verify/fixtures.js';

const TOKEN = 'provider-events-token-0123456789';
const LONG = '600s';

interface Call {
  readonly status: number;
  readonly text: string;
  readonly traceID: string;
}

function call(provider: RunningProvider, ca: string, path: string, body: string | Buffer, headers: Record<string, string>): Promise<Call> {
  const u = new URL(path, provider.server.url);
  return new Promise((resolve, reject) => {
    const req = https.request({ hostname: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent: false, ca, headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, traceID: String(res.headers['x-trace-id']) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

type Item = { key: string; value?: { isSuccess: boolean; verifierReports: { errorReason: string }[] } | string; error?: string };

async function ask(provider: RunningProvider, ca: string, route: 'verify' | 'mutate', key: string): Promise<{ item: Item; traceID: string }> {
  const body = JSON.stringify({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys: [key] } });
  const answer = await call(provider, ca, `/ratify/gatekeeper/v1/${route}`, body, { 'content-type': 'application/json' });
  assert.equal(answer.status, 200, answer.text);
  const item = (JSON.parse(answer.text) as { response: { items: Item[] } }).response.items[0];
  assert.ok(item, answer.text);
  return { item, traceID: answer.traceID };
}

async function metric(provider: RunningProvider, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${provider.server.metricsUrl ?? ''}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describe('serve --events-token-file: registry events invalidate and prewarm (real docker-registry, real TLS)', function () {
  this.timeout(120_000); // a hang guard on a shared, loaded machine; nothing here measures time
  let registry: RunningRegistry | undefined;
  let provider: RunningProvider | undefined;
  let tls: TlsServerMaterial;
  let ca = '';
  let files: { config: string; token: string; cert: string; key: string };
  const log = new LogSink();
  const dirs = new TempDirs();
  let client: Registry;
  let pki: Pki;
  const repo = (name: string): Repository => client.repository(`${registry?.host ?? ''}/${name}`);

  const start = async (extra: readonly string[], address = '127.0.0.1:0'): Promise<RunningProvider> => {
    const args = ['--config', files.config, '--address', address, '--metrics-address', '127.0.0.1:0', '--tls-cert', files.cert, '--tls-key', files.key];
    const settings = parseServeArgs([...args, '--events-token-file', files.token, '--verdict-cache-ttl', LONG, ...extra], {}, () => files.config);
    assert.ok(settings !== 'help');
    return startProvider(settings, pino({ level: 'debug', mixin: traceMixin }, log), { clock: () => AT });
  };

  /** The info line of an invalidation of `image` of `kind` logged after line `since`. */
  const invalidated = (image: string, kind: string, since: number): Promise<LogLine> =>
    waitFor(() => log.lines.slice(since).find((l) => l.image === image && l.kind === kind && typeof l.dropped === 'number'), `a ${kind} invalidation of ${image}`, 30_000);

  before(async function () {
    requireComponent(this, 'docker-registry');
    pki = await testPki();
    tls = await createTlsServerCertificate({ at: new Date(), hosts: ['127.0.0.1'] });
    ca = tls.ca.pem;
    const dir = await dirs.make();
    files = { config: join(dir, 'signgate.yaml'), token: join(dir, 'token'), cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') };
    await writeFile(files.config, trustConfigYaml(pki.root.pem, { ttl: 600 }));
    await writeFile(files.token, `${TOKEN}\n`);
    await writeFile(files.cert, tls.certChainPem);
    await writeFile(files.key, tls.keyPem);
    provider = await start([]);
    registry = await startRegistry({
      notifications: { url: `${provider.server.url}/v1/registry-events`, headers: { Authorization: `Bearer ${TOKEN}` } },
      notificationsCaPem: ca,
    });
    client = new Registry({ fetch: fetch as FetchLike, clock: () => AT });
  });

  after(async function () {
    await provider?.close();
    await registry?.stop();
    await dirs.cleanup();
  });

  let subject: Descriptor;

  it('denies an unsigned image, and keeps serving that decision from the verdict cache', async function () {
    assert.ok(provider && registry);
    subject = await pushImage(repo('team/app'), 'v1');
    const key = `${registry.host}/team/app:v1`;
    const first = await ask(provider, ca, 'verify', key);
    assert.ok(typeof first.item.value === 'object' && first.item.value.isSuccess === false, JSON.stringify(first.item));
    assert.equal(first.item.value.verifierReports[0]?.errorReason, 'SIGNATURE_NOT_FOUND');
    const again = await ask(provider, ca, 'verify', key);
    assert.ok(typeof again.item.value === 'object' && again.item.value.isSuccess === false);
    assert.equal(log.lines.find((l) => l.traceID === again.traceID && l.key === key)?.cache, 'hit', 'the denial is cached (10-minute TTL, pinned clock)');
  });

  it('a signature pushed for the subject: the next request passes, without waiting for any TTL', async function () {
    assert.ok(provider && registry);
    const since = log.lines.length;
    await signImage(repo('team/app'), subject, pki);
    const name = `${registry.host}/team/app`;
    const line = await invalidated(`${name}@${subject.digest}`, 'subject', since);
    assert.equal(line.level, 30);
    assert.equal(typeof line.traceID, 'string', 'the invalidation line carries the notification trace id');
    const next = await ask(provider, ca, 'verify', `${registry.host}/team/app:v1`);
    assert.ok(typeof next.item.value === 'object' && next.item.value.isSuccess === true, JSON.stringify(next.item));
    const key = `${registry.host}/team/app:v1`;
    assert.equal(log.lines.find((l) => l.traceID === next.traceID && l.key === key)?.cache, 'miss');
    assert.ok((await metric(provider, 'signgate_cache_invalidations_total', 'kind="subject"')) >= 1);
    assert.ok((await metric(provider, 'signgate_registry_notifications_total', 'outcome="accepted"')) >= 1);
  });

  it('the signature deleted: the whole repository is dropped and the next request fails', async function () {
    assert.ok(provider && registry);
    const pass = await ask(provider, ca, 'verify', `${registry.host}/team/app:v1`);
    assert.ok(typeof pass.item.value === 'object' && pass.item.value.isSuccess === true, 'cached pass before the delete');
    const [signature] = await repo('team/app').referrers(subject);
    assert.ok(signature, 'the signature manifest is listed');
    const since = log.lines.length;
    const deleted = await fetch(`${registry.origin}/v2/team/app/manifests/${signature.digest}`, { method: 'DELETE' });
    assert.equal(deleted.status, 202);
    await invalidated(`${registry.host}/team/app@${signature.digest}`, 'delete', since);
    const next = await ask(provider, ca, 'verify', `${registry.host}/team/app:v1`);
    assert.ok(typeof next.item.value === 'object' && next.item.value.isSuccess === false, JSON.stringify(next.item));
    assert.equal(next.item.value.verifierReports[0]?.errorReason, 'SIGNATURE_NOT_FOUND');
  });

  it('a tag pushed again to another digest: mutate answers the new digest at once', async function () {
    assert.ok(provider && registry);
    const key = `${registry.host}/team/app:moving`;
    const old = await pushImage(repo('team/app'), 'moving', 'first content');
    assert.equal((await ask(provider, ca, 'mutate', key)).item.value, `${key}@${old.digest}`);
    const since = log.lines.length;
    const moved = await pushImage(repo('team/app'), 'moving', 'second content');
    assert.notEqual(moved.digest, old.digest);
    await invalidated(key, 'tag', since);
    assert.equal((await ask(provider, ca, 'mutate', key)).item.value, `${key}@${moved.digest}`);
  });

  it('refuses a wrong token (401), a malformed body (400) and an oversized one (413), and drops nothing', async function () {
    assert.ok(provider && registry);
    const key = `${registry.host}/team/app:moving`;
    await ask(provider, ca, 'verify', key);
    const before = ['subject', 'tag', 'delete', 'repository'].map((kind) => metric(provider as RunningProvider, 'signgate_cache_invalidations_total', `kind="${kind}"`));
    const counts = await Promise.all(before);
    const envelope = JSON.stringify({ events: [{ id: 'x', action: 'delete', target: { repository: 'team/app', digest: subject.digest }, request: { host: registry.host } }] });
    const type = { 'content-type': 'application/vnd.docker.distribution.events.v1+json' };
    const wrong = await call(provider, ca, '/v1/registry-events', envelope, { ...type, authorization: 'Bearer not-the-token-0123456789' });
    assert.equal(wrong.status, 401);
    assert.equal((JSON.parse(wrong.text) as { error: { code: string } }).error.code, 'EVENT_UNAUTHENTICATED');
    const broken = await call(provider, ca, '/v1/registry-events', '{"events": [', { ...type, authorization: `Bearer ${TOKEN}` });
    assert.equal(broken.status, 400);
    assert.match((JSON.parse(broken.text) as { error: { code: string; message: string } }).error.message, /is not JSON/);
    const huge = await call(provider, ca, '/v1/registry-events', Buffer.alloc(2 * 1024 * 1024, 0x20), { ...type, authorization: `Bearer ${TOKEN}` });
    assert.equal(huge.status, 413);
    assert.equal((JSON.parse(huge.text) as { error: { code: string } }).error.code, 'EVENT_TOO_LARGE');
    const after = await Promise.all(['subject', 'tag', 'delete', 'repository'].map((kind) => metric(provider as RunningProvider, 'signgate_cache_invalidations_total', `kind="${kind}"`)));
    assert.deepEqual(after, counts, 'a refused notification invalidates nothing');
    const still = await ask(provider, ca, 'verify', key);
    assert.equal(log.lines.find((l) => l.traceID === still.traceID && l.key === key)?.cache, 'hit');
    assert.equal(await metric(provider, 'signgate_registry_notifications_total', 'outcome="EVENT_UNAUTHENTICATED"'), 1);
  });

  it('--prewarm: an image pushed into a covered repository is verified in the background; its first admission is a cache hit', async function () {
    assert.ok(provider && registry);
    // restarted on the same address, which the registry sends its notifications to, now with the registry's name
    const address = new URL(provider.server.url).host;
    await provider.close();
    provider = await start(['--prewarm', `${registry.host}/warm/*`], address);
    const warm = repo('warm/app');
    const image = await pushImage(warm, 'v0', 'prewarmed content');
    await signImage(warm, image, pki);
    const since = log.lines.length;
    await pushImage(warm, 'v1', 'prewarmed content'); // the signed manifest under a new tag: a push event with a tag
    const key = `${registry.host}/warm/app:v1`;
    const done = await waitFor(() => log.lines.slice(since).find((l) => l.image === key && l.outcome === 'pass'), `the prewarm of ${key}`, 30_000);
    assert.equal(typeof done.traceID, 'string');
    const first = await ask(provider, ca, 'verify', key);
    assert.ok(typeof first.item.value === 'object' && first.item.value.isSuccess === true, JSON.stringify(first.item));
    assert.equal(log.lines.find((l) => l.traceID === first.traceID && l.key === key)?.cache, 'hit', 'the first admission is answered from the cache');
    assert.ok((await metric(provider, 'signgate_prewarm_verifications_total', 'outcome="pass"')) >= 1);
    // a repository no scope covers is not prewarmed
    await pushImage(repo('cold/app'), 'v1');
    const coldKey = `${registry.host}/cold/app:v1`;
    const cold = await ask(provider, ca, 'verify', coldKey);
    assert.equal(log.lines.find((l) => l.traceID === cold.traceID && l.key === coldKey)?.cache, 'miss');
  });
});
