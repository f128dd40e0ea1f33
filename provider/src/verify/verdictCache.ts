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
 *
 * With a SharedVerdictCache (Redis), a local miss is looked up there (`getShared`), a verdict decided here is written
 * there (`settle`, which also takes the short cross-replica lock), and invalidations are published to every replica,
 * whose own copies are dropped when the message arrives.
 */
import { LRUCache } from 'lru-cache';
import { formatReference, formatRepository, parseReference, parseRepositoryName } from '../oci/index.js';
import type { Verdict } from './verdict.js';
import type { Invalidation, SharedLookup, SharedVerdictCache } from './sharedCache.js';
import type { SharedVerdictKey } from './sharedVerdict.js';
import { VerdictPacker } from './verdictPacking.js';

export interface VerdictCacheOptions {
  /** Entries kept at most (default 10,000; 0 disables the cache). */
  readonly maxEntries?: number;
  /** How long a verdict is reused (default 60,000 ms; 0 disables the cache). */
  readonly ttlMs?: number;
  /**
   * Bytes kept at most, counted as `entryBytes` (default 64 MiB): the least recently used verdicts go first, and a
   * verdict larger than an eighth of the bound is not kept at all.
   */
  readonly maxBytes?: number;
}

/** Default byte bound of the verdict cache. */
export const DEFAULT_VERDICT_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * What one entry counts against `maxBytes`: its packed verdict (verdictPacking.ts, one byte per character), its key
 * in UTF-16 code units (the most V8 holds it in), and a fixed 256 for the index and LRU slots around them. The bench
 * (`bench/sharedCache.ts`) compares it with the memory an entry really takes.
 */
export function entryBytes(packed: string, key: string): number {
  return packed.length + 2 * key.length + 256;
}

/** Verdicts kept unpacked as well, the most recently used: a warm key's hit unpacks nothing. */
const UNPACKED = 1024;

export interface VerdictCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly entries: number;
  /** Bytes held, as entryBytes counts them. */
  readonly bytes: number;
}

/**
 * `scope` is the namespace whose Namespaced* configuration applies, or '' for the cluster-wide one; `configDigest` is
 * that scope's content hash (ScopeConfig.digest), the same on every replica that loaded the same configuration.
 * `tag` is the tag a tag-binding Verifier decided for (tagBinding.ts `keyTag`), so that a verdict for one tag never
 * answers another tag of the same digest; absent when no verifier of the scope binds tags.
 */
export function verdictKey(scope: string, subjectReference: string, configDigest: string, tag?: string): string {
  return `${configDigest}\u0000${scope}\u0000${tag ?? ''}\u0000${subjectReference}`;
}

/** The subject `host/repo@digest` a verdictKey was made for. */
function subjectOf(key: string): string {
  return key.slice(key.lastIndexOf('\u0000') + 1);
}

/** True when `maxAgeMs` is absent or `verdict` was decided at most that long before `now`. */
export function withinAge(verdict: Verdict, maxAgeMs: number | undefined, now: Date): boolean {
  return maxAgeMs === undefined || now.getTime() - Date.parse(verdict.timestamp) <= maxAgeMs;
}

