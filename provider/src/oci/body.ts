/**
 * Reading registry response bodies with streaming bounds: a declared Content-Length over the cap fails before any byte
 * is read, and a body that grows past the cap (or past the expected size) is cut off at that point, so a lying
 * Content-Length or an endless body cannot exhaust memory. A stalled body fails when the request's signal aborts.
 */
import { OciError } from './errors.js';
import { discard, safeUrl, type Sent } from './transport.js';

export interface ReadLimits {
  /** Never hold more than this many bytes. */
  readonly cap: number;
  /** When the size is known (a descriptor): any other length is SIZE_MISMATCH. */
  readonly expectedSize?: number;
  /** What is being read, for messages (e.g. `manifest sha256:... of localhost:5000/app`). */
  readonly what: string;
}

/**
 * A promise that rejects when `signal` aborts, and `release()`, which must be called when the read is over: the
 * transport's per-attempt signal is an `AbortSignal.any` of the caller's deadline and a timeout, and Node keeps such a
 * signal (and the listener's closure) reachable for as long as it has an abort listener; when its timeout signal has
 * been collected it never aborts, so a listener left behind would keep it forever (measured: about 1 KiB per registry
 * request, bench/README.md "Soak").
 */
function abortWatch(signal: AbortSignal): { readonly aborted: Promise<never>; release(): void } {
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  return {
    aborted,
    release() {
      if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
    },
  };
}

export async function readBody(sent: Sent, limits: ReadLimits): Promise<Uint8Array> {
  const { response, signal } = sent;
  const { cap, expectedSize, what } = limits;
  const where = `${what} (${sent.method} ${safeUrl(sent.url)})`;
  const declared = response.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared.trim())) {
    const n = Number(declared.trim());
    if (n > cap) {
      await discard(response);
      throw new OciError('SIZE_LIMIT_EXCEEDED', `${where}: the registry announces ${n} bytes, more than the ${cap}-byte limit`);
    }
    if (expectedSize !== undefined && n !== expectedSize) {
      await discard(response);
      throw new OciError('SIZE_MISMATCH', `${where}: the registry announces ${n} bytes, the descriptor says ${expectedSize}`);
    }
  }
  if (response.body === null) {
    if (expectedSize !== undefined && expectedSize !== 0) throw new OciError('SIZE_MISMATCH', `${where}: empty body, the descriptor says ${expectedSize} bytes`);
    return new Uint8Array(0);
  }
  const limit = expectedSize !== undefined ? Math.min(expectedSize, cap) : cap;
  const iterator = response.body[Symbol.asyncIterator]();
  const stop = abortWatch(signal);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), stop.aborted]);
      if (next.done) break;
      const chunk = next.value;
      total += chunk.byteLength;
      if (total > limit) {
        if (expectedSize !== undefined && expectedSize <= cap) {
          throw new OciError('SIZE_MISMATCH', `${where}: the body is longer than the ${expectedSize} bytes the descriptor says; reading stopped`);
        }
        throw new OciError('SIZE_LIMIT_EXCEEDED', `${where}: the body exceeds the ${cap}-byte limit; reading stopped`);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    void iterator.return?.()?.catch(() => undefined);
    if (error instanceof OciError) throw error;
    if (signal.aborted) throw new OciError('REGISTRY_TIMEOUT', `${where}: the body did not arrive before the deadline or request timeout`, { cause: error });
    throw new OciError('REGISTRY_UNREACHABLE', `${where}: the connection failed while reading the body`, { cause: error });
  } finally {
    stop.release();
  }
  if (expectedSize !== undefined && total !== expectedSize) {
    throw new OciError('SIZE_MISMATCH', `${where}: got ${total} bytes, the descriptor says ${expectedSize}`);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}
