/**
 * The registry client's caches are bounded in entries and in bytes, and the byte bounds count what an entry really
 * costs (its key and bookkeeping, ENTRY_OVERHEAD_BYTES), so that neither many tiny entries nor a few huge ones (a
 * registry decides how long a referrer list is and what its annotations hold) go past them.
 */
import assert from 'node:assert/strict';
import { ENTRY_OVERHEAD_BYTES, RegistryCaches, referrerListBytes } from '../../../provider/src/oci/cache.js';
import type { Descriptor } from '../../../provider/src/oci/index.js';

const digest = (i: number): string => `sha256:${i.toString(16).padStart(64, '0')}`;

describe('oci caches: bounded in entries and bytes', () => {
  it('many tiny contents are held to the byte bound (each counts its key and overhead, not 1 byte)', () => {
    const caches = new RegistryCaches({ contentBytes: 64 * 1024 }, () => new Date(0));
    for (let i = 0; i < 10_000; i++) caches.content.set(`127.0.0.1:5000/app@${digest(i)}`, new Uint8Array(1));
    const { entries, bytes } = caches.stats().content;
    assert.ok(bytes <= 64 * 1024, `${bytes} bytes counted`);
    assert.ok(entries <= (64 * 1024) / ENTRY_OVERHEAD_BYTES, `${entries} entries kept`);
    assert.ok(entries > 0);
  });

  it('referrer lists are held to their byte bound however large a registry makes them', () => {
    const caches = new RegistryCaches({ referrerBytes: 1024 * 1024 }, () => new Date(0));
    const big: Descriptor[] = Array.from({ length: 100 }, (_, i) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest(i), size: 1000, annotations: { note: 'x'.repeat(1000) } }));
    for (let i = 0; i < 200; i++) caches.referrers.set(`127.0.0.1:5000/app@${digest(i)}|`, big);
    const { entries, bytes } = caches.stats().referrers;
    assert.ok(bytes !== undefined && bytes <= 1024 * 1024, `${bytes} bytes counted`);
    assert.ok(entries <= 1024 * 1024 / referrerListBytes(big, ''), `${entries} lists kept`);
  });

  it('a referrer list over a quarter of the bound is not kept; small lists are, up to the entry bound', () => {
    const caches = new RegistryCaches({ referrerBytes: 64 * 1024, referrerEntries: 3 }, () => new Date(0));
    const huge: Descriptor[] = [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest(0), size: 1, annotations: { note: 'x'.repeat(10_000) } }];
    caches.referrers.set('r/a@huge|', huge);
    assert.equal(caches.referrers.get('r/a@huge|'), undefined);
    const small: Descriptor[] = [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest(1), size: 1 }];
    for (const k of ['a', 'b', 'c', 'd']) caches.referrers.set(`r/a@${k}|`, small);
    assert.equal(caches.stats().referrers.entries, 3);
    assert.equal(caches.stats().referrers.bytes, 3 * referrerListBytes(small, 'r/a@a|'));
  });
});
