import assert from 'node:assert/strict';
import { VerdictCache, verdictKey } from '../../../provider/src/verify/verdictCache.js';
import { makeVerdict, type Verdict } from '../../../provider/src/verify/index.js';
import { OciError } from '../../../provider/src/oci/index.js';

const T0 = Date.parse('2025-11-01T00:00:00Z');
const clock = (): Date => new Date(T0);
const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const APP = 'registry.example.com:5000/team/app';
const OTHER = 'registry.example.com:5000/team/other';

function verdict(isSuccess: boolean): Verdict {
  return makeVerdict({ isSuccess, traceID: 't', now: new Date(T0), verifierReports: [] });
}

function filled(): VerdictCache {
  const cache = new VerdictCache({ ttlMs: 600_000 }, clock);
  for (const generation of ['digest-1', 'digest-2']) {
    for (const scope of ['', 'team-a']) {
      cache.set(verdictKey(scope, `${APP}@${D1}`, generation), verdict(false));
      cache.set(verdictKey(scope, `${APP}@${D2}`, generation), verdict(true));
      cache.set(verdictKey(scope, `${OTHER}@${D1}`, generation), verdict(true));
    }
  }
  return cache;
}

describe('verify/verdictCache: invalidation by subject and by repository', () => {
  it('invalidateSubject drops the subject in every scope and generation, and nothing else', () => {
    const cache = filled();
    assert.equal(cache.invalidateSubject(`${APP}@${D1}`), 4);
    for (const generation of ['digest-1', 'digest-2']) {
      for (const scope of ['', 'team-a']) {
        assert.equal(cache.get(verdictKey(scope, `${APP}@${D1}`, generation)), undefined);
        assert.ok(cache.get(verdictKey(scope, `${APP}@${D2}`, generation)));
        assert.ok(cache.get(verdictKey(scope, `${OTHER}@${D1}`, generation)));
      }
    }
    assert.equal(cache.stats().entries, 8);
    assert.equal(cache.invalidateSubject(`${APP}@${D1}`), 0, 'a second invalidation finds nothing');
  });

  it('invalidateSubject reads any spelling of the name through oci/reference (case of the host, a tag)', () => {
    const cache = filled();
    assert.equal(cache.invalidateSubject(`REGISTRY.example.com:5000/team/app:v1@${D2}`), 4);
    assert.equal(cache.get(verdictKey('', `${APP}@${D2}`, 'digest-1')), undefined);
  });

  it('invalidateRepository drops every subject of the repository and no other repository', () => {
    const cache = filled();
    assert.equal(cache.invalidateRepository(APP), 8);
    assert.equal(cache.get(verdictKey('', `${APP}@${D1}`, 'digest-1')), undefined);
    assert.equal(cache.get(verdictKey('team-a', `${APP}@${D2}`, 'digest-2')), undefined);
    assert.ok(cache.get(verdictKey('', `${OTHER}@${D1}`, 'digest-1')));
    assert.equal(cache.invalidateRepository(`${APP}/sub`), 0, 'a nested repository is another repository');
    assert.equal(cache.stats().entries, 4);
  });

  it('refuses names it cannot use, with a coded error or a RangeError that says what to pass', () => {
    const cache = filled();
    assert.throws(() => cache.invalidateSubject(`${APP}:v1`), (e: unknown) => e instanceof RangeError && /names no digest/.test(e.message));
    assert.throws(() => cache.invalidateSubject('not a reference'), (e: unknown) => e instanceof OciError && e.code === 'REFERENCE_INVALID');
    assert.throws(() => cache.invalidateRepository('no-host'), (e: unknown) => e instanceof OciError && e.code === 'REFERENCE_INVALID');
    assert.equal(cache.stats().entries, 12, 'a refused invalidation drops nothing');
  });

  it('a verdict whose work began before an invalidation of its subject or repository is not stored', () => {
    const cache = new VerdictCache({ ttlMs: 600_000 }, clock);
    const k1 = verdictKey('', `${APP}@${D1}`, 'digest-1');
    const k2 = verdictKey('', `${OTHER}@${D1}`, 'digest-1');
    const before = cache.mark();
    cache.invalidateSubject(`${APP}@${D1}`);
    cache.set(k1, verdict(false), before);
    cache.set(k2, verdict(true), before);
    assert.equal(cache.get(k1), undefined, 'the stale verdict was stored');
    assert.ok(cache.get(k2), 'another subject is unaffected');
    const beforeRepo = cache.mark();
    cache.invalidateRepository(OTHER);
    cache.set(k2, verdict(true), beforeRepo);
    assert.equal(cache.get(k2), undefined);
    cache.set(k1, verdict(true), cache.mark());
    assert.ok(cache.get(k1), 'work begun after the invalidation is stored');
  });

  it('keeps its subject index in step with evictions (bounded by the entry limit)', () => {
    const cache = new VerdictCache({ ttlMs: 600_000, maxEntries: 2 }, clock);
    cache.set(verdictKey('', `${APP}@${D1}`, 'digest-1'), verdict(true));
    cache.set(verdictKey('', `${APP}@${D2}`, 'digest-1'), verdict(true));
    cache.set(verdictKey('', `${OTHER}@${D1}`, 'digest-1'), verdict(true)); // evicts APP@D1
    assert.equal(cache.invalidateSubject(`${APP}@${D1}`), 0);
    assert.equal(cache.invalidateRepository(APP), 1);
    assert.equal(cache.stats().entries, 1);
  });

  it('a subject held under one key, then two, then one again: invalidation drops exactly the keys still held', () => {
    const cache = new VerdictCache({ ttlMs: 600_000, maxEntries: 3 }, clock);
    const [a, b] = ['digest-1', 'digest-2'].map((generation) => verdictKey('', `${APP}@${D1}`, generation)) as [string, string];
    cache.set(a, verdict(true));
    cache.set(a, verdict(false)); // the same key again: still one key for the subject
    cache.set(b, verdict(true));
    cache.set(verdictKey('', `${OTHER}@${D1}`, 'digest-1'), verdict(true));
    cache.get(b);
    cache.set(verdictKey('', `${OTHER}@${D2}`, 'digest-1'), verdict(true)); // evicts a, the least recently used
    assert.equal(cache.get(a), undefined);
    assert.equal(cache.invalidateSubject(`${APP}@${D1}`), 1, 'b is the one key left for the subject');
    assert.equal(cache.get(b), undefined);
    cache.set(a, verdict(true));
    assert.equal(cache.invalidateRepository(APP), 1);
    assert.equal(cache.stats().entries, 2, 'the other repository keeps its two verdicts');
  });
});
