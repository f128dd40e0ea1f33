/**
 * Verdicts decided under a tag-binding Verifier (verifyTag) depend on the tag: their keys carry it, locally and in the
 * shared cache, while invalidation (a deleted signature, a moved tag) still reaches them through the subject.
 */
import assert from 'node:assert/strict';
import { makeVerdict, type Verdict } from '../../../provider/src/verify/index.js';
import { decodeSharedVerdict, encodeSharedVerdict, SharedCacheError } from '../../../provider/src/verify/sharedVerdict.js';
import { VerdictCache, verdictKey } from '../../../provider/src/verify/verdictCache.js';

const T0 = Date.parse('2025-11-01T00:00:00Z');
const MAC_KEY = Buffer.alloc(32, 3);
const clock = (): Date => new Date(T0);
const APP = 'registry.example.com:5000/team/app';
const D = `sha256:${'d'.repeat(64)}`;

function verdict(isSuccess: boolean): Verdict {
  const report = { subject: `${APP}@${D}`, isSuccess, name: 'n', verifierName: 'n', type: 'notation', verifierType: 'notation', referenceDigest: '', artifactType: 'a', message: 'm', errorReason: '', remediation: '', extensions: {} };
  return makeVerdict({ isSuccess, traceID: 't', now: new Date(T0), verifierReports: [report] });
}

describe('verify: verdict keys of tag-binding verifiers', () => {
  it('a verdict cached for one tag is not found under another tag or under the digest alone; subject invalidation drops them all', () => {
    const cache = new VerdictCache({ ttlMs: 600_000 }, clock);
    cache.set(verdictKey('', `${APP}@${D}`, 'config', 'v2'), verdict(true));
    assert.equal(cache.get(verdictKey('', `${APP}@${D}`, 'config', 'v2'))?.isSuccess, true);
    assert.equal(cache.get(verdictKey('', `${APP}@${D}`, 'config', 'v1')), undefined);
    assert.equal(cache.get(verdictKey('', `${APP}@${D}`, 'config')), undefined);
    cache.set(verdictKey('', `${APP}@${D}`, 'config', 'v1'), verdict(false));
    assert.equal(cache.invalidateSubject(`${APP}@${D}`), 2);
    assert.equal(cache.stats().entries, 0);
  });

  it('a shared value written for one tag is refused for another (SHARED_CACHE_VALUE_INVALID), and read back for its own', () => {
    const key = { scope: '', subject: `${APP}@${D}`, configDigest: 'config', tag: 'v2' };
    const text = encodeSharedVerdict(key, { subject: 0, repository: 0 }, T0 + 60_000, verdict(true), MAC_KEY);
    assert.equal(decodeSharedVerdict(text, key, { subject: 0, repository: 0 }, T0, MAC_KEY)?.verdict.isSuccess, true);
    for (const other of [{ ...key, tag: 'v1' }, { scope: '', subject: `${APP}@${D}`, configDigest: 'config' }]) {
      assert.throws(() => decodeSharedVerdict(text, other, { subject: 0, repository: 0 }, T0, MAC_KEY), (err: unknown) => {
        assert.ok(err instanceof SharedCacheError);
        assert.equal(err.code, 'SHARED_CACHE_VALUE_INVALID');
        assert.match(err.message, /was written for tag "v2", not "(v1|\(none\))"/);
        return true;
      });
    }
  });
});
