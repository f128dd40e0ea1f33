/**
 * `signgate serve`: the composition root of the provider. It wires the config files (watched), the wall clock,
 * fetch, the registry clients, the executor, the koa app, the HTTPS and metrics listeners and pino together, then
 * serves until SIGINT/SIGTERM.
 */
import { pino, type Logger } from 'pino';
import { ConfigError, defaultConfigPath, formatIssue, watchConfigFiles } from '../config/index.js';
import type { GatekeeperCa } from '../k8s/index.js';
import type { ConfigSource, StoreConfig } from '../config/types.js';
import { loadDockerConfig, Registry, type CredentialLookup } from '../oci/index.js';
import { crossFetch } from './crossFetch.js';
import {
  createApp,
  createMetricsApp,
  ProviderMetrics,
  startServer,
  traceMixin,
  watchSettingsFile,
  type Deadlines,
  type RunningServer,
  type SettingsFile,
} from '../server/index.js';
import { collectWhenIdle } from './idleCollection.js';
import { createCliRevocationChecker } from './revocation.js';
import { startPodAudit } from './audit.js';
import {
  createProviderExecutor,
  createRegistryPool,
  type InvalidatingProviderExecutor,
  type ProviderExecutor,
  type RegistryPool,
  type SharedVerdictCache,
} from '../verify/index.js';
import { startSharedCache } from './sharedCache.js';
import { fileTokenCheck } from '../events/index.js';
import { registryEventsWiring } from './registryEvents.js';
import { SigngateError } from '../errors.js';
import { UsageError, type CommandIO } from './io.js';
import { parseServeArgs, SERVE_HELP, type ServeSettings } from './serveArgs.js';

export interface RunningProvider {
  readonly server: RunningServer;
  readonly configSource: ConfigSource;
  readonly executor: ProviderExecutor;
  /** Mutable: a change applies to the next request (the --settings file updates it). */
  readonly deadlines: Deadlines;
  /** The watched --settings file, when one was given. */
  readonly settingsFile: SettingsFile | undefined;
  /** Stops accepting, gives requests in progress `drainMs` (default 0) to finish, closes everything; resolves with the requests cut off. */
  close(options?: { readonly drainMs?: number }): Promise<number>;
}

const wallClock = (): Date => new Date(Date.now());

function lazyCredentials(path: string): CredentialLookup {
  let loaded: Promise<CredentialLookup> | undefined;
  return async (registry) => (await (loaded ??= loadDockerConfig(path)))(registry);
}

function registryFactory(settings: ServeSettings, metrics: ProviderMetrics, logger: Logger, clock: () => Date): (store: StoreConfig) => Registry {
  return (store) =>
    new Registry({
      fetch: crossFetch,
      clock,
      plainHttpHosts: store.plainHttpHosts,
      ...(store.allowedTokenRealms !== undefined ? { allowedTokenRealms: store.allowedTokenRealms } : {}),
      ...(store.caBundle !== undefined ? { ca: store.caBundle } : {}),
      ...(store.dockerConfigPath !== undefined ? { credentials: lazyCredentials(store.dockerConfigPath) } : {}),
      cache: {
        ttlMs: store.cacheEnabled ? store.ttlSeconds * 1000 : 0,
        tagEntries: settings.tagCacheSize,
        referrerEntries: settings.tagCacheSize,
        contentBytes: settings.contentCacheBytes,
      },
      userAgent: 'signgate/0.1.0',
      log: (event) => {
        metrics.registryEvent(event);
        logger.debug({ registry: event }, 'registry request');
      },
    });
}

/** Why `serve` does not start when its configuration files do not load: every problem, and what to do. */
function initialFailure(paths: readonly string[], error: ConfigError | undefined): string {
  const problems = error?.issues.map((issue) => `  - ${formatIssue(issue)}`) ?? [`  - ${error?.message ?? 'no resource was loaded'}`];
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return (
    `the configuration ${paths.join(', ')} does not load (${count}), so there is nothing to serve:\n${problems.join('\n')}\n` +
    'fix them and start again (signgate serve --config PATH; a Kubernetes install uses --kubernetes and waits for valid resources instead)'
  );
}

