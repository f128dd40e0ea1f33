/**
 * The verdict cache is bounded by bytes as well as entries (verdictCache.ts `maxBytes`, counted by `entryBytes` over
 * packed verdicts, verdictPacking.ts):
 * the least recently used verdicts leave first, a verdict larger than an eighth of the bound is not kept at all (and
 * leaves no trace in the subject index), and the bytes held are reported.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { makeVerdict, type Verdict } from '../../../provider/src/verify/verdict.js';
import { DEFAULT_VERDICT_CACHE_BYTES, VerdictCache, entryBytes, verdictKey } from '../../../provider/src/verify/verdictCache.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const clock = (): Date => T0;
const subject = (i: number): string => `registry.example.com/team/app@sha256:${i.toString(16).padStart(64, '0')}`;
const key = (i: number): string => verdictKey('', subject(i), 'd'.repeat(64));

function verdict(i: number, messageChars = 100): Verdict {
  const noise = messageChars > 1000 ? randomBytes(messageChars).toString('base64').slice(0, messageChars) : 'm'.repeat(messageChars);
  const report = {
    subject: subject(i),
    isSuccess: false,
    name: 'notation',
    verifierName: 'notation',
    type: 'notation',
    verifierType: 'notation',
    referenceDigest: '',
    artifactType: 'application/vnd.cncf.notary.signature',
    message: noise,
    errorReason: 'SIGNATURE_NOT_FOUND',
    remediation: '',
    extensions: {},
  };
  return makeVerdict({ isSuccess: false, traceID: 't', now: T0, verifierReports: [report] });
}

describe('verify/verdictCache: bounded by bytes as well as entries', () => {
  it('holds verdicts packed (entryBytes: packed length + twice the key + 256), far below their JSON size, and unpacks them equal', () => {
    const cache = new VerdictCache({ ttlMs: 60_000 }, clock);
    for (let i = 0; i < 100; i++) cache.set(key(i), verdict(i));
    const json = JSON.stringify(verdict(50)).length;
    const perEntry = cache.stats().bytes / 100 - 2 * key(50).length - 256;
    assert.ok(perEntry > 0 && perEntry < json / 4, `packed ${perEntry} bytes per verdict, JSON ${json}`);
    assert.equal(entryBytes('x'.repeat(10), key(1)), 10 + 2 * key(1).length + 256);
    const cold = new VerdictCache({ ttlMs: 60_000 }, clock);
    for (let i = 0; i < 2000; i++) cold.set(key(i), verdict(i)); // more than the unpacked ones kept
    assert.deepEqual(cold.get(key(3)), verdict(3), 'an old entry is unpacked equal to what was stored');
    assert.equal(DEFAULT_VERDICT_CACHE_BYTES, 64 * 1024 * 1024);
  });

  it('evicts the least recently used verdicts when the bytes run out, however many entries are allowed', () => {
    const probe = new VerdictCache({ ttlMs: 60_000 }, clock);
    for (let i = 0; i < 30; i++) probe.set(key(i), verdict(i));
    const bound = probe.stats().bytes; // exactly 30 entries, packed in this order
    const cache = new VerdictCache({ maxEntries: 1000, ttlMs: 60_000, maxBytes: bound }, clock);
    for (let i = 0; i < 30; i++) cache.set(key(i), verdict(i));
    assert.equal(cache.stats().entries, 30);
    assert.ok(cache.get(key(0)), 'touch 0: now 1 is the least recently used');
    cache.set(key(30), verdict(30));
    assert.ok(cache.stats().bytes <= bound);
    assert.equal(cache.get(key(1)), undefined, 'the least recently used went');
    for (const i of [0, 29, 30]) assert.ok(cache.get(key(i)), `verdict ${i} stays`);
    assert.equal(cache.invalidateSubject(subject(1)), 0, 'the evicted verdict left the subject index too');
  });

  it('does not keep a verdict larger than an eighth of the byte bound, and indexes nothing for it', () => {
    const cache = new VerdictCache({ ttlMs: 60_000, maxBytes: 8 * 1024 }, clock);
    cache.set(key(1), verdict(1)); // the first verdict packed is the dictionary
    const held = cache.stats().bytes;
    cache.set(key(7), verdict(7, 20_000)); // 20,000 characters unlike the dictionary pack into more than 1 KiB
    assert.equal(cache.get(key(7)), undefined);
    assert.deepEqual({ entries: cache.stats().entries, bytes: cache.stats().bytes }, { entries: 1, bytes: held });
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
