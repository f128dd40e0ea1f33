/**
 * Revocation checking for the CLI commands: one checker per process (its OCSP and CRL caches are shared by every
 * verification), Node's fetch unless offline, the optional on-disk CRL cache, and Prometheus counters for fetches
 * and cache lookups when a metrics registry is given.
 */
import { Counter, type Registry } from 'prom-client';
import {
  createRevocationChecker,
  createRevocationFetch,
  openCrlDirectory,
  type RevocationChecker,
  type RevocationEvents,
} from '../notation/index.js';

export interface RevocationSettings {
  /** Keep verified CRLs here too (atomic writes; verified again when read). */
  readonly crlCacheDir?: string;
  /** Never fetch: only supplied CRL files decide (air-gapped clusters). */
  readonly offline: boolean;
}

function metricEvents(registry: Registry): RevocationEvents {
  const registers = [registry];
  const fetches = new Counter({
    name: 'signgate_revocation_fetches_total',
    help: 'OCSP requests and CRL downloads, by method (ocsp, crl) and outcome (ok, error).',
    labelNames: ['method', 'outcome'],
    registers,
  });
  const lookups = new Counter({
    name: 'signgate_revocation_cache_lookups_total',
    help: 'Revocation cache lookups (OCSP answers, CRLs in memory), by method and result (hit, miss).',
    labelNames: ['method', 'result'],
    registers,
  });
  return {
    fetch: (method, outcome) => fetches.inc({ method, outcome }),
    cache: (method, hit) => lookups.inc({ method, result: hit ? 'hit' : 'miss' }),
  };
}

export function createCliRevocationChecker(settings: RevocationSettings, clock: () => Date, metrics?: Registry): RevocationChecker {
  return createRevocationChecker({
    clock,
    ...(settings.offline ? {} : { fetch: createRevocationFetch(fetch) }),
    ...(settings.crlCacheDir !== undefined ? { crlDirectory: openCrlDirectory(settings.crlCacheDir) } : {}),
    ...(metrics ? { events: metricEvents(metrics) } : {}),
  });
}
