/**
 * One oci Registry per distinct Store configuration, so that tag, referrer and content caches and keep-alive
 * connections survive configuration reloads that leave the Store unchanged. A changed Store gets a fresh Registry;
 * the least recently used ones beyond `max` are closed.
 */
import type { Registry } from '../oci/index.js';
import type { StoreConfig } from '../config/types.js';

export interface RegistryPool {
  registryFor(store: StoreConfig): Registry;
  close(): void;
}

function storeKey(store: StoreConfig): string {
  return JSON.stringify([store.cacheEnabled, store.ttlSeconds, [...store.plainHttpHosts].sort(), store.caBundle ?? '', store.dockerConfigPath ?? '', store.maxBlobBytes]);
}

export function createRegistryPool(factory: (store: StoreConfig) => Registry, max = 8): RegistryPool {
  const pool = new Map<string, Registry>();
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
        const [oldestKey, oldest] = pool.entries().next().value as [string, Registry];
        pool.delete(oldestKey);
        oldest.close();
      }
      return registry;
    },
    close() {
      for (const r of pool.values()) r.close();
      pool.clear();
    },
  };
}
