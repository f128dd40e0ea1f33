/**
 * The verdict cache (DESIGN.md "Verdict cache semantics"): decided verdicts only, keyed by the configuration scope
 * (namespace or cluster), the subject `host/repo@digest` and the configuration generation, so that a configuration
 * change makes every older verdict unreachable at once. TTL and size bounded (lru-cache on the injected clock).
 * `InFlight` runs identical work once while it is pending.
 *
 * Registry events invalidate (invalidateSubject, invalidateRepository): every verdict for the subject, in any scope
 * and generation, is dropped at once (an index subject -> keys makes that proportional to the subject's entries).
 * Work that began before an invalidation of its subject or repository must not store its now-stale verdict: callers
 * take `mark()` before the work and pass it to `set()`.
 */
import { LRUCache } from 'lru-cache';
import { formatReference, formatRepository, parseReference, parseRepositoryName } from '../oci/index.js';
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

/**
 * `scope` is the namespace whose Namespaced* configuration applies, or '' for the cluster-wide one; `configDigest` is
 * that scope's content hash (ScopeConfig.digest), the same on every replica that loaded the same configuration.
 */
export function verdictKey(scope: string, subjectReference: string, configDigest: string): string {
  return `${configDigest}\u0000${scope}\u0000${subjectReference}`;
}

/** The subject `host/repo@digest` a verdictKey was made for. */
function subjectOf(key: string): string {
  return key.slice(key.lastIndexOf('\u0000') + 1);
}

/** The canonical `host/repo` of a canonical subject `host/repo@digest`. */
function repositoryOf(subject: string): string {
  return subject.slice(0, subject.indexOf('@'));
}

/** Whether a verdictKey (or an in-flight key built the same way) names an image of the canonical `host/repo`. */
export function keyInRepository(key: string, repository: string): boolean {
  return key.includes(`\u0000${repository}@`) || key.includes(`\u0000${repository}:`);
}

/** Invalidated names remembered for `set(key, verdict, mark)` (work runs at most its work timeout; this covers bursts). */
const RECENT_INVALIDATIONS = 10_000;

export class VerdictCache {
  private readonly lru: LRUCache<string, Verdict> | undefined;
  private readonly ttlMs: number;
  private hits = 0;
  private misses = 0;
  /** subject `host/repo@digest` -> the cache keys holding a verdict for it (kept in step by the LRU's dispose). */
  private readonly keysBySubject = new Map<string, Set<string>>();
  /** Invalidations so far; a subject or repository name -> the count when it was last invalidated. */
  private invalidations = 0;
  private readonly invalidatedAt: LRUCache<string, number>;
  /** The newest count forgotten from invalidatedAt: work marked before it may be stale and is not stored. */
  private forgottenBefore = 0;

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
    const dispose = (_v: Verdict, key: string, reason: LRUCache.DisposeReason): void => {
      if (reason !== 'set') this.unindex(key);
    };
    this.lru = max > 0 && ttl > 0 ? new LRUCache<string, Verdict>({ max, ttl, ttlResolution: 0, perf: { now: () => clock().getTime() }, dispose }) : undefined;
    this.invalidatedAt = new LRUCache<string, number>({
      max: RECENT_INVALIDATIONS,
      dispose: (count, _name, reason) => {
        if (reason === 'evict') this.forgottenBefore = Math.max(this.forgottenBefore, count);
      },
    });
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
  set(key: string, verdict: Verdict, mark?: number): void {
    if (this.lru === undefined) return;
    if (mark !== undefined && this.invalidatedSince(subjectOf(key), mark)) return;
    const ttl = Math.min(this.ttlMs, validUntil(verdict) - this.clock().getTime());
    if (!(ttl > 0)) return; // NaN (an unreadable time) stores nothing too
    this.lru.set(key, verdict, { ttl });
    const subject = subjectOf(key);
    const keys = this.keysBySubject.get(subject);
    if (keys === undefined) this.keysBySubject.set(subject, new Set([key]));
    else keys.add(key);
  }

  /** Taken before verifying; `set(key, verdict, mark)` then skips a verdict whose subject was invalidated meanwhile. */
  mark(): number {
    return this.invalidations;
  }

  /**
   * Drops every verdict for `subject` (`host/repo@sha256:...`, any spelling parseReference accepts; a tag is
   * ignored) in every scope and generation; returns how many were dropped. Throws OciError REFERENCE_INVALID for an
   * unparsable name and RangeError for one without a digest.
   */
  invalidateSubject(subject: string): number {
    const ref = parseReference(subject);
    if (ref.digest === undefined) throw new RangeError(`verdict cache: "${subject}" names no digest; invalidate a subject as host/repo@sha256:<hex>`);
    const canonical = formatReference({ registry: ref.registry, repository: ref.repository, digest: ref.digest });
    this.remember(canonical);
    return this.drop(this.keysBySubject.get(canonical));
  }

  /**
   * Drops every verdict for any subject in `repository` (`host/repo`, as parseRepositoryName reads it); returns how
   * many were dropped. Throws OciError REFERENCE_INVALID for an invalid name.
   */
  invalidateRepository(repository: string): number {
    const canonical = formatRepository(parseRepositoryName(repository));
    this.remember(canonical);
    let dropped = 0;
    for (const [subject, keys] of [...this.keysBySubject]) {
      if (repositoryOf(subject) === canonical) dropped += this.drop(keys);
    }
    return dropped;
  }

  clear(): void {
    this.lru?.clear();
  }

  stats(): VerdictCacheStats {
    return { hits: this.hits, misses: this.misses, entries: this.lru?.size ?? 0 };
  }

  private remember(name: string): void {
    this.invalidations++;
    this.invalidatedAt.set(name, this.invalidations);
  }

  private invalidatedSince(subject: string, mark: number): boolean {
    if (mark === this.invalidations) return false;
    if (mark < this.forgottenBefore) return true;
    return (this.invalidatedAt.get(subject) ?? 0) > mark || (this.invalidatedAt.get(repositoryOf(subject)) ?? 0) > mark;
  }

  private drop(keys: ReadonlySet<string> | undefined): number {
    if (keys === undefined) return 0;
    let dropped = 0;
    for (const key of [...keys]) if (this.lru?.delete(key) === true) dropped++;
    return dropped;
  }

  private unindex(key: string): void {
    const subject = subjectOf(key);
    const keys = this.keysBySubject.get(subject);
    if (keys === undefined) return;
    keys.delete(key);
    if (keys.size === 0) this.keysBySubject.delete(subject);
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
    const p = work().finally(() => {
      if (this.pending.get(key) === p) this.pending.delete(key);
    });
    this.pending.set(key, p);
    return p;
  }

  /** Later callers of the keys `matches` accepts start new work (after an invalidation: the pending work may be stale). */
  forget(matches: (key: string) => boolean): void {
    for (const key of [...this.pending.keys()]) if (matches(key)) this.pending.delete(key);
  }

  get size(): number {
    return this.pending.size;
  }
}
