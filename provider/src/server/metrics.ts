/**
 * Prometheus metrics (prom-client), one registry per app so that tests and several servers do not share counters.
 * Names carry the `signgate_` prefix and their unit. Cache and in-flight figures are read at scrape time from the
 * sources the server is given.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RegistryEvent } from '../oci/index.js';

export type Route = 'verify' | 'mutate';

/** signgate_registry_requests_total labels the first this many registry hosts; later ones are counted as host="other". */
export const MAX_REGISTRY_HOST_LABELS = 100;

/** How an item was answered: a passing (or, for mutate, resolved) value, a failing verdict, an item error, a deadline. */
export type ItemOutcome = 'pass' | 'fail' | 'error' | 'timeout';

export interface CacheFigures {
  readonly hits: number;
  readonly misses: number;
}

/** What a cache holds now: entries, and bytes where the cache counts them. */
export interface CacheSize {
  readonly entries: number;
  readonly bytes?: number;
}

export interface MetricsSources {
  /** Hits and misses by cache name (verdict, tag, referrers, content), cumulative. */
  readonly caches?: () => Readonly<Record<string, CacheFigures>>;
  /** Entries (and bytes) by cache name, now: each stops at its bound, so a steady figure is a full cache, not a leak. */
  readonly cacheSizes?: () => Readonly<Record<string, CacheSize>>;
  /** Keys being worked on now (including background work after a deadline). */
  readonly inFlight?: () => number;
  /** External data requests being read or answered now (the --max-concurrent-requests bound). */
  readonly requests?: () => number;
}

export class ProviderMetrics {
  readonly registry = new Registry();
  private readonly duration: Histogram<'route'>;
  private readonly verifications: Counter<'outcome'>;
  private readonly items: Counter<'route' | 'outcome'>;
  private readonly registryRequests: Counter<'host' | 'status'>;
  /** Hosts that have a label of their own in signgate_registry_requests_total. */
  private readonly registryHosts = new Set<string>();
  private readonly rejected: Counter<'route' | 'code'>;
  private readonly notifications: Counter<'outcome'>;
  private readonly invalidations: Counter<'kind'>;
  private readonly prewarms: Counter<'outcome'>;

  constructor(sources: MetricsSources = {}) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry }); // process_* and nodejs_*, read at scrape time
    this.duration = new Histogram({
      name: 'signgate_request_duration_seconds',
      help: 'Duration of external data requests, by route.',
      labelNames: ['route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5],
      registers,
    });
    this.verifications = new Counter({ name: 'signgate_verifications_total', help: 'Verify items answered, by outcome (pass, fail, error, timeout).', labelNames: ['outcome'], registers });
    this.items = new Counter({
      name: 'signgate_items_total',
      help: 'Items answered, by route and outcome (pass, fail, error, timeout; a resolved mutate item is pass).',
      labelNames: ['route', 'outcome'],
      registers,
    });
    this.registryRequests = new Counter({ name: 'signgate_registry_requests_total', help: 'HTTP requests to registries, by host (the first 100 hosts seen; later ones as "other") and status (error when no status).', labelNames: ['host', 'status'], registers });
    this.rejected = new Counter({ name: 'signgate_rejected_requests_total', help: 'Requests refused before any key was looked at, by route and error code.', labelNames: ['route', 'code'], registers });
    this.notifications = new Counter({
      name: 'signgate_registry_notifications_total',
      help: 'Registry notifications received on /v1/registry-events, by outcome (accepted, or the refusal code such as EVENT_UNAUTHENTICATED).',
      labelNames: ['outcome'],
      registers,
    });
    this.invalidations = new Counter({
      name: 'signgate_cache_invalidations_total',
      help: 'Cache invalidations caused by registry events, by kind (subject: a signature pushed, tag: a tag pushed, delete: a manifest deleted, repository: a push that could not be read).',
      labelNames: ['kind'],
      registers,
    });
    this.prewarms = new Counter({
      name: 'signgate_prewarm_verifications_total',
      help: 'Background verifications of pushed images (--prewarm), by outcome (pass, fail, error, dropped when the queue was full).',
      labelNames: ['outcome'],
      registers,
    });
    const caches = sources.caches;
    new Counter({
      name: 'signgate_cache_hits_total',
      help: 'Cache hits, by cache.',
      labelNames: ['cache'],
      registers,
      collect() {
        this.reset();
        for (const [cache, f] of Object.entries(caches?.() ?? {})) this.inc({ cache }, f.hits);
      },
    });
    new Counter({
      name: 'signgate_cache_misses_total',
      help: 'Cache misses, by cache.',
      labelNames: ['cache'],
      registers,
      collect() {
        this.reset();
        for (const [cache, f] of Object.entries(caches?.() ?? {})) this.inc({ cache }, f.misses);
      },
    });
    const cacheSizes = sources.cacheSizes;
    new Gauge({
      name: 'signgate_cache_entries',
      help: 'Entries held now, by cache (verdict, tags, referrers, content).',
      labelNames: ['cache'],
      registers,
      collect() {
        this.reset();
        for (const [cache, size] of Object.entries(cacheSizes?.() ?? {})) this.set({ cache }, size.entries);
      },
    });
    new Gauge({
      name: 'signgate_cache_bytes',
      help: 'Bytes held now, by cache, for the caches bounded in bytes (content: manifests and envelopes; verdict).',
      labelNames: ['cache'],
      registers,
      collect() {
        this.reset();
        for (const [cache, size] of Object.entries(cacheSizes?.() ?? {})) if (size.bytes !== undefined) this.set({ cache }, size.bytes);
      },
    });
    const inFlight = sources.inFlight;
    new Gauge({
      name: 'signgate_inflight_keys',
      help: 'Keys being verified or resolved right now, including background work after a deadline.',
      registers,
      collect() {
        this.set(inFlight?.() ?? 0);
      },
    });
    const requests = sources.requests;
    new Gauge({
      name: 'signgate_inflight_requests',
      help: 'External data requests being read or answered right now; at --max-concurrent-requests more are refused with 503 (signgate_rejected_requests_total{code="OVERLOADED"}).',
      registers,
      collect() {
        this.set(requests?.() ?? 0);
      },
    });
  }

  observeRequest(route: Route, seconds: number): void {
    this.duration.observe({ route }, seconds);
  }

  item(route: Route, outcome: ItemOutcome): void {
    this.items.inc({ route, outcome });
    if (route === 'verify') this.verifications.inc({ outcome });
  }

  rejectedRequest(route: Route, code: string): void {
    this.rejected.inc({ route, code });
  }

  registryNotification(outcome: string): void {
    this.notifications.inc({ outcome });
  }

  invalidation(kind: 'subject' | 'tag' | 'repository' | 'delete'): void {
    this.invalidations.inc({ kind });
  }

  prewarm(outcome: 'pass' | 'fail' | 'error' | 'dropped'): void {
    this.prewarms.inc({ outcome });
  }

  /** The oci RegistryEvent hook: counts each registry request by host and status. */
  registryEvent(event: RegistryEvent): void {
    if (event.type !== 'request') return;
    let host = 'unknown';
    try {
      host = new URL(event.url).host;
    } catch {
      // keep "unknown"
    }
    // image references come from the cluster's pods: a label per host they name would grow without end
    if (!this.registryHosts.has(host)) {
      if (this.registryHosts.size < MAX_REGISTRY_HOST_LABELS) this.registryHosts.add(host);
      else host = 'other';
    }
    this.registryRequests.inc({ host, status: event.status === undefined ? 'error' : String(event.status) });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
