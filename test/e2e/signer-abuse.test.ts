/**
 * Abuse of `signgate signer serve` (issue 12): its listener has the bounds of `signgate serve`
 * (server/connectionLimits.ts, requestLimit.ts), set by the same flags, on the plain-HTTP loopback listener
 * (--insecure-listen) as on HTTPS. Two signer processes (the CLI entry point, as a registry would reach it) in front
 * of Debian's docker-registry:
 * - A: --insecure-listen with short bounds (headers 5s, request 10s, keep-alive 1s) for the slow clients;
 * - B: HTTPS (development certificate) with long bounds, 200 connections and 2 places, for idle connections, the
 *   connection bound and the 503.
 * Every assertion is about behaviour (what a client received, which connection the signer closed), never a duration;
 * trickling clients send on their own interval until the signer closes them.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { createPki } from '../support/pki.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';
import { startServeProcess, type ServeProcess } from '../support/serveProcess.js';
import { SIGNER_TOKEN, writeSignerFiles } from '../support/signerFiles.js';
import { track, trickle, type RawClient } from '../support/rawClient.js';
import { waitFor } from '../support/waitFor.js';
import { TempDirs } from '../unit/verify/fixtures.js';

const MAX_CONNECTIONS = 200;
const IDLE_CONNECTIONS = 150;
const MAX_CONCURRENT = 2;
const EVENTS = 'application/vnd.docker.distribution.events.v1+json';
const AUTH = { authorization: `Bearer ${SIGNER_TOKEN}` };

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** One request on its own connection (closed after); the development certificate is not what this test checks. */
function request(base: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const u = new URL(path, base);
  const send = u.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = send(
      { hostname: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false, rejectUnauthorized: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A Distribution notification of one tagged push into `repository` of `host`. */
function notification(host: string, repository: string): string {
  const digest = `sha256:${'ab'.repeat(32)}`;
  const target = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: 100, repository, url: `http://${host}/v2/${repository}/manifests/${digest}`, tag: 'v1' };
  return JSON.stringify({ events: [{ id: 'e1', timestamp: '2026-01-01T00:00:00Z', action: 'push', target, request: { host } }] });
}

const postEvent = (base: string, body: string): Promise<Answer> => request(base, '/v1/registry-events', { method: 'POST', headers: { ...AUTH, 'content-type': EVENTS }, body });

async function assertHealthy(base: string): Promise<void> {
  const health = await request(base, '/healthz');
  assert.deepEqual([health.status, health.body], [200, 'ok\n']);
}

/** A raw client: what it received, and whether (and in which order) the signer closed it. */
function connect(base: string): Promise<net.Socket> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = u.protocol === 'https:' ? tls.connect({ host: u.hostname, port: Number(u.port), rejectUnauthorized: false }, () => resolve(socket)) : net.connect({ host: u.hostname, port: Number(u.port) }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** A slow client of the signer (see test/support/rawClient.ts). */
async function trickler(base: string, head: string, drip: string): Promise<RawClient> {
  return trickle(await connect(base), head, drip);
}

/** The value of one series of the signer's /metrics (exact label text), or 0. */
async function metric(base: string, series: string): Promise<number> {
  const line = (await request(base, '/metrics')).body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe('e2e: signgate signer serve under abuse (slow clients, idle connections, oversized bodies, the concurrency bound)', function () {
  this.timeout(180_000);
  const dirs = new TempDirs();
  let registry: RunningRegistry | undefined;
  const processes: ServeProcess[] = [];
  let a = ''; // --insecure-listen, short bounds
  let b = ''; // HTTPS, long bounds, 200 connections, 2 places

  const start = async (args: readonly string[]): Promise<string> => {
    const signer = startServeProcess(args, {}, ['signer', 'serve']);
    processes.push(signer);
    // a hang guard: the CLI is compiled by tsx at start, which takes long on a loaded machine
    return (await signer.waitForStderr(/listening on (\S+),/, 'the signer to listen', 150_000))[1] ?? '';
  };

  before(async function () {
    requireComponent(this, 'docker-registry');
    registry = await startRegistry();
    const dir = await dirs.make('signgate-signer-abuse-');
    const files = await writeSignerFiles(dir, registry.host, await createPki({ at: new Date() }), [{ name: 'team-a', namespace: 'team-a' }]);
    const common = [...files.args, '--log-level', 'warn'];
    [a, b] = await Promise.all([
      start([...common, '--insecure-listen', '127.0.0.1:0', '--headers-timeout', '5s', '--request-timeout', '10s', '--keep-alive-timeout', '1s']),
      start([...common, '--listen', '127.0.0.1:0', '--headers-timeout', '120s', '--request-timeout', '120s', '--max-connections', String(MAX_CONNECTIONS), '--max-concurrent-requests', String(MAX_CONCURRENT)]),
    ]);
    assert.match(a, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(b, /^https:\/\/127\.0\.0\.1:\d+$/);
  });

  after(async () => {
    for (const p of processes) p.kill();
    await Promise.all(processes.map((p) => p.exit(10_000).catch(() => undefined)));
    await registry?.stop();
    await dirs.cleanup();
  });

  it('--insecure-listen: slow headers are cut at the headers timeout, a slow body at the request timeout, a silent connection too (408), while events and /healthz are served', async () => {
    const body = notification('127.0.0.1:5000', 'other/app') + ' '.repeat(4000);
    const slowHeaders = await trickler(a, 'POST /v1/registry-events HTTP/1.1\r\nHost: localhost\r\nX-Slow: ', 'abcdefgh');
    const slowBody = await trickler(a, `POST /v1/registry-events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${SIGNER_TOKEN}\r\nContent-Type: ${EVENTS}\r\nContent-Length: ${body.length}\r\n\r\n`, body);
    const silent = track(await connect(a));

    const accepted = await postEvent(a, notification('127.0.0.1:5000', 'other/app'));
    assert.equal(accepted.status, 202, accepted.body);
    assert.deepEqual(JSON.parse(accepted.body), { queued: 0, ignored: 1 });
    await assertHealthy(a);
    assert.deepEqual([slowHeaders.closed, slowBody.closed, silent.closed], [false, false, false], 'the slow clients are still open while the others are served');

    await waitFor(() => slowHeaders.closed && slowBody.closed && silent.closed, 'the signer to close every slow or silent connection', 30_000);
    assert.match(slowHeaders.received, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.match(slowBody.received, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.match(silent.received, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    // both sent their headers' first bytes at once: each was cut by its own bound, the headers timeout first
    assert.ok((slowHeaders.closedAt ?? 0) < (slowBody.closedAt ?? 0), `slow headers closed ${String(slowHeaders.closedAt)}th, slow body ${String(slowBody.closedAt)}th`);
    assert.equal((await postEvent(a, notification('127.0.0.1:5000', 'other/app'))).status, 202);
  });

  it('--insecure-listen: an idle keep-alive connection is closed at the keep-alive timeout', async () => {
    const client = track(await connect(a));
    client.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n');
    await waitFor(() => client.closed, 'the signer to close the idle keep-alive connection', 30_000);
    assert.match(client.received, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok\n$/);
  });

  it('--insecure-listen: a body over 1 MiB is refused with 413 EVENT_TOO_LARGE (declared or streamed), an unauthenticated one with 401 before it is read', async () => {
    const declared = await new Promise<Answer>((resolve, reject) => {
      const u = new URL('/v1/registry-events', a);
      const req = http.request({ hostname: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent: false, headers: { ...AUTH, 'content-type': EVENTS, 'content-length': String(10 * 1024 * 1024) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.write(' '.repeat(1024)); // the rest of the declared 10 MB never comes: the answer must not wait for it
    });
    assert.equal(declared.status, 413);
    assert.deepEqual(JSON.parse(declared.body), {
      error: { code: 'EVENT_TOO_LARGE', message: "the notification is larger than 1048576 bytes; lower the registry endpoint's threshold (events per notification)" },
    });

    // no Content-Length: 2 MiB streamed in chunks, refused once the first MiB has passed
    const streamed = await request(a, '/v1/registry-events', { method: 'POST', headers: { ...AUTH, 'content-type': EVENTS, 'transfer-encoding': 'chunked' }, body: ' '.repeat(2 * 1024 * 1024) }).catch(
      (err: unknown) => ({ status: -1, headers: {}, body: String(err) }) as Answer,
    );
    assert.equal(streamed.status, 413, streamed.body);
    assert.equal((JSON.parse(streamed.body) as { error: { code: string } }).error.code, 'EVENT_TOO_LARGE');

    const anonymous = await request(a, '/v1/registry-events', { method: 'POST', headers: { 'content-type': EVENTS, 'content-length': String(10 * 1024 * 1024) } }).catch(
      (err: unknown) => ({ status: -1, headers: {}, body: String(err) }) as Answer,
    );
    assert.equal(anonymous.status, 401, anonymous.body);
    assert.equal((JSON.parse(anonymous.body) as { error: { code: string } }).error.code, 'EVENT_UNAUTHENTICATED');
    await assertHealthy(a);
  });

  it(`HTTPS: ${IDLE_CONNECTIONS} idle TLS connections do not stop events or /healthz; past --max-connections ${MAX_CONNECTIONS} new connections are closed as they arrive, and the signer serves again once they go`, async () => {
    const idle: net.Socket[] = [];
    const extra: RawClient[] = [];
    try {
      for (let opened = 0; opened < IDLE_CONNECTIONS; opened += 50) idle.push(...(await Promise.all(Array.from({ length: 50 }, () => connect(b)))));
      for (const s of idle) s.on('error', () => undefined);
      const accepted = await postEvent(b, notification('127.0.0.1:5000', 'other/app'));
      assert.equal(accepted.status, 202, accepted.body);
      await assertHealthy(b);
      assert.equal(idle.filter((s) => s.destroyed).length, 0, 'every idle connection is still open');

      // 100 more plain TCP connections: at most MAX_CONNECTIONS are kept, the rest are closed unanswered
      const u = new URL(b);
      for (let i = 0; i < 100; i++) extra.push(track(net.connect({ host: u.hostname, port: Number(u.port) })));
      const overflow = IDLE_CONNECTIONS + 100 - MAX_CONNECTIONS;
      await waitFor(() => extra.filter((c) => c.closed).length >= overflow, `at least ${overflow} connections past the bound to be closed`, 30_000);
      assert.ok(extra.filter((c) => !c.closed).length <= MAX_CONNECTIONS - IDLE_CONNECTIONS, `${extra.filter((c) => !c.closed).length} extra connections kept open`);
      assert.ok(extra.every((c) => c.received === ''), 'connections past the bound get no answer');
    } finally {
      for (const s of idle) s.destroy();
      for (const c of extra) c.socket.destroy();
    }
    await waitFor(async () => (await request(b, '/healthz')).status === 200, '/healthz once the connections are gone', 30_000);
  });

  it(`HTTPS: with ${MAX_CONCURRENT} event requests being read, the next is answered 503 with Retry-After and what to do; /healthz stays 200; the places come back`, async () => {
    const body = notification('127.0.0.1:5000', 'other/app') + ' '.repeat(100_000);
    const head = `POST /v1/registry-events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${SIGNER_TOKEN}\r\nContent-Type: ${EVENTS}\r\nContent-Length: ${body.length}\r\n\r\n`;
    const held = await Promise.all(Array.from({ length: MAX_CONCURRENT }, () => trickler(b, head, body)));
    try {
      const refused = await waitFor(async () => {
        const answer = await postEvent(b, notification('127.0.0.1:5000', 'other/app'));
        return answer.status === 503 ? answer : undefined;
      }, `a 503 while ${MAX_CONCURRENT} slow bodies hold the places`, 30_000);
      assert.equal(refused.headers['retry-after'], '1');
      assert.deepEqual(JSON.parse(refused.body), {
        error: {
          code: 'OVERLOADED',
          message: `the signer is already answering ${MAX_CONCURRENT} requests (its --max-concurrent-requests); retry after 1s, and if this persists raise --max-concurrent-requests`,
        },
      });
      const status = await request(b, '/v1/status?scope=127.0.0.1:5000/team-a', { headers: AUTH });
      assert.equal(status.status, 503, 'GET /v1/status shares the bound');
      await assertHealthy(b);
      assert.ok((await metric(b, 'signgate_signer_notifications_total{result="OVERLOADED"}')) >= 1);
      assert.deepEqual(held.map((c) => c.closed), [false, false], 'the slow bodies still hold their places');
    } finally {
      for (const c of held) c.socket.destroy();
    }
    await waitFor(async () => (await postEvent(b, notification('127.0.0.1:5000', 'other/app'))).status === 202, 'an event to be accepted once the slow bodies are gone', 30_000);
  });
});
