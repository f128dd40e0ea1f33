/**
 * A registry connection that drops mid-body (Content-Length announced, half sent, socket closed) fails the read at
 * once as REGISTRY_UNREACHABLE, with cross-fetch (node-fetch 2, which on its own leaves that body stalled until the
 * request timeout; oci/agents.ts ends it) and with Node's fetch. The request timeout is set far above the test's own
 * bound so that only the drop can end the read.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import crossFetch from 'cross-fetch';
import { OciError, Registry, type FetchLike } from '../../provider/src/oci/index.js';

const BLOB = { mediaType: 'application/octet-stream', digest: `sha256:${'a'.repeat(64)}`, size: 1000 };

describe('oci: a connection dropped mid-body', function () {
  let server: http.Server;
  let host: string;
  before(async () => {
    server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(BLOB.size) });
      res.write(Buffer.alloc(BLOB.size / 2, 1), () => res.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  for (const [name, fetch] of [['cross-fetch', crossFetch as unknown as FetchLike], ['Node fetch', globalThis.fetch as unknown as FetchLike]] as const) {
    it(`${name}: REGISTRY_UNREACHABLE naming the blob, not a timeout`, async function () {
      const registry = new Registry({ fetch, clock: () => new Date(0), timeouts: { requestMs: 600_000 }, retry: { retries: 0 } });
      try {
        await assert.rejects(registry.repository(`${host}/app`).fetchBlob(BLOB, 1 << 20, { signal: AbortSignal.timeout(10_000) }), (e: unknown) => {
          assert.ok(e instanceof OciError, String(e));
          assert.equal(e.code, 'REGISTRY_UNREACHABLE', e.message);
          assert.match(e.message, new RegExp(`^blob ${BLOB.digest} of ${host}/app \\(GET http://${host}/v2/app/blobs/${BLOB.digest}\\): the connection failed while reading the body`));
          return true;
        });
      } finally {
        registry.close();
      }
    });
  }
});
