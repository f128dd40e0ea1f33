import assert from 'node:assert/strict';
import type { StoreConfig } from '../../../provider/src/config/types.js';
import type { RegistryStats } from '../../../provider/src/oci/index.js';
import { createRegistryPool, type PooledRegistry } from '../../../provider/src/verify/index.js';

class StubRegistry implements PooledRegistry {
  constructor(readonly store: StoreConfig) {}
  stats(): RegistryStats {
    const c = { hits: 0, misses: 0, entries: 0 };
    return { requests: 0, caches: { tags: c, referrers: c, content: { ...c, bytes: 0 } } };
  }
  close(): void {}
  invalidateCaches(): number {
    return 0;
  }
}

const store = (allowedTokenRealms?: readonly string[]): StoreConfig => ({
  name: 'oras',
  cacheEnabled: true,
  ttlSeconds: 10,
  plainHttpHosts: [],
  maxBlobBytes: 1 << 20,
  ...(allowedTokenRealms === undefined ? {} : { allowedTokenRealms }),
});

describe('verify/registryPool: a Store\'s allowedTokenRealms is part of its registry client', function () {
  it('gives a Store whose allowedTokenRealms changed a new client (a reload that lists or drops a realm takes effect)', function () {
    const pool = createRegistryPool((s) => new StubRegistry(s));
    const none = pool.registryFor(store());
    const listed = pool.registryFor(store(['auth.example.net']));
    assert.notEqual(listed, none);
    assert.deepEqual(listed.store.allowedTokenRealms, ['auth.example.net']);
    assert.notEqual(pool.registryFor(store(['auth.example.net', '10.0.0.7:8443'])), listed);
    assert.equal(pool.registryFor(store()), none, 'dropping the list again finds the first client');
  });

  it('reuses the client when only the order of the list differs', function () {
    const pool = createRegistryPool((s) => new StubRegistry(s));
    assert.equal(pool.registryFor(store(['a.example.net', 'b.example.net'])), pool.registryFor(store(['b.example.net', 'a.example.net'])));
  });
});
