/**
 * The koa app of the external data provider: POST /ratify/gatekeeper/v1/{verify,mutate} (also /v1/...), /healthz and
 * /readyz, and with `registryEvents` POST /v1/registry-events (registryEvents.ts, the route the signer uses too). One error-mapping point: request-level problems (ServerError) become their status with a ProviderResponse
 * whose systemError names the problem; anything unexpected becomes a 500 with a trace id, never a stack trace.
 */
import { randomUUID } from 'node:crypto';
import Koa from 'koa';
import { Router } from '@koa/router';
import type { Logger } from 'pino';
import type { ConfigSource } from '../config/types.js';
import { verdictJson, type ItemResult, type ProviderExecutor, type Verdict } from '../verify/index.js';
import { settleWithin, TIMED_OUT } from './deadline.js';
import { decisionOf, logDecision } from './decisionLog.js';
import { ServerError } from './errors.js';
import type { ItemOutcome, ProviderMetrics, Route } from './metrics.js';
import { registryEventsHandler, REGISTRY_EVENTS_PATH, type RegistryEventsOptions } from './registryEvents.js';
import { createRequestLimit, DEFAULT_REQUEST_LIMIT, type RequestLimit, type RequestLimitOptions } from './requestLimit.js';
import { runWithTraceId, traceContextWanted } from './traceContext.js';
import { DEFAULT_API_VERSION, DEFAULT_LIMITS, parseProviderRequest, readBody, type RequestLimits } from './request.js';

/** Read at every request: change the fields to change the deadlines without a restart. */
export interface Deadlines {
  verifyMs: number;
  mutateMs: number;
}

export const DEFAULT_DEADLINES: Readonly<Deadlines> = { verifyMs: 4900, mutateMs: 1950 };

export interface AppOptions {
  readonly configSource: Pick<ConfigSource, 'current' | 'lastError'>;
  readonly executor: ProviderExecutor;
  readonly logger: Logger;
  readonly metrics?: ProviderMetrics;
  readonly limits?: Partial<RequestLimits>;
  readonly deadlines?: Deadlines;
  /** Why the server is not ready (TLS material, listener), or undefined when it is. */
  readonly notReady?: () => string | undefined;
  readonly traceId?: () => string;
  /** The bound on requests answered at once (requestLimit.ts); default DEFAULT_REQUEST_LIMIT. */
  readonly requestLimit?: Partial<RequestLimitOptions>;
  /** POST /v1/registry-events (`--events-token-file`): the token check, counting and what an accepted notification does. Absent: no such route (404). */
  readonly registryEvents?: Omit<RegistryEventsOptions, 'logger'>;
}

/** The koa app, and how many external data requests it holds now (the `signgate_inflight_requests` gauge). */
export type ProviderApp = Koa<State> & { readonly requests: Pick<RequestLimit, 'inFlight'> };

interface Item {
  readonly key: string;
  readonly value?: Verdict | string;
  readonly error?: string;
}

interface State {
  traceID: string;
  apiVersion: string;
}

function providerResponse(apiVersion: string, idempotent: boolean, items: readonly Item[], systemError?: string): unknown {
  return { apiVersion, kind: 'ProviderResponse', response: { idempotent, items, ...(systemError !== undefined ? { systemError } : {}) } };
}

function itemJson(item: Item): string {
  if (item.value === undefined || typeof item.value === 'string') return JSON.stringify(item);
  return `{"key":${JSON.stringify(item.key)},"value":${verdictJson(item.value)}}`;
}

/** JSON.stringify(providerResponse(apiVersion, idempotent, items)), with cached verdicts' JSON reused (verdictJson). */
function providerResponseJson(apiVersion: string, idempotent: boolean, items: readonly Item[]): string {
  return `{"apiVersion":${JSON.stringify(apiVersion)},"kind":"ProviderResponse","response":{"idempotent":${String(idempotent)},"items":[${items.map(itemJson).join(',')}]}}`;
}

