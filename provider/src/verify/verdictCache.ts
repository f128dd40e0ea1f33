/**
 * The verdict cache (DESIGN.md "Verdict cache semantics"): decided verdicts only, keyed by the configuration scope
 * (namespace or cluster), the subject `host/repo@digest` and the configuration generation, so that a configuration
 * change makes every older verdict unreachable at once. TTL and size bounded (lru-cache on the injected clock).
 * `InFlight` runs identical work once while it is pending.
 */
import { LRUCache } from 'lru-cache';
import type { Verdict } from './verdict.js';

export interface VerdictCacheOptions {
  /** Entries kept at most (default 10,000; 0 disables the cache). */
  readonly maxEntries?: number;
  /** How long a verdict is reused (default 60,000 ms; 0 disables the cache). */
  readonly ttlMs?: number;
}

export interface VerdictCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly entries: number;
}

/** `scope` is the namespace whose Namespaced* configuration applies, or '' for the cluster-wide one. */
export function verdictKey(scope: string, subjectReference: string, generation: number): string {
  return `${generation}\u0000${scope}\u0000${subjectReference}`;
}

export class VerdictCache {
  private readonly lru: LRUCache<string, Verdict> | undefined;
  private readonly ttlMs: number;
  private hits = 0;
  private misses = 0;

  constructor(
    options: VerdictCacheOptions,
    private readonly clock: () => Date,
  ) {
    const max = options.maxEntries ?? 10_000;
    const ttl = options.ttlMs ?? 60_000;
    for (const [name, v] of [['maxEntries', max], ['ttlMs', ttl]] as const) {
      if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`verdict cache ${name} must be a non-negative integer, got ${String(v)}`);
    }
    this.ttlMs = ttl;
    this.lru = max > 0 && ttl > 0 ? new LRUCache<string, Verdict>({ max, ttl, ttlResolution: 0, perf: { now: () => clock().getTime() } }) : undefined;
  }

  get(key: string): Verdict | undefined {
    const v = this.lru?.get(key);
    if (v === undefined) this.misses++;
    else this.hits++;
    return v;
  }

  /**
   * Stores a decided verdict (the caller never passes "could not decide" results). A pass is kept no longer than its
   * signatures' validity: the earliest signature expiry, signing-certificate notAfter or revocation information
   * nextUpdate (OCSP answer, CRL) of its passing reports, so a cached pass is never served after what it rests on has
   * expired.
   */
  set(key: string, verdict: Verdict): void {
    if (this.lru === undefined) return;
    const ttl = Math.min(this.ttlMs, validUntil(verdict) - this.clock().getTime());
    if (ttl > 0) this.lru.set(key, verdict, { ttl });
  }

  clear(): void {
    this.lru?.clear();
  }

  stats(): VerdictCacheStats {
    return { hits: this.hits, misses: this.misses, entries: this.lru?.size ?? 0 };
  }
}

/** The earliest expiry, certificateNotAfter or revocationValidUntil among a passing verdict's passing reports; +Infinity otherwise. */
function validUntil(verdict: Verdict): number {
  if (!verdict.isSuccess) return Number.POSITIVE_INFINITY;
  let until = Number.POSITIVE_INFINITY;
  for (const r of verdict.verifierReports) {
    if (!r.isSuccess) continue;
    for (const field of ['expiry', 'certificateNotAfter', 'revocationValidUntil'] as const) {
      const at = r.extensions[field];
      if (typeof at === 'string') until = Math.min(until, Date.parse(at));
    }
  }
  return until;
}

/** Pending work by key: a second caller with the same key shares the first caller's promise. */
export class InFlight<T> {
  private readonly pending = new Map<string, Promise<T>>();

  run(key: string, work: () => Promise<T>): Promise<T> {
    const existing = this.pending.get(key);
    if (existing !== undefined) return existing;
    const p = work().finally(() => this.pending.delete(key));
    this.pending.set(key, p);
    return p;
  }

  get size(): number {
    return this.pending.size;
  }
}
