/**
 * readBody watches the request's signal while it reads (a stalled body ends with the deadline) and must detach that
 * watch however the read ends: a listener left on the transport's per-attempt signal keeps the signal and its closure
 * for the life of the process (test/integration/oci-abort-listeners.test.ts explains why; bench/README.md "Soak").
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { readBody } from '../../../provider/src/oci/body.js';
import { OciError, type OciErrorCode } from '../../../provider/src/oci/index.js';
import type { FetchResponse, Sent } from '../../../provider/src/oci/transport.js';

function sent(body: AsyncIterable<Uint8Array>, signal: AbortSignal): Sent {
  const response: FetchResponse = { status: 200, headers: { get: () => null }, body };
  return { response, signal, url: 'http://127.0.0.1:5000/v2/app/blobs/sha256:00', method: 'GET' };
}

async function* chunks(...sizes: number[]): AsyncGenerator<Uint8Array> {
  for (const n of sizes) yield new Uint8Array(n);
}

/** A body that yields `first` bytes and then nothing, ever. */
async function* stalled(first: number): AsyncGenerator<Uint8Array> {
  yield new Uint8Array(first);
  await new Promise(() => undefined);
}

async function rejectsWith(p: Promise<unknown>, code: OciErrorCode): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof OciError, String(e));
    assert.equal(e.code, code, e.message);
    return true;
  });
}

describe('oci readBody: the abort listener is removed however the read ends', () => {
  it('a complete body', async () => {
    const signal = new AbortController().signal;
    assert.equal((await readBody(sent(chunks(3, 4), signal), { cap: 10, what: 'blob' })).byteLength, 7);
    assert.equal(getEventListeners(signal, 'abort').length, 0);
  });

  it('a body cut off at the cap (SIZE_LIMIT_EXCEEDED)', async () => {
    const signal = new AbortController().signal;
    await rejectsWith(readBody(sent(chunks(6, 6), signal), { cap: 10, what: 'blob' }), 'SIZE_LIMIT_EXCEEDED');
    assert.equal(getEventListeners(signal, 'abort').length, 0);
  });

  it('a body longer than its descriptor (SIZE_MISMATCH)', async () => {
    const signal = new AbortController().signal;
    await rejectsWith(readBody(sent(chunks(4, 4), signal), { cap: 10, expectedSize: 5, what: 'blob' }), 'SIZE_MISMATCH');
    assert.equal(getEventListeners(signal, 'abort').length, 0);
  });

  it('a stalled body stopped by the deadline (REGISTRY_TIMEOUT)', async () => {
    const deadline = new AbortController();
    const reading = readBody(sent(stalled(2), deadline.signal), { cap: 10, what: 'blob' });
    assert.equal(getEventListeners(deadline.signal, 'abort').length, 1, 'the read watches the deadline while it waits');
    deadline.abort(new Error('deadline'));
    await rejectsWith(reading, 'REGISTRY_TIMEOUT');
    assert.equal(getEventListeners(deadline.signal, 'abort').length, 0);
  });

  it('a signal aborted before the read starts adds no listener', async () => {
    const signal = AbortSignal.abort(new Error('deadline'));
    await rejectsWith(readBody(sent(stalled(0), signal), { cap: 10, what: 'blob' }), 'REGISTRY_TIMEOUT');
    assert.equal(getEventListeners(signal, 'abort').length, 0);
  });
});
