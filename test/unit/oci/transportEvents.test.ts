/**
 * Registry requests that fail before any status — refused, reset, timed out, TLS — still reach the `log` hook as a
 * `request` event (no status, the network error code), so that /metrics counts them as status="error".
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import crossFetch from 'cross-fetch';
import { OciError, type FetchLike, type RegistryEvent } from '../../../provider/src/oci/index.js';
import { Transport } from '../../../provider/src/oci/transport.js';
import { ProviderMetrics } from '../../../provider/src/server/index.js';

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

describe('oci/transport: requests without a status are reported and counted as status="error"', function () {
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  const start = async (server: net.Server): Promise<number> => {
    servers.push(server);
    server.on('connection', (s: net.Socket) => sockets.add(s));
    return listen(server);
  };
  after(async function () {
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  async function failedRequest(url: string, options: { loopbackPlainHttp?: boolean; requestTimeoutMs?: number } = {}): Promise<{ events: RegistryEvent[]; error: unknown }> {
    const events: RegistryEvent[] = [];
    const transport = new Transport({ fetch: crossFetch as unknown as FetchLike, retries: 0, log: (e) => events.push(e), ...options });
    try {
      await transport.send({ method: 'GET', url });
      return { events, error: undefined };
    } catch (error) {
      return { events, error };
    } finally {
      transport.close();
    }
  }

  it('refused, reset, timed out and TLS failures each give one request event without a status, counted as error', async function () {
    const refusedPort = await start(net.createServer());
    await new Promise<void>((r) => (servers.pop() as net.Server).close(() => r())); // nothing listens there now
    const resetPort = await start(net.createServer((socket) => socket.resetAndDestroy()));
    const silentPort = await start(net.createServer(() => undefined));
    const plainPort = await start(http.createServer((_req, res) => res.end('plain')));

    const cases = [
      { what: 'refused', url: `http://127.0.0.1:${refusedPort}/v2/`, code: 'ECONNREFUSED' },
      { what: 'reset', url: `http://127.0.0.1:${resetPort}/v2/`, code: 'ECONNRESET' },
      { what: 'timed out', url: `http://127.0.0.1:${silentPort}/v2/`, code: undefined, options: { requestTimeoutMs: 200 } },
      { what: 'TLS to a plain-HTTP server', url: `https://127.0.0.1:${plainPort}/v2/`, code: undefined, options: { loopbackPlainHttp: false } },
    ];
    const metrics = new ProviderMetrics();
    for (const c of cases) {
      const { events, error } = await failedRequest(c.url, c.options);
      assert.ok(error instanceof OciError, `${c.what}: an OciError`);
      const requests = events.filter((e) => e.type === 'request');
      assert.equal(requests.length, 1, `${c.what}: one request event`);
      const [event] = requests;
      assert.equal(event?.status, undefined, `${c.what}: no status`);
      assert.equal(typeof event?.error, 'string', `${c.what}: the network error is named`);
      if (c.code !== undefined) assert.equal(event?.error, c.code, c.what);
      assert.equal(event?.url, c.url, `${c.what}: the URL (no query)`);
      for (const e of events) metrics.registryEvent(e);
    }
    const text = await metrics.text();
    for (const port of [refusedPort, resetPort, silentPort, plainPort]) {
      assert.match(text, new RegExp(`signgate_registry_requests_total\\{host="127\\.0\\.0\\.1:${port}",status="error"\\} 1\\n`));
    }
  });
});