export function createApp(options: AppOptions): ProviderApp {
  const limits: RequestLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const requestLimit = createRequestLimit({ ...DEFAULT_REQUEST_LIMIT, ...options.requestLimit });
  const deadlines = options.deadlines ?? { ...DEFAULT_DEADLINES };
  const { executor, logger, metrics } = options;
  const newTraceId = options.traceId ?? randomUUID;
  const app = new Koa<State>();
  app.silent = true;

  async function handle(ctx: Koa.ParameterizedContext<State>, route: Route): Promise<void> {
    const started = performance.now();
    const { traceID } = ctx.state;
    const body = await readBody(ctx.req, limits.maxBodyBytes);
    const request = parseProviderRequest(body, limits);
    ctx.state.apiVersion = request.apiVersion;
    const config = options.configSource.current();
    const ms = route === 'verify' ? deadlines.verifyMs : deadlines.mutateMs;
    const itemCtx = { config, traceID };
    const run = (key: string): Promise<ItemResult<Verdict | string>> => (route === 'verify' ? executor.verify(key, itemCtx) : executor.mutate(key, itemCtx));
    const answeredMs: number[] = request.keys.map(() => ms);
    const results = await settleWithin(
      request.keys.map((key, i) => () => run(key).finally(() => (answeredMs[i] = performance.now() - started))),
      ms,
      (error): ItemResult<Verdict | string> => {
        // a bug, not a registry problem: named at error, its stack only at debug (as for every item error)
        logger.error({ traceID, route, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }, 'executor failed');
        logger.debug({ traceID, route, err: error }, 'executor failed: stack');
        return { error: `internal error; see the server log (trace id ${traceID})`, code: 'INTERNAL' };
      },
    );
    const counts: Record<ItemOutcome, number> = { pass: 0, fail: 0, error: 0, timeout: 0 };
    const items: Item[] = request.keys.map((key, i) => {
      const r = results[i];
      const result = r === TIMED_OUT || r === undefined ? undefined : r;
      const decision = decisionOf(route, key, result, answeredMs[i] ?? ms, ms);
      counts[decision.outcome]++;
      metrics?.item(route, decision.outcome);
      logDecision(logger, traceID, route, decision);
      if (result === undefined) return { key, error: decision.message };
      return 'error' in result ? { key, error: result.error } : { key, value: result.value };
    });
    ctx.type = 'json';
    ctx.body = providerResponseJson(request.apiVersion, route === 'mutate', items);
    const seconds = (performance.now() - started) / 1000;
    metrics?.observeRequest(route, seconds);
    logger.info({ traceID, route, keys: items.length, ...counts, ms: Math.round(seconds * 1000), generation: config?.generation }, `${route} answered`);
  }

  const router = new Router<State>();
  for (const prefix of ['/ratify/gatekeeper/v1', '/v1']) {
    router.post(`${prefix}/verify`, requestLimit.middleware, (ctx) => handle(ctx, 'verify'));
    router.post(`${prefix}/mutate`, requestLimit.middleware, (ctx) => handle(ctx, 'mutate'));
  }
  if (options.registryEvents !== undefined) router.post(REGISTRY_EVENTS_PATH, registryEventsHandler({ ...options.registryEvents, logger }));
  addHealthRoutes(router, options);

  app.use(async (ctx, next) => {
    ctx.state.traceID = newTraceId();
    ctx.state.apiVersion = DEFAULT_API_VERSION;
    ctx.set('x-trace-id', ctx.state.traceID);
    try {
      await (traceContextWanted(logger) ? runWithTraceId(ctx.state.traceID, next) : next());
    } catch (error) {
      const route: Route = ctx.path.endsWith('/mutate') ? 'mutate' : 'verify';
      if (error instanceof ServerError) {
        metrics?.rejectedRequest(route, error.code);
        logger.info({ traceID: ctx.state.traceID, code: error.code, path: ctx.path }, error.message);
        ctx.status = error.status;
        ctx.body = providerResponse(ctx.state.apiVersion, route === 'mutate', [], error.message);
      } else {
        logger.error({ traceID: ctx.state.traceID, err: error, path: ctx.path }, 'request failed');
        ctx.status = 500;
        ctx.body = providerResponse(ctx.state.apiVersion, route === 'mutate', [], `internal error; see the server log (trace id ${ctx.state.traceID})`);
      }
    }
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  return Object.assign(app, { requests: { inFlight: requestLimit.inFlight } });
}

/** /healthz: the process answers. /readyz: a configuration is loaded and the TLS listener is ready. */
export function addHealthRoutes(router: Router<State>, options: Pick<AppOptions, 'configSource' | 'notReady'>): void {
  router.get('/healthz', (ctx) => {
    ctx.body = 'ok\n';
  });
  router.get('/readyz', (ctx) => {
    const reasons: string[] = [];
    if (options.configSource.current() === undefined) {
      reasons.push(`no configuration loaded${options.configSource.lastError() ? `: ${options.configSource.lastError()}` : ''}`);
    }
    const listener = options.notReady?.();
    if (listener !== undefined) reasons.push(listener);
    ctx.status = reasons.length === 0 ? 200 : 503;
    ctx.body = reasons.length === 0 ? 'ready\n' : `not ready: ${reasons.join('; ')}\n`;
  });
}

/** The plain-HTTP app of the metrics listener: /metrics, plus /healthz and /readyz for probes. */
export function createMetricsApp(metrics: ProviderMetrics, options: Pick<AppOptions, 'configSource' | 'notReady'>): Koa {
  const app = new Koa();
  app.silent = true;
  const router = new Router();
  router.get('/metrics', async (ctx) => {
    ctx.type = metrics.contentType;
    ctx.body = await metrics.text();
  });
  addHealthRoutes(router as unknown as Router<State>, options);
  app.use(router.routes());
  return app;
}
