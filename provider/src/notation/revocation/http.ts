/**
 * The HTTP side of revocation checking over an injected WHATWG `fetch` (the composition root passes Node's): plain
 * http:// only (as notation), one timeout per request inside the caller's signal, a byte cap enforced while reading,
 * and a 2xx status required.
 */
import type { RevocationFetch } from './types.js';

/** A WHATWG fetch (the composition root passes Node's); only its types are referenced here. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

async function readCapped(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new Error(`the response is larger than the ${maxBytes}-byte limit`);
    }
    chunks.push(value);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** A kept-alive connection the server closed just as it was reused: the request never reached the server. */
const STALE_CONNECTION = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

function connectionCode(err: unknown): string | undefined {
  const cause: unknown = err instanceof Error ? err.cause : undefined;
  if (!(cause instanceof Error)) return undefined;
  const code = (cause as Error & { code?: unknown }).code;
  return typeof code === 'string' ? code : cause.message;
}

export function createRevocationFetch(fetchLike: FetchLike): RevocationFetch {
  return async (request) => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      throw new Error(`"${request.url}" is not a URL`);
    }
    if (url.protocol !== 'http:') throw new Error(`only http:// URLs are supported for revocation information, not ${url.protocol}`);
    const timeout = AbortSignal.timeout(request.timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    const send = () =>
      fetchLike(url.href, {
        method: request.method,
        headers: request.contentType ? { 'content-type': request.contentType } : {},
        ...(request.body ? { body: new Uint8Array(request.body) } : {}),
        signal,
        redirect: 'follow',
      });
    try {
      // OCSP and CRL requests are idempotent: one retry when a reused connection turns out to be closed.
      const response = await send().catch((err: unknown) => {
        if (signal.aborted || !STALE_CONNECTION.has(connectionCode(err) ?? '')) throw err;
        return send();
      });
      if (response.status < 200 || response.status > 299) {
        await response.body?.cancel().catch(() => undefined);
        throw new Error(`HTTP status ${response.status}`);
      }
      const length = Number(response.headers.get('content-length') ?? Number.NaN);
      if (Number.isFinite(length) && length > request.maxBytes) {
        await response.body?.cancel().catch(() => undefined);
        throw new Error(`the response is ${length} bytes, more than the ${request.maxBytes}-byte limit`);
      }
      return await readCapped(response.body, request.maxBytes);
    } catch (err) {
      if (timeout.aborted) throw new Error(`no answer within ${request.timeoutMs} ms`, { cause: err });
      if (request.signal?.aborted) throw new Error('the request deadline passed', { cause: err });
      const code = connectionCode(err);
      if (code !== undefined) throw new Error(`connection failed (${code})`, { cause: err });
      throw err;
    }
  };
}
