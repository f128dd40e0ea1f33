import assert from 'node:assert/strict';
import { parseHttpDate, retryAfterMs } from '../../../provider/src/oci/retryAfter.js';
import { Transport, type FetchInit, type FetchResponse } from '../../../provider/src/oci/transport.js';
import { statusError } from '../../../provider/src/oci/httpError.js';
import { OciError } from '../../../provider/src/oci/index.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const clock = (): Date => NOW;

/** Answers each fetch with the next status + headers; records the calls. */
function scripted(answers: Array<{ status: number; headers?: Record<string, string> }>) {
  const calls: string[] = [];
  const fetch = async (url: string, _init: FetchInit): Promise<FetchResponse> => {
    calls.push(url);
    const a = answers.shift();
    if (a === undefined) throw new Error('no more answers');
    const headers = new Map(Object.entries(a.headers ?? {}));
    return { status: a.status, headers: { get: (n: string) => headers.get(n.toLowerCase()) ?? null }, body: null };
  };
  return { fetch, calls };
}

describe('oci Retry-After (RFC 9110 10.2.3)', () => {
  it('reads delay-seconds and the three HTTP-date forms on the injected clock', () => {
    assert.equal(retryAfterMs('3', clock), 3000);
    assert.equal(retryAfterMs(' 0 ', clock), 0);
    assert.equal(retryAfterMs('Sun, 01 Mar 2026 12:00:05 GMT', clock), 5000);
    assert.equal(retryAfterMs('Sunday, 01-Mar-26 12:00:07 GMT', clock), 7000);
    assert.equal(retryAfterMs('Sun Mar  1 12:01:00 2026', clock), 60_000);
    assert.equal(retryAfterMs('Sat, 28 Feb 2026 12:00:00 GMT', clock), 0, 'a date in the past asks for no wait');
    assert.equal(retryAfterMs('1234567890123', clock), Number.MAX_SAFE_INTEGER, 'a huge delay stays huge');
  });

  it('reads a two-digit RFC 850 year within 50 years of now', () => {
    assert.equal(parseHttpDate('Thursday, 01-Jan-70 00:00:00 GMT', NOW), Date.UTC(2070, 0, 1));
    assert.equal(parseHttpDate('Monday, 01-Jan-80 00:00:00 GMT', NOW), Date.UTC(1980, 0, 1));
  });

  it('treats anything else as no Retry-After', () => {
    for (const bad of ['-1', '1.5', 'soon', '', 'Sun, 01 Mar 2026 12:00:05 UTC', 'Sun, 01 Mar 2026 12:00:05 +0000', 'Sun, 31 Feb 2026 12:00:05 GMT', 'Sun, 01 Mar 2026 25:00:05 GMT', 'x'.repeat(41)]) {
      assert.equal(retryAfterMs(bad, clock), undefined, bad);
    }
    assert.equal(retryAfterMs(null, clock), undefined);
    assert.equal(retryAfterMs('Sun, 01 Mar 2026 12:00:05 GMT', undefined), undefined, 'no clock: a date cannot be placed');
  });

  it('waits what an HTTP-date asks (more than the backoff) and then retries', async () => {
    const waits: number[] = [];
    const { fetch, calls } = scripted([{ status: 429, headers: { 'retry-after': 'Sun, 01 Mar 2026 12:00:01 GMT' } }, { status: 200 }]);
    const t = new Transport({ fetch, clock, retryBaseMs: 10, retryMaxMs: 2000, sleep: async (ms) => void waits.push(ms) });
    assert.equal((await t.send({ method: 'GET', url: 'https://r.example/v2/' })).response.status, 200);
    assert.deepEqual(waits, [1000]);
    assert.equal(calls.length, 2);
  });

  it('does not retry early when the registry asks for more than retryMaxMs: RATE_LIMITED names the wait', async () => {
    const waits: number[] = [];
    for (const header of ['Sun, 01 Mar 2026 13:00:00 GMT', '3600']) {
      const { fetch, calls } = scripted([{ status: 429, headers: { 'retry-after': header } }]);
      const t = new Transport({ fetch, clock, retryMaxMs: 2000, sleep: async (ms) => void waits.push(ms) });
      const sent = await t.send({ method: 'GET', url: 'https://r.example/v2/app/manifests/v1' });
      assert.equal(calls.length, 1, `${header}: one request, no retry`);
      const error = await statusError(sent, 'tag "v1" of r.example/app');
      assert.ok(error instanceof OciError);
      assert.equal(error.code, 'RATE_LIMITED');
      assert.match(error.message, new RegExp(`tag "v1" of r\\.example/app: GET https://r\\.example/v2/app/manifests/v1 answered 429; the registry rate-limits this client \\(it asks to retry after "${header}"\\), retry later`));
    }
    assert.deepEqual(waits, []);
  });
});
