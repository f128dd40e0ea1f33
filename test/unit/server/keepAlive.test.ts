/**
 * The idle keep-alive timeout against the client that calls the provider: Gatekeeper's Go client keeps an idle
 * connection for 90 s and does not read `Keep-Alive: timeout=`, and it resends a POST that got no answer only when
 * nothing of it was written. A server that closes an idle connection before its client does therefore races that
 * client's next request (ECONNRESET / EOF in Gatekeeper, the 9 connection errors of the first 30-minute soak). With the
 * defaults the server must outlast the client, and say so in the header a client can read.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { pino } from 'pino';
import { GO_IDLE_CONN_TIMEOUT_MS } from '../../../provider/src/server/connectionLimits.js';
import { DEFAULT_CONNECTION_LIMITS, startServer, type RunningServer } from '../../../provider/src/server/index.js';

const logger = pino({ level: 'silent' });
const handler = (_req: http.IncomingMessage, res: http.ServerResponse): void => void res.end('ok');

/** One GET over `agent`; the answer's Keep-Alive header and whether the connection was a reused one. */
function get(agent: https.Agent, url: string, ca: string): Promise<{ keepAlive: string | undefined; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const u = new URL('/healthz', url);
    const req = https.get({ hostname: u.hostname, port: u.port, path: u.pathname, agent, ca }, (res) => {
      res.resume();
      const keepAlive = res.headers['keep-alive'];
      res.on('end', () => resolve({ keepAlive: typeof keepAlive === 'string' ? keepAlive : undefined, reused: req.reusedSocket }));
    });
    req.on('error', reject);
  });
}

describe('server: idle keep-alive connections outlast Gatekeeper\'s client', function () {
  this.timeout(20_000);
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
  });

  it('the default keep-alive timeout is longer than Go\'s idle connection timeout, and is advertised', async () => {
    assert.ok(DEFAULT_CONNECTION_LIMITS.keepAliveTimeoutMs > GO_IDLE_CONN_TIMEOUT_MS, `${DEFAULT_CONNECTION_LIMITS.keepAliveTimeoutMs} ms must exceed ${GO_IDLE_CONN_TIMEOUT_MS} ms`);
    server = await startServer({ handler, address: '127.0.0.1:0', logger, clock: () => new Date(Date.now()) });
    const ca = Buffer.from(server.devCertificate?.caBundle ?? '', 'base64').toString('utf8');
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await get(agent, server.url, ca);
      const second = await get(agent, server.url, ca);
      assert.equal(first.keepAlive, `timeout=${DEFAULT_CONNECTION_LIMITS.keepAliveTimeoutMs / 1000}`);
      assert.equal(second.reused, true, 'the second request went over the first one\'s connection');
    } finally {
      agent.destroy();
    }
  });

  it('a configured keep-alive timeout is what the header says', async () => {
    server = await startServer({ handler, address: '127.0.0.1:0', logger, clock: () => new Date(Date.now()), connectionLimits: { keepAliveTimeoutMs: 95_000 } });
    const ca = Buffer.from(server.devCertificate?.caBundle ?? '', 'base64').toString('utf8');
    const agent = new https.Agent({ keepAlive: true });
    try {
      assert.equal((await get(agent, server.url, ca)).keepAlive, 'timeout=95');
    } finally {
      agent.destroy();
    }
  });
});
