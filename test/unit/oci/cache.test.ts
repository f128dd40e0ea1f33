import assert from 'node:assert/strict';
import { RegistryCaches } from '../../../provider/src/oci/cache.js';

describe('oci caches', () => {
  it('expires tags and referrers on the injected clock and counts hits and misses', () => {
    let now = new Date('2025-11-01T00:00:00Z');
    const caches = new RegistryCaches({ ttlMs: 10_000 }, () => now);
    const d = { mediaType: 'm/t', digest: `sha256:${'0'.repeat(64)}`, size: 1 };
    caches.tags.set('r/a:v1', d);
    assert.equal(caches.tags.get('r/a:v1'), d);
    now = new Date(now.getTime() + 9_999);
    assert.equal(caches.tags.get('r/a:v1'), d);
    now = new Date(now.getTime() + 2);
    assert.equal(caches.tags.get('r/a:v1'), undefined);
    assert.deepEqual({ hits: caches.stats().tags.hits, misses: caches.stats().tags.misses }, { hits: 2, misses: 1 });
  });

  it('bounds content by bytes, evicting the least recently used', () => {
    // each entry counts 679 bytes + its 1-character key + ENTRY_OVERHEAD_BYTES (320) = 1000: four fit in 4000
    const caches = new RegistryCaches({ contentBytes: 4000 }, () => new Date(0));
    caches.content.set('a', new Uint8Array(679));
    caches.content.set('b', new Uint8Array(679));
    caches.content.get('a');
    caches.content.set('c', new Uint8Array(679));
    caches.content.set('d', new Uint8Array(679));
    caches.content.set('e', new Uint8Array(679));
    assert.ok(caches.stats().content.bytes <= 4000);
    assert.notEqual(caches.content.get('a'), undefined, 'recently used entry kept');
    assert.equal(caches.content.get('b'), undefined, 'least recently used entry evicted');
    caches.content.set('huge', new Uint8Array(700));
    assert.equal(caches.content.get('huge'), undefined, 'entries over a quarter of the budget are not cached');
  });

  it('can be disabled', () => {
    const caches = new RegistryCaches({ ttlMs: 0, contentBytes: 0 }, () => new Date(0));
    caches.tags.set('k', { mediaType: 'm/t', digest: 'd', size: 1 });
    caches.content.set('k', new Uint8Array(1));
    assert.equal(caches.tags.get('k'), undefined);
    assert.equal(caches.content.get('k'), undefined);
  });
});
