import assert from 'node:assert/strict';
import { Transport, isLoopback, type FetchInit, type FetchResponse } from '../../../provider/src/oci/transport.js';
import { readBody } from '../../../provider/src/oci/body.js';
import { OciError, type OciErrorCode } from '../../../provider/src/oci/index.js';

interface Answer {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly chunks?: Uint8Array[];
}

/** A scripted fetch: each call gets the next answer; calls are recorded. */
function scripted(answers: Array<Answer | Error>) {
  const calls: { url: string; init: FetchInit }[] = [];
  const fetch = async (url: string, init: FetchInit): Promise<FetchResponse> => {
    calls.push({ url, init });
    const a = answers.shift();
    if (a === undefined) throw new Error('no more answers');
    if (a instanceof Error) throw a;
    const headers = new Map(Object.entries(a.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const chunks = a.chunks ?? [];
    return {
      status: a.status ?? 200,
      headers: { get: (n: string) => headers.get(n.toLowerCase()) ?? null },
      body: (async function* () {
        for (const c of chunks) yield c;
      })(),
    };
  };
  return { fetch, calls };
}

const noSleep = async (): Promise<void> => undefined;

async function rejectsCode(p: Promise<unknown>, code: OciErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof OciError, String(e));
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

describe('oci transport', () => {
  it('uses plain HTTP for loopback and listed hosts only', () => {
    const t = new Transport({ fetch: scripted([]).fetch, plainHttpHosts: ['registry.lan', 'build.lan:5000'] });
    assert.equal(t.baseUrl('localhost:5000'), 'http://localhost:5000');
    assert.equal(t.baseUrl('127.0.0.1:5000'), 'http://127.0.0.1:5000');
    assert.equal(t.baseUrl('[::1]:5000'), 'http://[::1]:5000');
    assert.equal(t.baseUrl('registry.lan:8443'), 'http://registry.lan:8443');
    assert.equal(t.baseUrl('build.lan:5000'), 'http://build.lan:5000');
    assert.equal(t.baseUrl('build.lan:6000'), 'https://build.lan:6000');
    assert.equal(t.baseUrl('docker.io'), 'https://registry-1.docker.io');
    assert.equal(t.baseUrl('127.example.com'), 'https://127.example.com');
    assert.equal(isLoopback('localhost.evil.com'), false);
    const tls = new Transport({ fetch: scripted([]).fetch, loopbackPlainHttp: false });
    assert.equal(tls.baseUrl('127.0.0.1:5000'), 'https://127.0.0.1:5000');
  });

  it('drops Authorization when a redirect leaves the origin, keeps it on the same origin', async () => {
    const { fetch, calls } = scripted([
      { status: 307, headers: { location: '/v2/app/blobs/other' } },
      { status: 302, headers: { location: 'https://storage.example/blob?sig=abc' } },
      { status: 200 },
    ]);
    const t = new Transport({ fetch });
    await t.send({ method: 'GET', url: 'https://r.example/v2/app/blobs/sha256:1', headers: { authorization: 'Bearer T' } });
    assert.deepEqual(calls.map((c) => [c.url, c.init.headers['authorization']]), [
      ['https://r.example/v2/app/blobs/sha256:1', 'Bearer T'],
      ['https://r.example/v2/app/blobs/other', 'Bearer T'],
      ['https://storage.example/blob?sig=abc', undefined],
    ]);
    assert.equal(t.requests, 3);
  });

  it('retries 502/503/504 and resets, then returns the last answer', async () => {
    const reset = Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNRESET' } });
    const { fetch, calls } = scripted([{ status: 502 }, reset, { status: 504 }, { status: 503 }]);
    const t = new Transport({ fetch, sleep: noSleep, retries: 3 });
    const sent = await t.send({ method: 'GET', url: 'https://r.example/v2/' });
    assert.equal(sent.response.status, 503);
    assert.equal(calls.length, 4);
  });

  it('does not retry a refused connection and explains TLS and protocol failures', async () => {
    const refused = Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    const tls = Object.assign(new Error('fetch failed'), { cause: { code: 'SELF_SIGNED_CERT_IN_CHAIN' } });
    const proto = Object.assign(new Error('fetch failed'), { cause: { code: 'ERR_SSL_WRONG_VERSION_NUMBER' } });
    const { fetch, calls } = scripted([refused, tls, proto]);
    const t = new Transport({ fetch, sleep: noSleep });
    await rejectsCode(t.send({ method: 'GET', url: 'https://r.example/v2/' }), 'REGISTRY_UNREACHABLE', /ECONNREFUSED/);
    assert.equal(calls.length, 1);
    await rejectsCode(t.send({ method: 'GET', url: 'https://r.example/v2/' }), 'REGISTRY_UNREACHABLE', /CA bundle/);
    await rejectsCode(t.send({ method: 'GET', url: 'https://r.example/v2/' }), 'REGISTRY_UNREACHABLE', /plainHttpHosts/);
  });

  it('stops waiting for a retry when the caller deadline passes', async () => {
    const { fetch } = scripted([{ status: 503 }, { status: 200 }]);
    const controller = new AbortController();
    const sleep = (_ms: number, signal?: AbortSignal): Promise<void> => {
      controller.abort();
      return Promise.reject(signal?.reason as Error);
    };
    const t = new Transport({ fetch, sleep });
    await rejectsCode(t.send({ method: 'GET', url: 'https://r.example/v2/' }, controller.signal), 'REGISTRY_TIMEOUT', /deadline passed while waiting to retry/);
  });

  it('logs URLs without query strings and never headers', async () => {
    const events: unknown[] = [];
    const { fetch } = scripted([{ status: 200 }]);
    const t = new Transport({ fetch, log: (e) => events.push(e) });
    await t.send({ method: 'PUT', url: 'https://r.example/v2/app/blobs/uploads/1?_state=SECRET&digest=sha256:1', headers: { authorization: 'Basic SECRET' } });
    assert.doesNotMatch(JSON.stringify(events), /SECRET/);
    assert.match(JSON.stringify(events), /https:\/\/r\.example\/v2\/app\/blobs\/uploads\/1/);
  });
});

describe('oci body reading', () => {
  const sent = (answer: Answer) => new Transport({ fetch: scripted([answer]).fetch }).send({ method: 'GET', url: 'https://r.example/x' });
  const bytes = (n: number) => new Uint8Array(n).fill(97);

  it('reads chunks up to the cap', async () => {
    assert.equal((await readBody(await sent({ chunks: [bytes(3), bytes(4)] }), { cap: 7, what: 'x' })).byteLength, 7);
  });
  it('refuses an announced length over the cap before reading', async () => {
    await rejectsCode(readBody(await sent({ headers: { 'content-length': '100' }, chunks: [bytes(1)] }), { cap: 10, what: 'manifest' }), 'SIZE_LIMIT_EXCEEDED', /announces 100 bytes/);
  });
  it('cuts off a body that grows past the cap', async () => {
    await rejectsCode(readBody(await sent({ chunks: [bytes(6), bytes(6)] }), { cap: 10, what: 'manifest' }), 'SIZE_LIMIT_EXCEEDED', /reading stopped/);
  });
  it('checks the expected size both ways', async () => {
    await rejectsCode(readBody(await sent({ chunks: [bytes(4)] }), { cap: 10, expectedSize: 5, what: 'blob' }), 'SIZE_MISMATCH', /got 4 bytes/);
    await rejectsCode(readBody(await sent({ chunks: [bytes(6)] }), { cap: 10, expectedSize: 5, what: 'blob' }), 'SIZE_MISMATCH', /longer than the 5 bytes/);
  });
});
