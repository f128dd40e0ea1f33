/** The pool's cacheSizes(): what its open clients hold now, summed; a retired client no longer counts. */
import assert from 'node:assert/strict';
import type { StoreConfig } from '../../../provider/src/config/types.js';
import type { CacheInvalidation, RegistryStats } from '../../../provider/src/oci/index.js';
import { createRegistryPool, type PooledRegistry } from '../../../provider/src/verify/index.js';

class SizedRegistry implements PooledRegistry {
  constructor(readonly n: number) {}
  stats(): RegistryStats {
    const c = { hits: 0, misses: 0, entries: this.n };
    return { requests: 0, caches: { tags: c, referrers: { ...c, entries: 2 * this.n, bytes: 10 * this.n }, content: { ...c, bytes: 1000 * this.n } } };
  }
  close(): void {}
  invalidateCaches(_change: CacheInvalidation): number {
    return 0;
  }
}

const store = (ttlSeconds: number): StoreConfig => ({ name: 's', cacheEnabled: true, ttlSeconds, plainHttpHosts: [], maxBlobBytes: 1 << 20 });

describe('verify/registryPool: cache sizes of the open clients', () => {
  it('sums entries, referrer and content bytes over the clients still open', () => {
    const pool = createRegistryPool((s) => new SizedRegistry(s.ttlSeconds), 2);
    pool.registryFor(store(1));
    pool.registryFor(store(2));
    assert.deepEqual(pool.cacheSizes(), { tags: { entries: 3 }, referrers: { entries: 6, bytes: 30 }, content: { entries: 3, bytes: 3000 } });
    pool.registryFor(store(4)); // retires the client of ttl 1
    assert.deepEqual(pool.cacheSizes(), { tags: { entries: 6 }, referrers: { entries: 12, bytes: 60 }, content: { entries: 6, bytes: 6000 } });
    pool.close();
    assert.deepEqual(pool.cacheSizes(), { tags: { entries: 0 }, referrers: { entries: 0, bytes: 0 }, content: { entries: 0, bytes: 0 } });
  });
});
