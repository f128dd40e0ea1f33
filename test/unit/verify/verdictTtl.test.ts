import assert from 'node:assert/strict';
import { VerdictCache } from '../../../provider/src/verify/verdictCache.js';
import { makeVerdict, type Verdict, type VerifierReport } from '../../../provider/src/verify/index.js';

const T0 = Date.parse('2025-11-01T00:00:00Z');

function verdict(isSuccess: boolean, reports: { isSuccess: boolean; extensions: Record<string, unknown> }[]): Verdict {
  return makeVerdict({
    isSuccess,
    traceID: 't',
    now: new Date(T0),
    verifierReports: reports.map((r) => ({ ...r, message: '', referenceDigest: '' }) as unknown as VerifierReport),
  });
}

describe('verify/verdictCache: a cached pass never outlives what it rests on', () => {
  let now = T0;
  const clock = (): Date => new Date(now);
  const iso = (ms: number): string => new Date(ms).toISOString();

  it('drops a pass at the earliest signature expiry or certificate notAfter of its passing reports', () => {
    now = T0;
    const cache = new VerdictCache({ ttlMs: 60_000 }, clock);
    cache.set('expiring', verdict(true, [{ isSuccess: true, extensions: { expiry: iso(T0 + 5_000), certificateNotAfter: iso(T0 + 3_600_000) } }]));
    cache.set('cert', verdict(true, [{ isSuccess: true, extensions: { certificateNotAfter: iso(T0 + 10_000) } }]));
    cache.set('long', verdict(true, [{ isSuccess: true, extensions: { certificateNotAfter: iso(T0 + 3_600_000) } }]));
    now = T0 + 6_000;
    assert.equal(cache.get('expiring'), undefined, 'served after the signature expired');
    assert.ok(cache.get('cert'));
    now = T0 + 11_000;
    assert.equal(cache.get('cert'), undefined, 'served after the signing certificate expired');
    assert.ok(cache.get('long'), 'a pass with a long validity keeps the configured TTL');
    now = T0 + 61_000;
    assert.equal(cache.get('long'), undefined);
  });

  it('does not cache a pass whose validity already ended, nor one with an unreadable time', () => {
    now = T0;
    const cache = new VerdictCache({ ttlMs: 60_000 }, clock);
    cache.set('ended', verdict(true, [{ isSuccess: true, extensions: { expiry: iso(T0 - 1) } }]));
    cache.set('garbled', verdict(true, [{ isSuccess: true, extensions: { expiry: 'soon' } }]));
    assert.equal(cache.get('ended'), undefined);
    assert.equal(cache.get('garbled'), undefined);
  });

  it('keeps a failed verdict for the configured TTL (its failing reports do not bound it)', () => {
    now = T0;
    const cache = new VerdictCache({ ttlMs: 60_000 }, clock);
    cache.set('fail', verdict(false, [{ isSuccess: false, extensions: { expiry: iso(T0 + 1_000) } }]));
    now = T0 + 30_000;
    assert.ok(cache.get('fail'));
  });
});