/**
 * Starts everything `settings` describes; the returned handle closes it all. `clock` is the verification and registry
 * clock (default: the wall clock; tests pin it); the TLS development certificate always uses the wall clock.
 */
export async function startProvider(settings: ServeSettings, logger: Logger, options: { clock?: () => Date } = {}): Promise<RunningProvider> {
  const clock = options.clock ?? wallClock;
  let starting = true;
  let hasConfig = false;
  let initialError: ConfigError | undefined;
  const onConfigError = (error: Error & { code?: string }): void => {
    // files: a first load that fails stops the start (below), listing every problem; it is not a running server's log line
    if (starting && !settings.kubernetes && error instanceof ConfigError) {
      initialError = error;
      return;
    }
    const keeps = hasConfig ? 'the last good configuration keeps serving' : 'no configuration is loaded yet: every key is answered with an item error and /readyz is not ready until a valid one is applied';
    logger.error({ code: error.code }, `${error.message}\n${keeps}`);
  };
  // the Kubernetes client (@kubernetes/client-node: some 45 MB resident) is loaded only with --kubernetes
  const k8s = settings.kubernetes ? await import('../k8s/index.js') : undefined;
  const kube = k8s?.defaultKubeClient();
  let gatekeeperCa: GatekeeperCa | undefined;
  if (k8s && kube && settings.gatekeeperCaSecret !== undefined && settings.clientCa !== undefined) {
    const ref = k8s.parseSecretKeyRef(settings.gatekeeperCaSecret, '--gatekeeper-ca-secret');
    gatekeeperCa = await k8s.startGatekeeperCaFile(kube, ref, settings.clientCa, (e) => logger.warn({ code: e.code }, e.message));
  }
  let kubeconfigProblem: Error | undefined;
  const onKubeError = (e: Error): void => {
    if (k8s && e instanceof k8s.KubeError && e.code === 'KUBE_CONFIG') kubeconfigProblem ??= e;
    if ('issues' in e) onConfigError(e);
    else logger.warn({ err: e.message }, 'kubernetes');
  };
  const configSource = k8s && kube ? await k8s.startKubernetesConfig(kube, { onError: onKubeError }) : await watchConfigFiles(settings.configPaths, { onError: onConfigError });
  starting = false;
  hasConfig = configSource.current() !== undefined;
  if (kubeconfigProblem !== undefined && !hasConfig) {
    // waiting cannot help: the kubeconfig itself is unusable (an unreachable API server, by contrast, is waited for)
    await configSource.close();
    await gatekeeperCa?.close();
    throw kubeconfigProblem;
  }
  if (!settings.kubernetes && !hasConfig) {
    await configSource.close();
    await gatekeeperCa?.close();
    throw new UsageError(initialFailure(settings.configPaths, initialError));
  }
  const current = configSource.current();
  if (current !== undefined) logger.info({ generation: current.generation, digest: current.digest, paths: settings.configPaths }, 'configuration loaded');
  const unsubscribe = configSource.subscribe((c) => {
    hasConfig = true;
    logger.info({ generation: c.generation, digest: c.digest }, 'configuration reloaded');
  });
  // read at scrape time; `executor` and `pool` are assigned below, before any scrape can happen. The pool folds the
  // counts of registry clients it retires into running totals, so this stays bounded however often Stores change.
  const metrics = new ProviderMetrics({
    caches: () => ({ verdict: executor.stats().verdictCache, ...pool.cacheStats() }),
    cacheSizes: () => ({ verdict: executor.stats().verdictCache, ...pool.cacheSizes() }),
    inFlight: () => executor.stats().inFlight,
    requests: () => app.requests.inFlight(),
  });
  const pool: RegistryPool = createRegistryPool(registryFactory(settings, metrics, logger, clock));
  let sharedCache: SharedVerdictCache | undefined;
  try {
    // replicas share verdicts only when the serve flags that change verdicts agree too (revocation online/offline)
    const keyPrefix = `signgate:v1:${settings.revocationOffline ? 'offline' : 'online'}`;
    sharedCache = settings.sharedCache !== undefined ? await startSharedCache(settings.sharedCache, metrics.registry, logger, clock, keyPrefix) : undefined;
  } catch (error) {
    unsubscribe();
    await configSource.close();
    await gatekeeperCa?.close();
    pool.close();
    throw error;
  }
  const executor: InvalidatingProviderExecutor = createProviderExecutor({
    registryFor: (store) => pool.registryFor(store),
    clock,
    cache: { maxEntries: settings.verdictCacheSize, ttlMs: settings.verdictCacheTtlMs, maxBytes: settings.verdictCacheBytes },
    ...(sharedCache !== undefined ? { sharedCache } : {}),
    dropTag: settings.dropTag,
    revocation: createCliRevocationChecker({ ...(settings.crlCacheDir !== undefined ? { crlCacheDir: settings.crlCacheDir } : {}), offline: settings.revocationOffline }, clock, metrics.registry),
    events: {
      // the decision log has the warn line (message, code, no stack); the stack is for debugging only
      itemError: (key, error, transient) => logger.debug({ key, transient, err: error }, 'could not decide: error detail'),
    },
  });
  const registryEvents = settings.eventsTokenFile !== undefined ? registryEventsWiring(settings, executor, pool, configSource, metrics, logger) : undefined;
  const base: Deadlines = { verifyMs: settings.verifyTimeoutMs, mutateMs: settings.mutateTimeoutMs };
  const deadlines: Deadlines = { ...base };
  let settingsFile: SettingsFile | undefined;
  let server: RunningServer | undefined;
  const notReady = (): string | undefined => (server === undefined ? 'the HTTPS listener is not started' : server.notReady());
  const app = createApp({
    configSource,
    executor,
    logger,
    metrics,
    deadlines,
    notReady,
    requestLimit: { maxConcurrentRequests: settings.maxConcurrentRequests, answerTimeoutMs: settings.requestTimeoutMs },
    ...(settings.eventsTokenFile !== undefined && registryEvents !== undefined
      ? { registryEvents: { tokens: fileTokenCheck(settings.eventsTokenFile), count: (outcome: string) => metrics.registryNotification(outcome), accept: registryEvents.accept } }
      : {}),
  });
  try {
    if (settings.settingsFile !== undefined) settingsFile = await watchSettingsFile({ file: settings.settingsFile, base, deadlines, logger });
    server = await startServer({
      handler: app.callback(),
      address: settings.address,
      metricsAddress: settings.metricsAddress,
      metricsHandler: createMetricsApp(metrics, { configSource, notReady }).callback(),
      ...(settings.tlsCert !== undefined && settings.tlsKey !== undefined ? { tls: { certFile: settings.tlsCert, keyFile: settings.tlsKey } } : {}),
      ...(settings.clientCa !== undefined ? { clientCaFile: settings.clientCa } : {}),
      logger,
      clock: wallClock,
      devHosts: settings.devHosts,
      connectionLimits: {
        headersTimeoutMs: settings.headersTimeoutMs,
        requestTimeoutMs: settings.requestTimeoutMs,
        keepAliveTimeoutMs: settings.keepAliveTimeoutMs,
        maxConnections: settings.maxConnections,
      },
    });
  } catch (error) {
    settingsFile?.close();
    unsubscribe();
    await configSource.close();
    await gatekeeperCa?.close();
    pool.close();
    await sharedCache?.close();
    throw error;
  }
  const running = server;
  // the audit of the running Pods (--kubernetes, --audit-interval > 0): started once serving, stopped first
  const audit =
    k8s && kube && settings.auditIntervalMs > 0
      ? startPodAudit({
          k8s,
          client: kube,
          executor,
          configSource,
          intervalMs: settings.auditIntervalMs,
          qps: settings.auditQps,
          clock,
          logger,
          metrics,
          ...(settings.auditLease !== undefined ? { lease: settings.auditLease } : {}),
        })
      : undefined;
  return {
    server: running,
    configSource,
    executor,
    deadlines,
    settingsFile,
    async close(closeOptions = {}) {
      settingsFile?.close();
      unsubscribe();
      registryEvents?.stop();
      await audit?.close();
      const cutOff = await running.close(closeOptions);
      await configSource.close();
      await gatekeeperCa?.close();
      pool.close();
      await sharedCache?.close();
      return cutOff;
    },
  };
}

