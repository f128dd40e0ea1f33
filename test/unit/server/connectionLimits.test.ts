/**
 * The listener bounds (server/connectionLimits.ts) and the request bound (server/requestLimit.ts): validated into
 * coded errors, given by `signgate serve` flags and SIGNGATE_* variables, and applied to both listeners (oversized
 * headers get 431 on the HTTPS and the metrics port; connections over --max-connections are closed unanswered).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { pino } from 'pino';
import { parseServeArgs } from '../../../provider/src/cli/serveArgs.js';
import { UsageError } from '../../../provider/src/cli/io.js';
import { checkConnectionLimits } from '../../../provider/src/server/connectionLimits.js';
import { createRequestLimit } from '../../../provider/src/server/requestLimit.js';
import { DEFAULT_CONNECTION_LIMITS, MAX_HEADER_BYTES, ServerError, startServer, type RunningServer } from '../../../provider/src/server/index.js';
import { waitFor } from '../../support/waitFor.js';

const logger = pino({ level: 'silent' });
const handler = (_req: http.IncomingMessage, res: http.ServerResponse): void => void res.end('ok');

function get(url: string, headers: Record<string, string>, ca?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const client = u.protocol === 'https:' ? https : http;
    client
      .get({ hostname: u.hostname, port: u.port, path: '/healthz', agent: false, headers, ...(ca !== undefined ? { ca } : {}) }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

describe('server/connectionLimits: listener bounds and the concurrency bound', function () {
  this.timeout(20_000);
  const running: RunningServer[] = [];
  afterEach(async function () {
    await Promise.all(running.splice(0).map((r) => r.close()));
  });

  it('refuses a headers timeout longer than the request timeout, and bounds that are not whole numbers above 0 (SETTINGS_INVALID)', function () {
    assert.throws(
      () => checkConnectionLimits({ ...DEFAULT_CONNECTION_LIMITS, headersTimeoutMs: 40_000 }),
      (e: unknown) => e instanceof ServerError && e.code === 'SETTINGS_INVALID' && /headers timeout \(40000ms\) is longer than the request timeout \(30000ms\).*--headers-timeout or raise --request-timeout/.test(e.message),
    );
    assert.throws(() => checkConnectionLimits({ ...DEFAULT_CONNECTION_LIMITS, maxConnections: 0 }), (e: unknown) => e instanceof ServerError && e.code === 'SETTINGS_INVALID' && /maxConnections must be a whole number above 0, got 0/.test(e.message));
    assert.throws(() => createRequestLimit({ maxConcurrentRequests: 1.5, retryAfterSeconds: 1, answerTimeoutMs: 1000 }), (e: unknown) => e instanceof ServerError && e.code === 'SETTINGS_INVALID' && /maxConcurrentRequests/.test(e.message));
  });

  it('startServer refuses inconsistent limits before it listens', async function () {
    await assert.rejects(
      startServer({ handler, address: '127.0.0.1:0', logger, clock: () => new Date(Date.now()), connectionLimits: { headersTimeoutMs: 5000, requestTimeoutMs: 1000 } }),
      (e: unknown) => e instanceof ServerError && e.code === 'SETTINGS_INVALID',
    );
  });

  it('serve flags: documented defaults, SIGNGATE_* variables, flags over variables, 0 refused', function () {
    const parse = (argv: string[], env: Record<string, string> = {}): ReturnType<typeof parseServeArgs> => parseServeArgs(argv, env, () => 'default.yaml');
    const defaults = parse([]);
    assert.ok(defaults !== 'help');
    assert.deepEqual(
      [defaults.headersTimeoutMs, defaults.requestTimeoutMs, defaults.keepAliveTimeoutMs, defaults.maxConnections, defaults.maxConcurrentRequests],
      [DEFAULT_CONNECTION_LIMITS.headersTimeoutMs, DEFAULT_CONNECTION_LIMITS.requestTimeoutMs, DEFAULT_CONNECTION_LIMITS.keepAliveTimeoutMs, DEFAULT_CONNECTION_LIMITS.maxConnections, 64],
    );
    const set = parse(['--headers-timeout', '2s', '--max-concurrent-requests', '8'], { SIGNGATE_MAX_CONCURRENT_REQUESTS: '99', SIGNGATE_KEEP_ALIVE_TIMEOUT: '750ms', SIGNGATE_MAX_CONNECTIONS: '100', SIGNGATE_REQUEST_TIMEOUT: '9s' });
    assert.ok(set !== 'help');
    assert.deepEqual([set.headersTimeoutMs, set.requestTimeoutMs, set.keepAliveTimeoutMs, set.maxConnections, set.maxConcurrentRequests], [2000, 9000, 750, 100, 8]);
    assert.throws(() => parse(['--max-concurrent-requests', '0']), (e: unknown) => e instanceof UsageError && /--max-concurrent-requests must be at least 1, got 0/.test(e.message));
    assert.throws(() => parse(['--headers-timeout', 'soon']), (e: unknown) => e instanceof UsageError && /--headers-timeout must be a duration/.test(e.message));
  });

  it(`headers over ${MAX_HEADER_BYTES} bytes get 431 on the HTTPS and the metrics listener`, async function () {
    const server = await startServer({ handler, address: '127.0.0.1:0', metricsAddress: '127.0.0.1:0', metricsHandler: handler, logger, clock: () => new Date(Date.now()) });
    running.push(server);
    const big = { 'x-big': 'a'.repeat(MAX_HEADER_BYTES + 1) };
    const ca = server.devCertificate?.caPem;
    assert.equal(await get(server.url, big, ca), 431);
    assert.equal(await get(server.metricsUrl ?? '', big), 431);
    assert.equal(await get(server.url, {}, ca), 200);
    assert.equal(await get(server.metricsUrl ?? '', {}), 200);
  });

  it('connections over --max-connections are closed unanswered; a place freed serves again', async function () {
    const server = await startServer({ handler, address: '127.0.0.1:0', logger, clock: () => new Date(Date.now()), connectionLimits: { maxConnections: 2 } });
    running.push(server);
    const u = new URL(server.url);
    const ca = server.devCertificate?.caPem ?? '';
    const open = (): Promise<tls.TLSSocket> =>
      new Promise((resolve, reject) => {
        const s = tls.connect({ host: u.hostname, port: Number(u.port), ca, servername: 'localhost' }, () => resolve(s));
        s.once('error', reject);
      });
    const held = [await open(), await open()];
    await assert.rejects(open(), (e: NodeJS.ErrnoException) => ['ECONNRESET', 'EPIPE'].includes(e.code ?? '') || /socket disconnected/.test(e.message));
    held[0]?.destroy();
    await waitFor(async () => (await get(server.url, {}, ca).catch(() => 0)) === 200, 'a request served once a connection closed');
    held[1]?.destroy();
  });
});
