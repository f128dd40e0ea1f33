/**
 * One oci Registry per distinct Store configuration, so that tag, referrer and content caches and keep-alive
 * connections survive configuration reloads that leave the Store unchanged. A changed Store gets a fresh Registry;
 * the least recently used ones beyond `max` are closed, and their cache counts are folded into running totals then,
 * so the pool's cache statistics cover every client it made while it holds at most `max` of them. A registry event's
 * invalidation reaches every open client (each Store has its own caches of the same registries).
 */
import type { CacheInvalidation, Registry } from '../oci/index.js';
import type { StoreConfig } from '../config/types.js';

/** What the pool needs of a registry client (a Registry; tests pass stand-ins). */
export type PooledRegistry = Pick<Registry, 'stats' | 'close' | 'invalidateCaches'>;

export type RegistryCacheName = 'tags' | 'referrers' | 'content';
export type RegistryCacheCounts = Readonly<Record<RegistryCacheName, { readonly hits: number; readonly misses: number }>>;
/** What the open clients' caches hold now: entries, and bytes where a cache is bounded by them (referrers, content). */
export type RegistryCacheSizes = Readonly<Record<RegistryCacheName, { readonly entries: number; readonly bytes?: number }>>;

export interface RegistryPool<R extends PooledRegistry = Registry> {
  registryFor(store: StoreConfig): R;
  /** Cache hits and misses of every client the pool made: the open ones plus the totals of those it closed. */
  cacheStats(): RegistryCacheCounts;
  /** Entries (and referrer and content bytes) the open clients hold now, summed: at most `max` times each client's bounds. */
  cacheSizes(): RegistryCacheSizes;
  /** Drops what a registry event made stale from every open client's tag and referrers caches; returns the entries dropped. */
  invalidate(change: CacheInvalidation): number;
  /** Clients currently open (at most `max`). */
  size(): number;
  close(): void;
}

const CACHES: readonly RegistryCacheName[] = ['tags', 'referrers', 'content'];

/** Store configurations are immutable values (a reload makes new ones): each one's key is computed once. */
const storeKeys = new WeakMap<StoreConfig, string>();

function storeKey(store: StoreConfig): string {
  let key = storeKeys.get(store);
  if (key === undefined) {
    const realms = [...(store.allowedTokenRealms ?? [])].sort();
    key = JSON.stringify([store.cacheEnabled, store.ttlSeconds, [...store.plainHttpHosts].sort(), realms, store.caBundle ?? '', store.dockerConfigPath ?? '', store.maxBlobBytes]);
    storeKeys.set(store, key);
  }
  return key;
}

export function createRegistryPool<R extends PooledRegistry = Registry>(factory: (store: StoreConfig) => R, max = 8): RegistryPool<R> {
  if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`registry pool size must be a positive integer, got ${String(max)}`);
  const pool = new Map<string, R>();
  const retired = { tags: { hits: 0, misses: 0 }, referrers: { hits: 0, misses: 0 }, content: { hits: 0, misses: 0 } };
  const retire = (registry: R): void => {
    const caches = registry.stats().caches;
    for (const name of CACHES) {
      retired[name].hits += caches[name].hits;
      retired[name].misses += caches[name].misses;
    }
    registry.close();
  };
  return {
    registryFor(store) {
      const key = storeKey(store);
      let registry = pool.get(key);
      if (registry !== undefined) {
        pool.delete(key);
      } else {
        registry = factory(store);
      }
      pool.set(key, registry);
      while (pool.size > max) {
        const [oldestKey, oldest] = pool.entries().next().value as [string, R];
        pool.delete(oldestKey);
        retire(oldest);
      }
      return registry;
    },
    cacheStats() {
      const out = { tags: { ...retired.tags }, referrers: { ...retired.referrers }, content: { ...retired.content } };
      for (const registry of pool.values()) {
        const caches = registry.stats().caches;
        for (const name of CACHES) {
          out[name].hits += caches[name].hits;
          out[name].misses += caches[name].misses;
        }
      }
      return out;
    },
    cacheSizes() {
      const out = { tags: { entries: 0 }, referrers: { entries: 0, bytes: 0 }, content: { entries: 0, bytes: 0 } };
      for (const registry of pool.values()) {
        const caches = registry.stats().caches;
        for (const name of CACHES) out[name].entries += caches[name].entries;
        out.content.bytes += caches.content.bytes;
        out.referrers.bytes += caches.referrers.bytes ?? 0;
      }
      return out;
    },
    invalidate(change) {
      let dropped = 0;
      for (const registry of pool.values()) dropped += registry.invalidateCaches(change);
      return dropped;
    },
    size: () => pool.size,
    close() {
      for (const r of pool.values()) retire(r);
      pool.clear();
    },
  };
}
