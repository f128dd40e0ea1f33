/** The revocation HTTP seam over Node's fetch, against a loopback server: scheme, status, size cap, timeout, deadline. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRevocationFetch } from '../../../../provider/src/notation/index.js';

describe('notation/revocation: HTTP fetches', () => {
  let server: Server;
  let base: string;
  const held: ServerResponse[] = [];
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/big') {
        res.writeHead(200); // chunked, no content-length: the cap applies while reading
        for (let i = 0; i < 10; i++) res.write(Buffer.alloc(1024, 1));
        res.end();
      } else if (req.url === '/declared') {
        res.writeHead(200, { 'content-length': 4096 }).end(Buffer.alloc(4096));
      } else if (req.url === '/missing') {
        res.writeHead(404).end();
      } else if (req.url === '/silent') {
        held.push(res); // never answers
      } else {
        res.writeHead(200).end('ok');
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const res of held) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const get = createRevocationFetch(fetch);
  const request = (path: string, o: { maxBytes?: number; timeoutMs?: number; signal?: AbortSignal } = {}) =>
    get({ url: path.startsWith('http') ? path : `${base}${path}`, method: 'GET', maxBytes: o.maxBytes ?? 2048, timeoutMs: o.timeoutMs ?? 5000, ...(o.signal ? { signal: o.signal } : {}) });

  it('returns the body of a 2xx answer', async () => {
    assert.equal(Buffer.from(await request('/ok')).toString(), 'ok');
  });

  it('refuses https:// and other schemes (notation reads revocation information over http only)', async () => {
    await assert.rejects(request('https://ca.example/crl'), /only http:\/\/ URLs are supported for revocation information, not https:/);
  });

  it('fails on a non-2xx status, a declared or an actual size over the cap', async () => {
    await assert.rejects(request('/missing'), /HTTP status 404/);
    await assert.rejects(request('/declared'), /the response is 4096 bytes, more than the 2048-byte limit/);
    await assert.rejects(request('/big'), /larger than the 2048-byte limit/);
  });

  it('gives up after its own timeout, and when the caller\'s deadline passes first', async () => {
    await assert.rejects(request('/silent', { timeoutMs: 50 }), /no answer within 50 ms/);
    const deadline = new AbortController();
    const pending = request('/silent', { timeoutMs: 60_000, signal: deadline.signal });
    deadline.abort();
    await assert.rejects(pending, /the request deadline passed/);
  });

  it('names a refused connection', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await assert.rejects(request(`http://127.0.0.1:${port}/crl`), /connection failed \(ECONNREFUSED\)/);
  });
});
