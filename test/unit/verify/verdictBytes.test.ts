/**
 * The verdict cache is bounded by bytes as well as entries (verdictCache.ts `maxBytes`, counted by `verdictBytes`):
 * the least recently used verdicts leave first, a verdict larger than an eighth of the bound is not kept at all (and
 * leaves no trace in the subject index), and the bytes held are reported.
 */
import assert from 'node:assert/strict';
import { makeVerdict, type Verdict } from '../../../provider/src/verify/verdict.js';
import { DEFAULT_VERDICT_CACHE_BYTES, VerdictCache, verdictBytes, verdictKey } from '../../../provider/src/verify/verdictCache.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const clock = (): Date => T0;
const subject = (i: number): string => `registry.example.com/team/app@sha256:${i.toString(16).padStart(64, '0')}`;
const key = (i: number): string => verdictKey('', subject(i), 'd'.repeat(64));

function verdict(i: number, messageChars = 100): Verdict {
  const report = {
    subject: subject(i),
    isSuccess: false,
    name: 'notation',
    verifierName: 'notation',
    type: 'notation',
    verifierType: 'notation',
    referenceDigest: '',
    artifactType: 'application/vnd.cncf.notary.signature',
    message: 'm'.repeat(messageChars),
    errorReason: 'SIGNATURE_NOT_FOUND',
    remediation: '',
    extensions: {},
  };
  return makeVerdict({ isSuccess: false, traceID: 't', now: T0, verifierReports: [report] });
}

describe('verify/verdictCache: bounded by bytes as well as entries', () => {
  it('counts a verdict as twice its JSON and key length plus 512, and reports the bytes held', () => {
    const v = verdict(1);
    assert.equal(verdictBytes(v, key(1)), 2 * (JSON.stringify(v).length + key(1).length) + 512);
    const cache = new VerdictCache({ ttlMs: 60_000 }, clock);
    cache.set(key(1), v);
    cache.set(key(2), verdict(2));
    assert.equal(cache.stats().bytes, verdictBytes(v, key(1)) + verdictBytes(verdict(2), key(2)));
    assert.equal(DEFAULT_VERDICT_CACHE_BYTES, 64 * 1024 * 1024);
  });

  it('evicts the least recently used verdicts when the bytes run out, however many entries are allowed', () => {
    const one = verdictBytes(verdict(0), key(0));
    const cache = new VerdictCache({ maxEntries: 1000, ttlMs: 60_000, maxBytes: one * 8 }, clock);
    for (let i = 0; i < 8; i++) cache.set(key(i), verdict(i));
    assert.ok(cache.get(key(0)), 'touch 0: now 1 is the least recently used');
    cache.set(key(8), verdict(8));
    assert.equal(cache.stats().entries, 8);
    assert.ok(cache.stats().bytes <= one * 8);
    assert.equal(cache.get(key(1)), undefined, 'the least recently used went');
    for (const i of [0, 2, 3, 4, 5, 6, 7, 8]) assert.ok(cache.get(key(i)), `verdict ${i} stays`);
    assert.equal(cache.invalidateSubject(subject(1)), 0, 'the evicted verdict left the subject index too');
  });

  it('does not keep a verdict larger than an eighth of the byte bound, and indexes nothing for it', () => {
    const cache = new VerdictCache({ ttlMs: 60_000, maxBytes: 8 * 4096 }, clock);
    const huge = verdict(7, 5000);
    assert.ok(verdictBytes(huge, key(7)) > 4096);
    cache.set(key(7), huge);
    assert.equal(cache.get(key(7)), undefined);
    assert.deepEqual({ entries: cache.stats().entries, bytes: cache.stats().bytes }, { entries: 0, bytes: 0 });
    assert.equal(cache.invalidateSubject(subject(7)), 0);
  });

  it('a byte bound of 0 turns the cache off; a negative or fractional one is refused', () => {
    const off = new VerdictCache({ ttlMs: 60_000, maxBytes: 0 }, clock);
    off.set(key(1), verdict(1));
    assert.equal(off.get(key(1)), undefined);
    for (const bad of [-1, 1.5]) {
      assert.throws(() => new VerdictCache({ maxBytes: bad }, clock), (e: unknown) => e instanceof RangeError && /verdict cache maxBytes must be a non-negative integer/.test(e.message));
    }
  });
});