/** The parts of a verdictKey, as the shared cache names them. */
function sharedKeyOf(key: string): SharedVerdictKey {
  const [configDigest = '', scope = '', tag = ''] = key.split('\u0000', 3);
  return { configDigest, scope, subject: subjectOf(key), ...(tag === '' ? {} : { tag }) };
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
  /** Packed verdicts (verdictPacking.ts): what the entry, byte and TTL bounds apply to. */
  private readonly lru: LRUCache<string, string> | undefined;
  private readonly unpacked = new LRUCache<string, Verdict>({ max: UNPACKED });
  private readonly packer = new VerdictPacker();
  private readonly ttlMs: number;
  private hits = 0;
  private misses = 0;
  /**
   * subject `host/repo@digest` -> the cache keys holding a verdict for it (kept in step by the LRU's dispose): the key
   * itself while there is one (nearly always: one scope, one configuration), a Set from the second on. A Set per
   * subject took ~115 bytes of a cached verdict's ~570.
   */
  private readonly keysBySubject = new Map<string, string | Set<string>>();
  /** Invalidations so far; a subject or repository name -> the count when it was last invalidated. */
  private invalidations = 0;
  private readonly invalidatedAt: LRUCache<string, number>;
  /** The newest count forgotten from invalidatedAt: work marked before it may be stale and is not stored. */
  private forgottenBefore = 0;

  constructor(
    options: VerdictCacheOptions,
    private readonly clock: () => Date,
    private readonly shared?: SharedVerdictCache,
  ) {
    const max = options.maxEntries ?? 10_000;
    const ttl = options.ttlMs ?? 60_000;
    const maxSize = options.maxBytes ?? DEFAULT_VERDICT_CACHE_BYTES;
    for (const [name, v] of [['maxEntries', max], ['ttlMs', ttl], ['maxBytes', maxSize]] as const) {
      if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`verdict cache ${name} must be a non-negative integer, got ${String(v)}`);
    }
    this.ttlMs = ttl;
    const dispose = (_v: string, key: string, reason: LRUCache.DisposeReason): void => {
      if (reason === 'set') return;
      this.unpacked.delete(key);
      this.unindex(key);
    };
    this.lru =
      max > 0 && ttl > 0 && maxSize > 0
        ? new LRUCache<string, string>({
            max,
            ttl,
            ttlResolution: 0,
            perf: { now: () => clock().getTime() },
            dispose,
            maxSize,
            maxEntrySize: Math.max(1, Math.floor(maxSize / 8)),
            sizeCalculation: entryBytes,
          })
        : undefined;
    this.invalidatedAt = new LRUCache<string, number>({
      max: RECENT_INVALIDATIONS,
      dispose: (count, _name, reason) => {
        if (reason === 'evict') this.forgottenBefore = Math.max(this.forgottenBefore, count);
      },
    });
    void shared?.onInvalidation((change) => this.applyPeerInvalidation(change));
  }

  get(key: string): Verdict | undefined {
    const packed = this.lru?.get(key);
    if (packed === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    let v = this.unpacked.get(key);
    if (v === undefined) {
      v = this.packer.unpack(packed);
      this.unpacked.set(key, v);
    }
    return v;
  }

  /**
   * Stores a decided verdict (the caller never passes "could not decide" results). A pass is kept no longer than its
   * signatures' validity: the earliest signature expiry, signing-certificate notAfter or revocation information
   * nextUpdate (OCSP answer, CRL) of its passing reports, so a cached pass is never served after what it rests on has
   * expired.
   */
  set(key: string, verdict: Verdict, mark?: number, notAfter = Number.POSITIVE_INFINITY): void {
    if (this.lru === undefined) return;
    if (mark !== undefined && this.invalidatedSince(subjectOf(key), mark)) return;
    const ttl = Math.min(this.ttlFor(verdict), notAfter - this.clock().getTime());
    if (!(ttl > 0)) return; // NaN (an unreadable time) stores nothing too
    this.lru.set(key, this.packer.pack(verdict), { ttl });
    if (!this.lru.has(key)) return; // larger than maxBytes / 8: not kept
    this.unpacked.set(key, verdict);
    const subject = subjectOf(key);
    const keys = this.keysBySubject.get(subject);
    if (keys === undefined || keys === key) this.keysBySubject.set(subject, key);
    else if (typeof keys === 'string') this.keysBySubject.set(subject, new Set([keys, key]));
    else keys.add(key);
  }

  /** How long `verdict` may be reused from now, ms: the TTL, capped by what a pass rests on (0 or less: not at all). */
  ttlFor(verdict: Verdict): number {
    return Math.min(this.ttlMs, validUntil(verdict) - this.clock().getTime());
  }

  /**
   * On a local miss: the shared cache's verdict for `key`, kept locally no longer than the shared copy; else the
   * lookup, for `settle` to go on from (nothing without a shared cache).
   */
  async getShared(key: string, maxAgeMs?: number): Promise<{ readonly verdict?: Verdict; readonly lookup?: SharedLookup }> {
    if (this.shared === undefined || this.lru === undefined) return {};
    const mark = this.mark();
    const lookup = await this.shared.lookup(sharedKeyOf(key));
    if (lookup.kind !== 'hit' || !withinAge(lookup.verdict, maxAgeMs, this.clock())) return { lookup };
    this.set(key, lookup.verdict, mark, lookup.expiresAt);
    return { verdict: lookup.verdict };
  }

  /**
   * Decides `key` once for the cluster where cheap: with a shared cache, looks there first, then takes the short
   * verification lock; when another replica holds it, waits for that replica's verdict (bounded by the lock's life
   * and `signal`), else runs `verify` itself. A decided verdict is stored locally (unless invalidated since `mark`)
   * and in the shared cache under the epochs read before the work. Errors of `verify` are thrown and never stored.
   * `prior` is a lookup of `key` made just before (getShared), which is then not repeated.
   */
  async settle(
    key: string,
    mark: number,
    signal: AbortSignal,
    maxAgeMs: number | undefined,
    prior: SharedLookup | undefined,
    verify: () => Promise<Verdict>,
  ): Promise<Verdict> {
    const shared = this.lru === undefined ? undefined : this.shared;
    if (shared === undefined) {
      const verdict = await verify();
      this.set(key, verdict, mark);
      return verdict;
    }
    const sk = sharedKeyOf(key);
    const found = prior ?? (await shared.lookup(sk));
    if (found.kind === 'hit' && withinAge(found.verdict, maxAgeMs, this.clock())) {
      this.set(key, found.verdict, mark, found.expiresAt);
      return found.verdict;
    }
    const lock = found.kind === 'miss' ? await shared.lock(sk) : undefined;
    if (lock === 'busy') {
      const theirs = await shared.awaitVerdict(sk, signal);
      if (theirs !== undefined && withinAge(theirs.verdict, maxAgeMs, this.clock())) {
        this.set(key, theirs.verdict, mark, theirs.expiresAt);
        return theirs.verdict;
      }
    }
    try {
      const verdict = await verify();
      this.set(key, verdict, mark);
      if (found.kind === 'miss' && !this.invalidatedSince(subjectOf(key), mark)) void shared.store(sk, found.epochs, verdict, this.ttlFor(verdict));
      return verdict;
    } finally {
      if (lock !== undefined && lock !== 'busy') void shared.unlock(sk, lock);
    }
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
    const dropped = this.dropSubject(canonical);
    void this.shared?.invalidate({ kind: 'subject', name: canonical });
    return dropped;
  }

  /**
   * Drops every verdict for any subject in `repository` (`host/repo`, as parseRepositoryName reads it); returns how
   * many were dropped. Throws OciError REFERENCE_INVALID for an invalid name.
   */
  invalidateRepository(repository: string): number {
    const canonical = formatRepository(parseRepositoryName(repository));
    const dropped = this.dropRepository(canonical);
    void this.shared?.invalidate({ kind: 'repository', name: canonical });
    return dropped;
  }

  /** What another replica published (or this one, echoed): the local part of an invalidation, names checked again. */
  private applyPeerInvalidation(change: Invalidation): void {
    try {
      if (change.kind === 'repository') {
        this.dropRepository(formatRepository(parseRepositoryName(change.name)));
        return;
      }
      const ref = parseReference(change.name);
      if (ref.digest !== undefined) this.dropSubject(formatReference({ registry: ref.registry, repository: ref.repository, digest: ref.digest }));
    } catch {
      // a name that does not parse names nothing cached here (every key holds a canonical name)
    }
  }

  private dropSubject(canonical: string): number {
    this.remember(canonical);
    return this.drop(this.keysBySubject.get(canonical));
  }

  private dropRepository(canonical: string): number {
    this.remember(canonical);
    let dropped = 0;
    for (const [subject, keys] of [...this.keysBySubject]) {
      if (repositoryOf(subject) === canonical) dropped += this.drop(keys);
    }
    return dropped;
  }

  clear(): void {
    this.lru?.clear();
    this.unpacked.clear();
  }

  stats(): VerdictCacheStats {
    return { hits: this.hits, misses: this.misses, entries: this.lru?.size ?? 0, bytes: this.lru?.calculatedSize ?? 0 };
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

  private drop(keys: string | ReadonlySet<string> | undefined): number {
    if (keys === undefined) return 0;
    let dropped = 0;
    for (const key of typeof keys === 'string' ? [keys] : [...keys]) if (this.lru?.delete(key) === true) dropped++;
    return dropped;
  }

  private unindex(key: string): void {
    const subject = subjectOf(key);
    const keys = this.keysBySubject.get(subject);
    if (keys === key) this.keysBySubject.delete(subject);
    if (typeof keys !== 'object') return;
    keys.delete(key);
    if (keys.size === 1) this.keysBySubject.set(subject, keys.values().next().value as string);
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
