/**
 * The registry client's caches (lru-cache), each counting hits and misses:
 * - tags: `registry/repo:tag` -> manifest descriptor, TTL (default 10 s, like oras' cache), bounded in entries (an
 *   entry's size is bounded by construction: a canonical name, a tag, a descriptor without annotations);
 * - referrers: `registry/repo@digest|artifactType` -> referrer descriptors, same TTL, bounded in entries and in bytes
 *   (a registry chooses how many descriptors a list has and what annotations they carry);
 * - content: `registry/repo@digest` -> verified bytes, immutable, bounded in total bytes.
 * Byte bounds count each entry's key and bookkeeping too (ENTRY_OVERHEAD_BYTES), so they hold for many tiny entries.
 * Expired entries stay until the bound evicts them (lru-cache drops them lazily): a full cache is the steady state,
 * reported by `stats()` (and signgate_cache_entries / signgate_cache_bytes). TTLs run on the injected clock. `invalidate` drops what a registry event made stale (a moved tag, a subject's new or
 * deleted referrer, anything of a repository); content is addressed by digest and never stale.
 */
import { LRUCache } from 'lru-cache';
import type { Descriptor } from './descriptor.js';

export interface CacheOptions {
  /** TTL of tag resolutions and referrer lists (default 10,000 ms; 0 disables both caches). */
  readonly ttlMs?: number;
  readonly tagEntries?: number;
  readonly referrerEntries?: number;
  /** Total bytes of cached manifests and blobs (default 64 MiB; 0 disables). */
  readonly contentBytes?: number;
  /** Total bytes of cached referrer lists (default 16 MiB; with 0 the entries bound alone applies). */
  readonly referrerBytes?: number;
}

/**
 * What an entry costs beyond its key and value: lru-cache's slots, the typed array and its buffer (measured with Node
 * 20: about 300 bytes of heap per cached Uint8Array, key excluded).
 */
export const ENTRY_OVERHEAD_BYTES = 320;

/** What a referrer list counts against `referrerBytes`: its JSON, twice for the objects around it, key and overhead. */
export function referrerListBytes(list: readonly Descriptor[], key: string): number {
  return 2 * JSON.stringify(list).length + key.length + ENTRY_OVERHEAD_BYTES;
}

/**
 * Registries a client remembers something about (referrers API support, authentication scheme). Image references
 * come from the cluster's pods, so the registries named are not bounded: the least recently used are forgotten, and
 * re-learnt at the cost of one request when named again.
 */
export const MAX_REMEMBERED_REGISTRIES = 1000;

/** A per-registry memory of at most MAX_REMEMBERED_REGISTRIES entries. */
export function registryMemory<V extends object | boolean>(): LRUCache<string, V> {
  return new LRUCache<string, V>({ max: MAX_REMEMBERED_REGISTRIES });
}

/** What a registry event made stale; `name` is the canonical `host/repo` (oci/reference's formatRepository). */
export type CacheInvalidation =
  | { readonly kind: 'tag'; readonly name: string; readonly tag: string }
  | { readonly kind: 'subject'; readonly name: string; readonly digest: string }
  | { readonly kind: 'repository'; readonly name: string }
  /** A manifest deleted by digest: its cached content (content changes only by a delete), and the repository's tags and referrer lists. */
  | { readonly kind: 'delete'; readonly name: string; readonly digest: string };

/** The tags cache's key of a tag or digest resolution (`reference` is a tag or `alg:hex`). */
export function tagKey(name: string, reference: string): string {
  return `${name}${reference.includes(':') ? '@' : ':'}${reference}`;
}

/** The referrers cache's key of one subject's referrer list, filtered by artifactType or not. */
export function referrersKey(name: string, subjectDigest: string, artifactType: string | undefined): string {
  return `${name}@${subjectDigest}|${artifactType ?? ''}`;
}

export interface CacheCounters {
  readonly hits: number;
  readonly misses: number;
  readonly entries: number;
}

export interface CacheStats {
  readonly tags: CacheCounters;
  readonly referrers: CacheCounters & { readonly bytes?: number };
  readonly content: CacheCounters & { readonly bytes: number };
}

