/**
 * The koa app of `signgate signer serve`: POST /v1/registry-events (registry push notifications, bearer token,
 * bounded body), GET /v1/status?scope=REGISTRY/NAMESPACE[/REPO] (per-tag signing status, same token), /healthz,
 * /readyz and /metrics. A notification is acknowledged as soon as its pushes are queued (202); signing happens after.
 * Every refusal is a 4xx whose JSON body says what was wrong and what to do, and changes nothing. The two token routes
 * share the provider's bound on requests answered at once (requestLimit.ts): past it, 503 with Retry-After. A standby
 * of the Kubernetes Lease answers events 503 NOT_LEADER with Retry-After (only the leader signs).
 */
import Koa from 'koa';
import { Router } from '@koa/router';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry as MetricsRegistry } from 'prom-client';
import { EventError, type TokenCheck } from '../events/index.js';
import { OciError, parseRepositoryName } from '../oci/index.js';
import { SigningError, type SigningMetrics, type SigningService } from '../signing/index.js';
import { ServerError } from './errors.js';
import { createRequestLimit, DEFAULT_REQUEST_LIMIT, type RequestLimitOptions } from './requestLimit.js';
import { EVENT_STATUS, refuse, registryEventsHandler, REGISTRY_EVENTS_PATH } from './registryEvents.js';

/** The signer's Prometheus metrics (one registry per app). */
export class SignerMetrics implements SigningMetrics {
  readonly registry = new MetricsRegistry();
  private readonly signings = new Counter({ name: 'signgate_signer_signings_total', help: 'Tags handled, by rule and outcome (signed, covered, skipped, would-sign, failed)', labelNames: ['rule', 'outcome'], registers: [this.registry] });
  private readonly pushToSigned = new Histogram({
    name: 'signgate_signer_push_to_signed_seconds',
    help: 'Seconds from a push notification to the pushed signature',
    labelNames: ['rule'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  private readonly depth = new Gauge({ name: 'signgate_signer_queue_depth', help: 'Tags queued or being signed', registers: [this.registry] });
  private readonly found = new Counter({ name: 'signgate_signer_resync_findings_total', help: 'Tags signed by a resync that no event had covered', labelNames: ['rule'], registers: [this.registry] });
  readonly notifications = new Counter({ name: 'signgate_signer_notifications_total', help: 'Notifications received, by result', labelNames: ['result'], registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  outcome(rule: string, state: string): void {
    this.signings.inc({ rule, outcome: state });
  }
  latency(rule: string, seconds: number): void {
    this.pushToSigned.observe({ rule }, seconds);
  }
  queueDepth(depth: number): void {
    this.depth.set(depth);
  }
  resyncFound(rule: string, count: number): void {
    this.found.inc({ rule }, count);
  }
}

export interface SignerAppOptions {
  readonly service: SigningService;
  readonly tokens: TokenCheck;
  readonly logger: Logger;
  readonly metrics: SignerMetrics;
  /** Why the service is not ready (listener), or undefined. */
  readonly notReady?: () => string | undefined;
  /** The bound on event and status requests answered at once (requestLimit.ts); default DEFAULT_REQUEST_LIMIT. */
  readonly requestLimit?: Partial<RequestLimitOptions>;
  /**
   * Why this replica takes no events now (a standby of the Kubernetes Lease), or undefined: events then get 503
   * NOT_LEADER with Retry-After, so that the registry sends them again (to the leader); probes stay 200.
   */
  readonly standby?: () => string | undefined;
}

/** Seconds a registry is asked to wait before it sends an event to a standby again (a leader takes over within 15 s). */
const STANDBY_RETRY_AFTER_SECONDS = 5;

export function createSignerApp(options: SignerAppOptions): Koa {
  const { service, tokens, logger, metrics } = options;
  const requestLimit = createRequestLimit({ ...DEFAULT_REQUEST_LIMIT, ...options.requestLimit }, 'signer');
  const app = new Koa();
  app.silent = true;
  const router = new Router();

  router.post(
    REGISTRY_EVENTS_PATH,
    async (ctx, next) => {
      const standby = options.standby?.();
      if (standby === undefined) return next();
      metrics.notifications.inc({ result: 'NOT_LEADER' });
      ctx.set('Retry-After', String(STANDBY_RETRY_AFTER_SECONDS));
      refuse(ctx, 503, 'NOT_LEADER', `this signer is a standby (${standby}); send the event to the leader (the Service selects it), or again after ${STANDBY_RETRY_AFTER_SECONDS} s`);
    },
    requestLimit.middleware,
    registryEventsHandler({
      tokens,
      logger,
      count: (result) => metrics.notifications.inc({ result }),
      accept: (parsed) => {
        const { queued, ignored } = service.handle(parsed.pushes);
        return { queued, ignored: ignored + parsed.ignored + parsed.deletes.length }; // deletes: nothing to sign
      },
    }),
  );

  router.get('/v1/status', requestLimit.middleware, async (ctx) => {
    try {
      await tokens.check(ctx.get('authorization') || undefined);
    } catch (err) {
      if (!(err instanceof EventError)) throw err;
      refuse(ctx, EVENT_STATUS[err.code], err.code, err.message);
      return;
    }
    const scope = typeof ctx.query.scope === 'string' ? ctx.query.scope : '';
    try {
      const { registry, repository } = parseRepositoryName(scope);
      ctx.body = { scope: `${registry}/${repository}`, rules: service.ruleStatuses(), tags: await service.status(registry, repository, AbortSignal.timeout(60_000)) };
    } catch (err) {
      if (err instanceof OciError) refuse(ctx, 400, err.code, `scope: ${err.message}`);
      else if (err instanceof SigningError) refuse(ctx, 404, err.code, err.message);
      else throw err;
    }
  });

  router.get('/healthz', (ctx) => {
    ctx.body = 'ok\n';
  });
  router.get('/readyz', (ctx) => {
    const reason = options.notReady?.();
    ctx.status = reason === undefined ? 200 : 503;
    ctx.body = reason === undefined ? 'ready\n' : `not ready: ${reason}\n`;
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });

  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (err instanceof ServerError) {
        if (ctx.path === REGISTRY_EVENTS_PATH) metrics.notifications.inc({ result: err.code });
        logger.warn({ code: err.code, path: ctx.path }, err.message);
        refuse(ctx, err.status, err.code, err.message);
        return;
      }
      logger.error({ err }, 'signer request failed');
      refuse(ctx, 500, 'INTERNAL', 'the signer failed to answer; see its log');
    }
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
