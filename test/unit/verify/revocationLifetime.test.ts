import assert from 'node:assert/strict';
import { VerdictCache } from '../../../provider/src/verify/verdictCache.js';
import { makeVerdict, type Verdict, type VerifierReport } from '../../../provider/src/verify/index.js';

const T0 = Date.parse('2025-11-01T00:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();

function pass(extensions: Record<string, unknown>): Verdict {
  return makeVerdict({
    isSuccess: true,
    traceID: 't',
    now: new Date(T0),
    verifierReports: [{ isSuccess: true, extensions, message: '', referenceDigest: '' } as unknown as VerifierReport],
  });
}

describe('verify/verdictCache: a cached pass lives no longer than the revocation information it relied on', () => {
  it('drops a pass at its revocationValidUntil (the OCSP / CRL nextUpdate), before the TTL and the certificate notAfter', () => {
    let now = T0;
    const cache = new VerdictCache({ ttlMs: 60_000 }, () => new Date(now));
    cache.set('ocsp', pass({ certificateNotAfter: iso(T0 + 3_600_000), revocationValidUntil: iso(T0 + 20_000) }));
    cache.set('unchecked', pass({ certificateNotAfter: iso(T0 + 3_600_000) }));
    now = T0 + 19_000;
    assert.ok(cache.get('ocsp'));
    now = T0 + 21_000;
    assert.equal(cache.get('ocsp'), undefined, 'served after the OCSP answer it relied on went stale');
    assert.ok(cache.get('unchecked'), 'without revocation information the TTL decides');
  });

  it('does not cache a pass whose revocation information is already stale', () => {
    const cache = new VerdictCache({ ttlMs: 60_000 }, () => new Date(T0));
    cache.set('stale', pass({ revocationValidUntil: iso(T0 - 1) }));
    assert.equal(cache.get('stale'), undefined);
  });
});