/** lru-cache options that bound an entry set in bytes (an entry over a quarter of the bound is not kept). */
function byteBound<V extends object>(bytes: number, size: (value: V, key: string) => number): { maxSize: number; maxEntrySize: number; sizeCalculation: LRUCache.SizeCalculator<string, V> } {
  return { maxSize: bytes, maxEntrySize: Math.max(1, Math.floor(bytes / 4)), sizeCalculation: (v, k) => Math.max(1, size(v, k)) };
}

class Counted<V extends object> {
  hits = 0;
  misses = 0;
  constructor(readonly lru: LRUCache<string, V> | undefined) {}

  get(key: string): V | undefined {
    const v = this.lru?.get(key);
    if (v === undefined) this.misses++;
    else this.hits++;
    return v;
  }

  set(key: string, value: V): void {
    this.lru?.set(key, value);
  }

  delete(key: string): boolean {
    return this.lru?.delete(key) ?? false;
  }

  /** Deletes every key starting with one of `prefixes`; returns how many. */
  deleteByPrefix(...prefixes: readonly string[]): number {
    let dropped = 0;
    for (const key of [...(this.lru?.keys() ?? [])]) if (prefixes.some((p) => key.startsWith(p)) && this.delete(key)) dropped++;
    return dropped;
  }

  counters(): CacheCounters {
    return { hits: this.hits, misses: this.misses, entries: this.lru?.size ?? 0 };
  }
}

export class RegistryCaches {
  readonly tags: Counted<Descriptor>;
  readonly referrers: Counted<readonly Descriptor[]>;
  readonly content: Counted<Uint8Array>;

  constructor(options: CacheOptions, clock: () => Date) {
    const ttl = options.ttlMs ?? 10_000;
    const perf = { now: () => clock().getTime() };
    const timed = <V extends object>(max: number, bounds: Partial<LRUCache.Options<string, V, unknown>> = {}): LRUCache<string, V> | undefined =>
      ttl > 0 && max > 0 ? new LRUCache<string, V>({ max, ttl, ttlResolution: 0, perf, ...bounds }) : undefined;
    this.tags = new Counted(timed<Descriptor>(options.tagEntries ?? 10_000));
    const referrerBytes = options.referrerBytes ?? 16 * 1024 * 1024;
    this.referrers = new Counted(timed<readonly Descriptor[]>(options.referrerEntries ?? 10_000, referrerBytes > 0 ? byteBound(referrerBytes, referrerListBytes) : {}));
    const bytes = options.contentBytes ?? 64 * 1024 * 1024;
    this.content = new Counted(bytes > 0 ? new LRUCache<string, Uint8Array>({ ...byteBound<Uint8Array>(bytes, (v, k) => v.byteLength + k.length + ENTRY_OVERHEAD_BYTES), perf }) : undefined);
  }

  stats(): CacheStats {
    return {
      tags: this.tags.counters(),
      referrers: { ...this.referrers.counters(), bytes: this.referrers.lru?.calculatedSize ?? 0 },
      content: { ...this.content.counters(), bytes: this.content.lru?.calculatedSize ?? 0 },
    };
  }

  /** Drops the tag resolutions and referrer lists `change` made stale; returns how many entries. */
  invalidate(change: CacheInvalidation): number {
    switch (change.kind) {
      case 'tag':
        return this.tags.delete(tagKey(change.name, change.tag)) ? 1 : 0;
      case 'subject':
        return this.referrers.deleteByPrefix(referrersKey(change.name, change.digest, undefined));
      case 'repository':
        return this.tags.deleteByPrefix(`${change.name}:`, `${change.name}@`) + this.referrers.deleteByPrefix(`${change.name}@`);
      case 'delete':
        return this.invalidate({ kind: 'repository', name: change.name }) + (this.content.delete(`${change.name}@${change.digest}`) ? 1 : 0);
    }
  }

  clear(): void {
    this.tags.lru?.clear();
    this.referrers.lru?.clear();
    this.content.lru?.clear();
  }
}
