/**
 * `signgate serve --events-token-file` / `--prewarm`: the wiring of registry notifications to verify/'s
 * invalidation and prewarming, with the executor, the registry pool, the configuration source, metrics and the logger.
 */
import type { Logger } from 'pino';
import type { ConfigSource } from '../config/types.js';
import type { ParsedNotification } from '../events/index.js';
import type { ProviderMetrics } from '../server/index.js';
import { createEventInvalidation, createPrewarm, type InvalidatingProviderExecutor, type RegistryPool } from '../verify/index.js';
import type { ServeSettings } from './serveArgs.js';

/**
 * --events-token-file: a registry notification drops what it made stale (verify/invalidation.ts) before it is
 * acknowledged; manifest reads and --prewarm verifications run after, bounded, with the notification's trace id.
 */
export function registryEventsWiring(
  settings: ServeSettings,
  executor: InvalidatingProviderExecutor,
  pool: RegistryPool,
  configSource: Pick<ConfigSource, 'current'>,
  metrics: ProviderMetrics,
  logger: Logger,
): { readonly accept: (parsed: ParsedNotification, traceID: string) => Readonly<Record<string, unknown>>; readonly stop: () => void } {
  const prewarm =
    settings.prewarm.length > 0
      ? createPrewarm({
          scopes: settings.prewarm,
          // a key without [namespace]: the cluster-wide configuration's verdict is the one warmed
          verify: async (reference, traceID) => {
            const result = await executor.verify(reference, { config: configSource.current(), traceID });
            return 'error' in result ? 'error' : result.value.isSuccess ? 'pass' : 'fail';
          },
          done: (reference, outcome, traceID) => {
            metrics.prewarm(outcome);
            logger.info({ traceID, image: reference, outcome }, `prewarm: ${reference}: ${outcome === 'dropped' ? 'not verified (the prewarm queue is full)' : outcome}`);
          },
        })
      : undefined;
  const invalidation = createEventInvalidation({
    executor,
    registries: pool,
    registryForEvents: () => {
      const store = configSource.current()?.cluster?.store;
      return store === undefined ? undefined : pool.registryFor(store);
    },
    pushedImage: (image, traceID) => void prewarm?.offer(image.reference, image.repository, traceID),
    invalidated: (kind) => metrics.invalidation(kind),
    log: (e) => logger[e.level]({ traceID: e.traceID, image: e.image, kind: e.kind, dropped: e.dropped, error: e.error }, e.msg),
  });
  return {
    accept(parsed, traceID) {
      const { dropped, reads } = invalidation.handle(parsed, traceID);
      reads.catch((error: unknown) => logger.error({ traceID, err: error }, 'registry event: reading pushed manifests failed'));
      return { dropped };
    },
    stop: () => prewarm?.stop(),
  };
}
