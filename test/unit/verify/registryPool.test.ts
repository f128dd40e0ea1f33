import assert from 'node:assert/strict';
import type { StoreConfig } from '../../../provider/src/config/types.js';
import type { CacheInvalidation, RegistryStats } from '../../../provider/src/oci/index.js';
import { createRegistryPool, type PooledRegistry } from '../../../provider/src/verify/index.js';

/** A registry client stand-in whose cache counters the test sets, and which records reads after close. */
class FakeRegistry implements PooledRegistry {
  closed = false;
  readsAfterClose = 0;
  constructor(readonly n: number) {}
  stats(): RegistryStats {
    if (this.closed) this.readsAfterClose++;
    const c = (k: number) => ({ hits: this.n * k, misses: this.n, entries: 0 });
    return { requests: 0, caches: { tags: c(1), referrers: c(2), content: { ...c(3), bytes: 0 } } };
  }
  close(): void {
    this.closed = true;
  }
  readonly invalidated: CacheInvalidation[] = [];
  invalidateCaches(change: CacheInvalidation): number {
    this.invalidated.push(change);
    return 1;
  }
}

const store = (name: string, ttlSeconds = 10): StoreConfig => ({ name, cacheEnabled: true, ttlSeconds, plainHttpHosts: [], maxBlobBytes: 1 << 20 });

describe('verify/registryPool: one registry client per Store, bounded, with lasting cache counts', function () {
  it('reuses the client of an unchanged Store across reloads', function () {
    const made: FakeRegistry[] = [];
    const pool = createRegistryPool((s) => {
      const r = new FakeRegistry(s.ttlSeconds);
      made.push(r);
      return r;
    });
    assert.equal(pool.registryFor(store('a')), pool.registryFor(store('renamed, same settings')));
    assert.notEqual(pool.registryFor(store('a')), pool.registryFor(store('a', 20)));
    assert.equal(made.length, 2);
  });

  it('keeps at most max clients however often the Store changes, and counts the retired ones in running totals', function () {
    const made: FakeRegistry[] = [];
    const pool = createRegistryPool((s) => {
      const r = new FakeRegistry(s.ttlSeconds);
      made.push(r);
      return r;
    }, 3);
    for (let ttl = 1; ttl <= 50; ttl++) pool.registryFor(store('oras', ttl));
    assert.equal(pool.size(), 3);
    assert.equal(made.filter((r) => !r.closed).length, 3, 'evicted clients are closed');
    // every client ever made is counted: sum of n for n = 1..50 is 1275
    assert.deepEqual(pool.cacheStats(), { tags: { hits: 1275, misses: 1275 }, referrers: { hits: 2550, misses: 1275 }, content: { hits: 3825, misses: 1275 } });
    pool.cacheStats();
    assert.equal(made.reduce((n, r) => n + r.readsAfterClose, 0), 0, 'retired clients are not kept and read again at each scrape');
    pool.close();
    assert.ok(made.every((r) => r.closed));
    assert.equal(pool.size(), 0);
    assert.deepEqual(pool.cacheStats().tags, { hits: 1275, misses: 1275 }, 'totals survive close');
  });

  it('refuses a pool size below one', function () {
    assert.throws(() => createRegistryPool(() => new FakeRegistry(1), 0), RangeError);
  });

  it('hands a registry event\'s invalidation to every open client, and to none it closed', function () {
    const made: FakeRegistry[] = [];
    const pool = createRegistryPool((s) => {
      const r = new FakeRegistry(s.ttlSeconds);
      made.push(r);
      return r;
    }, 2);
    for (const ttl of [1, 2, 3]) pool.registryFor(store('s', ttl));
    const change = { kind: 'repository', name: 'registry.example.com/team/app' } as const;
    assert.equal(pool.invalidate(change), 2);
    assert.deepEqual(made.map((r) => r.invalidated.length), [0, 1, 1]);
  });
});
