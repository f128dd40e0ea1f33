import assert from 'node:assert/strict';
import { RegistryCaches, referrersKey, tagKey } from '../../../provider/src/oci/cache.js';
import { parseReferrersTag } from '../../../provider/src/oci/index.js';
import type { Descriptor } from '../../../provider/src/oci/index.js';

const clock = (): Date => new Date('2025-11-01T00:00:00Z');
const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const APP = 'registry.example.com/team/app';
const APP2 = 'registry.example.com/team/app2';
const desc: Descriptor = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: D1, size: 10 };

function filled(): RegistryCaches {
  const caches = new RegistryCaches({ ttlMs: 600_000 }, clock);
  for (const name of [APP, APP2]) {
    caches.tags.set(tagKey(name, 'v1'), desc);
    caches.tags.set(tagKey(name, D1), desc);
    for (const subject of [D1, D2]) {
      caches.referrers.set(referrersKey(name, subject, undefined), [desc]);
      caches.referrers.set(referrersKey(name, subject, 'application/vnd.cncf.notary.signature'), [desc]);
    }
  }
  caches.content.set(`${APP}@${D1}`, new Uint8Array([1]));
  return caches;
}

describe('oci/cache: invalidation by registry events', () => {
  it('a tag push drops that tag resolution only', () => {
    const caches = filled();
    assert.equal(caches.invalidate({ kind: 'tag', name: APP, tag: 'v1' }), 1);
    assert.equal(caches.tags.get(tagKey(APP, 'v1')), undefined);
    assert.ok(caches.tags.get(tagKey(APP, D1)));
    assert.ok(caches.tags.get(tagKey(APP2, 'v1')));
  });

  it("a subject's new or deleted referrer drops its referrer lists of every artifactType, nothing else", () => {
    const caches = filled();
    assert.equal(caches.invalidate({ kind: 'subject', name: APP, digest: D1 }), 2);
    assert.equal(caches.referrers.get(referrersKey(APP, D1, undefined)), undefined);
    assert.ok(caches.referrers.get(referrersKey(APP, D2, undefined)));
    assert.ok(caches.referrers.get(referrersKey(APP2, D1, undefined)));
  });

  it('a repository invalidation drops its tags and referrer lists but not another repository sharing the prefix, nor content', () => {
    const caches = filled();
    assert.equal(caches.invalidate({ kind: 'repository', name: APP }), 6);
    assert.equal(caches.stats().tags.entries, 2);
    assert.equal(caches.stats().referrers.entries, 4);
    assert.ok(caches.content.get(`${APP}@${D1}`), 'content is addressed by digest and never stale');
  });

  it('parseReferrersTag reads the subject of a sha256 referrers tag, and no other tag', () => {
    assert.deepEqual(parseReferrersTag(`sha256-${'1'.repeat(64)}`), { subjectDigest: D1 });
    assert.deepEqual(parseReferrersTag(`sha512-${'a'.repeat(64)}`), {}, 'a sha512 subject is truncated in its tag');
    for (const tag of ['v1', `sha256-${'1'.repeat(63)}`, `sha256-${'A'.repeat(64)}`, `sha256:${'1'.repeat(64)}`]) assert.equal(parseReferrersTag(tag), undefined, tag);
  });
});
