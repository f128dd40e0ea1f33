/**
 * `signgate serve --shared-cache URL`: opens the Redis connection (password from --shared-cache-password-file or the
 * URL, CA from --shared-cache-ca), and reports how the shared cache fares: Prometheus counters
 * `signgate_shared_cache_operations_total{operation,outcome}` and gauge `signgate_shared_cache_connected`, and a warn
 * line at most every 30 s per operation while Redis fails ("answering from the local cache"), so a Redis outage
 * neither goes unseen nor floods the log.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { connectSharedCache, MIN_SHARED_CACHE_KEY_BYTES, parseSharedCacheUrl, SharedVerdictCache, type SharedCacheOperation, type SharedCacheOutcome } from '../verify/index.js';
import { UsageError } from './io.js';

export interface SharedCacheSettings {
  readonly url: string;
  /** The secret that seals shared verdicts (HMAC-SHA256), the same on every replica. */
  readonly keyFile: string;
  readonly passwordFile?: string;
  readonly caFile?: string;
}

/** Per-call bound on Redis (the 50 ms): past it a request goes on with the local cache. */
const CALL_TIMEOUT_MS = 50;
const LOG_EVERY_MS = 30_000;
const FAILURES: ReadonlySet<SharedCacheOutcome> = new Set(['timeout', 'error', 'unavailable', 'invalid']);

async function readSecretFile(path: string, flag: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`${flag} ${path}: cannot read the ${what} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); mount the Secret there or drop the flag`);
  }
}

export async function startSharedCache(settings: SharedCacheSettings, registry: Registry, logger: Logger, clock: () => Date, keyPrefix: string): Promise<SharedVerdictCache> {
  const url = parseSharedCacheUrl(settings.url);
  const password = settings.passwordFile !== undefined ? (await readSecretFile(settings.passwordFile, '--shared-cache-password-file', 'Redis password')).replace(/\r?\n$/, '') : undefined;
  const caPem = settings.caFile !== undefined ? await readSecretFile(settings.caFile, '--shared-cache-ca', 'CA bundle') : undefined;
  if (caPem !== undefined && !url.tls) throw new UsageError('--shared-cache-ca is for a rediss:// (TLS) URL; use rediss:// or drop --shared-cache-ca');
  const macKey = Buffer.from((await readSecretFile(settings.keyFile, '--shared-cache-key-file', 'shared-cache key')).replace(/\r?\n$/, ''), 'utf8');
  if (macKey.byteLength < MIN_SHARED_CACHE_KEY_BYTES) {
    throw new UsageError(`--shared-cache-key-file ${settings.keyFile}: the key has ${macKey.byteLength} bytes, fewer than ${MIN_SHARED_CACHE_KEY_BYTES}; write a longer random secret (e.g. head -c 32 /dev/urandom | base64), the same on every replica`);
  }
  const registers = [registry];
  const operations = new Counter({
    name: 'signgate_shared_cache_operations_total',
    help: 'Shared verdict cache (Redis) calls by operation and outcome; timeout, error and unavailable mean the replica answered from its local cache',
    labelNames: ['operation', 'outcome'] as const,
    registers,
  });
  const lastLogged = new Map<string, number>();
  const where = `${url.tls ? 'rediss' : 'redis'}://${url.host}:${url.port}/${url.db}`;
  const warn = (key: string, detail: string): void => {
    const now = clock().getTime();
    if (now - (lastLogged.get(key) ?? Number.NEGATIVE_INFINITY) < LOG_EVERY_MS) return;
    lastLogged.set(key, now);
    logger.warn({ sharedCache: where, detail }, `shared cache ${key}: answering from the local cache (logged at most every ${LOG_EVERY_MS / 1000}s)`);
  };
  const client = await connectSharedCache({
    url,
    ...(password !== undefined ? { password } : {}),
    ...(caPem !== undefined ? { caPem } : {}),
    commandTimeoutMs: CALL_TIMEOUT_MS * 4,
    onError: (error) => warn('connection error', error.message),
  });
  const shared = new SharedVerdictCache({
    client,
    clock,
    macKey,
    keyPrefix,
    timeoutMs: CALL_TIMEOUT_MS,
    events: {
      operation(operation: SharedCacheOperation, outcome: SharedCacheOutcome, detail?: string) {
        operations.inc({ operation, outcome });
        if (!FAILURES.has(outcome)) return;
        if (outcome === 'invalid') warn(`${operation} refused a value`, detail ?? '');
        else warn(`${operation} ${outcome}`, detail ?? 'Redis is not connected (reconnecting in the background)');
      },
    },
  });
  new Gauge({
    name: 'signgate_shared_cache_connected',
    help: '1 while the shared verdict cache (Redis) connection is ready, else 0',
    registers,
    collect() {
      this.set(client.ready() ? 1 : 0);
    },
  });
  logger.info({ sharedCache: where, tls: url.tls }, 'shared verdict cache configured');
  return shared;
}