/** Start-up failures that are the operator's to fix (exit 2): flags, configuration, settings, TLS files, kubeconfig. */
const CONFIGURATION_CODES: ReadonlySet<string> = new Set(['SETTINGS_INVALID', 'TLS_INVALID', 'KUBE_CONFIG']);

function isConfigurationProblem(error: unknown): boolean {
  return error instanceof UsageError || error instanceof ConfigError || (error instanceof SigngateError && CONFIGURATION_CODES.has(error.code));
}

export async function serveCommand(argv: readonly string[], io: CommandIO, env: Readonly<Record<string, string | undefined>> = process.env): Promise<number> {
  let settings: ServeSettings | 'help';
  try {
    settings = parseServeArgs(argv, env, defaultConfigPath);
  } catch (error) {
    io.stderr.write(`signgate serve: ${(error as Error).message}\n\n${SERVE_HELP}`);
    return 2;
  }
  if (settings === 'help') {
    io.stdout.write(SERVE_HELP);
    return 0;
  }
  // traceMixin: every line logged inside a request's work (registry, credentials, executor) carries its traceID
  const logger = pino({ level: settings.logLevel, base: { service: 'signgate' }, mixin: traceMixin }, pino.destination({ dest: 1, sync: false }));
  // signals are taken from the start: one that arrives while starting stops the server as soon as it is up.
  // once: a second signal during the drain gets Node's default handling, which ends the process at once
  let received: NodeJS.Signals | undefined;
  let onSignal: ((signal: NodeJS.Signals) => void) | undefined;
  const stop = (signal: NodeJS.Signals): void => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    received = signal;
    onSignal?.(signal);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  let provider: RunningProvider;
  // the Kubernetes source waits for its first lists on timers that do not keep a process alive: this one does
  const keepAlive = setInterval(() => undefined, 60_000);
  try {
    provider = await startProvider(settings, logger);
  } catch (error) {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    io.stderr.write(`signgate serve: ${(error as Error).message}\n`);
    return isConfigurationProblem(error) ? 2 : 1;
  } finally {
    clearInterval(keepAlive);
  }
  const dev = provider.server.devCertificate;
  if (dev !== undefined) {
    io.stderr.write(
      `signgate serve: no --tls-cert given; serving a generated development certificate.\n` +
        `caBundle for the Gatekeeper Provider (spec.caBundle):\n${dev.caBundle}\n`,
    );
  }
  io.stderr.write(`signgate serve: listening on ${provider.server.url} (metrics ${provider.server.metricsUrl ?? 'off'})\n`);
  const idle = collectWhenIdle(({ after, youngGeneration, heap, ms }) =>
    logger.info(
      {
        ms,
        youngGenerationBytes: { before: youngGeneration.beforeBytes, after: youngGeneration.afterBytes },
        heapBytes: { before: heap.beforeBytes, after: heap.afterBytes },
      },
      `idle after ${after}: one garbage collection returned the memory the ${after} had grown`,
    ),
  );
  const signal = received ?? (await new Promise<NodeJS.Signals>((resolve) => (onSignal = resolve)));
  idle.stop();
  const drainMs = settings.shutdownTimeoutMs;
  const inFlight = provider.server.inFlightRequests();
  const closed = provider.close({ drainMs }); // stops accepting before it returns, so the line below is true when read
  logger.info({ signal, inFlight, drainMs }, `${signal} received: no new connections; finishing the requests in progress (at most ${drainMs}ms), then exiting`);
  const cutOff = await closed;
  if (cutOff > 0) logger.warn({ signal, cutOff, drainMs }, `${cutOff} request(s) still unanswered after ${drainMs}ms were cut off (raise --shutdown-timeout)`);
  logger.info({ signal }, 'stopped');
  await new Promise<void>((resolve) => logger.flush(() => resolve()));
  return 0;
}
