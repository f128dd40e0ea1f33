/**
 * The bound on external data requests answered at once. A request takes a place when its headers have arrived (so a
 * body being read counts: at most `max` bodies of at most the body limit are held) and gives it back when its answer
 * has been sent or its connection closed. With every place taken, a request is refused at once with 503 and
 * `Retry-After`, never queued, so that overload costs the overflow a retry rather than everyone a timeout. An answer
 * the client stops reading for `answerTimeoutMs` is cut, so a client that never reads cannot keep a place.
 */
import type Koa from 'koa';
import { ServerError } from './errors.js';

export interface RequestLimitOptions {
  /** Requests read or answered at once at most (default 64). */
  readonly maxConcurrentRequests: number;
  /** Seconds a refused client is told to wait (Retry-After). */
  readonly retryAfterSeconds: number;
  /** An answer the client takes nothing of for this long is cut (default 30 s, the request timeout). */
  readonly answerTimeoutMs: number;
}

export const DEFAULT_REQUEST_LIMIT: Readonly<RequestLimitOptions> = Object.freeze({ maxConcurrentRequests: 64, retryAfterSeconds: 1, answerTimeoutMs: 30_000 });

export interface RequestLimit {
  /** Koa middleware for the routes the bound covers. */
  readonly middleware: Koa.Middleware;
  /** Requests holding a place now. */
  inFlight(): number;
}

/** Which service's bound this is, for the refusal's words: the provider scales out, the signer (one leader) does not. */
export type LimitedService = 'provider' | 'signer';

function overloaded(service: LimitedService, max: number, retryAfterSeconds: number): ServerError {
  const remedy = service === 'provider' ? 'raise --max-concurrent-requests or run more replicas' : 'raise --max-concurrent-requests';
  return new ServerError(
    'OVERLOADED',
    `the ${service} is already answering ${max} requests (its --max-concurrent-requests); retry after ${retryAfterSeconds}s, and if this persists ${remedy}`,
    { status: 503 },
  );
}

export function createRequestLimit(options: RequestLimitOptions, service: LimitedService = 'provider'): RequestLimit {
  const { maxConcurrentRequests: max, retryAfterSeconds, answerTimeoutMs } = options;
  for (const [name, value] of Object.entries(options)) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new ServerError('SETTINGS_INVALID', `server setting ${name} must be a whole number above 0, got ${String(value)}`);
  }
  let held = 0;
  const middleware: Koa.Middleware = async (ctx, next) => {
    if (held >= max) {
      ctx.set('retry-after', String(retryAfterSeconds));
      throw overloaded(service, max, retryAfterSeconds);
    }
    held++;
    let released = false;
    const release = (): void => {
      if (!released) held--;
      released = true;
    };
    ctx.res.once('finish', release);
    ctx.res.once('close', release);
    await next();
    ctx.res.setTimeout(answerTimeoutMs, () => ctx.res.destroy());
  };
  return { middleware, inFlight: () => held };
}
