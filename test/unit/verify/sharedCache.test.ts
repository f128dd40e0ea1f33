/**
 * The shared verdict cache's logic without a server (the real redis-server is in test/integration/shared-cache.test.ts):
 * the value check (sharedVerdict.ts), the bounded calls and the epochs (sharedCache.ts) and how two VerdictCaches, as
 * two replicas, share verdicts, locks and invalidations through one in-memory stand-in for Redis on a pinned clock.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { SharedCacheError, SharedVerdictCache, parseSharedCacheUrl, type SharedCacheClient, type SharedCacheOperation, type SharedCacheOutcome } from '../../../provider/src/verify/index.js';
import { makeVerdict, type Verdict, type VerifierReport } from '../../../provider/src/verify/verdict.js';
import { VerdictCache, verdictKey } from '../../../provider/src/verify/verdictCache.js';
import { decodeSharedVerdict, encodeSharedVerdict, type SharedVerdictKey } from '../../../provider/src/verify/sharedVerdict.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const SUBJECT = `registry.example.com:5000/team/app@sha256:${'a'.repeat(64)}`;
const KEY: SharedVerdictKey = { scope: '', subject: SUBJECT, configDigest: 'f'.repeat(64) };
const EPOCHS = { subject: 0, repository: 0 };
const MAC_KEY = Buffer.alloc(32, 7);
/** The documented value format, written here independently: `<base64url HMAC-SHA256(key, JSON)>.<JSON>`. */
const seal = (json: string): string => `${createHmac('sha256', MAC_KEY).update(json).digest('base64url')}.${json}`;
const body = (value: string): string => value.slice(value.indexOf('.') + 1);
/** A sealed value changed in its JSON and sealed again (what a replica holding the key could write). */
const reseal = (value: string): string => seal(body(value));

function report(isSuccess: boolean, subject = SUBJECT): VerifierReport {
  return {
    subject,
    isSuccess,
    name: 'notation',
    verifierName: 'notation',
    type: 'notation',
    verifierType: 'notation',
    referenceDigest: `sha256:${'b'.repeat(64)}`,
    artifactType: 'application/vnd.cncf.notary.signature',
    message: isSuccess ? 'signature verified' : 'no signatures found',
    errorReason: isSuccess ? '' : 'SIGNATURE_NOT_FOUND',
    remediation: '',
    extensions: {},
  };
}

function verdict(isSuccess: boolean, traceID = 'trace-1'): Verdict {
  return makeVerdict({ isSuccess, traceID, now: new Date(T0), verifierReports: [report(isSuccess)] });
}

/** Redis in memory: PX expiry on the pinned clock, NX, epochs, one channel; `hang` makes every call never answer. */
class MemoryRedis implements SharedCacheClient {
  readonly values = new Map<string, { value: string; until: number }>();
  readonly listeners: ((message: string) => void)[] = [];
  connected = true;
  hang = false;
  calls = 0;
  constructor(private readonly now: () => number) {}
  ready(): boolean {
    return this.connected;
  }
  private answer<T>(value: T): Promise<T> {
    this.calls++;
    return this.hang ? new Promise<T>(() => undefined) : Promise.resolve(value);
  }
  private get(key: string): string | null {
    const v = this.values.get(key);
    return v !== undefined && v.until > this.now() ? v.value : null;
  }
  mget(keys: readonly string[]): Promise<readonly (string | null)[]> {
    return this.answer(keys.map((k) => this.get(k)));
  }
  set(key: string, value: string, ttlMs: number, onlyIfAbsent?: boolean): Promise<boolean> {
    if (onlyIfAbsent && this.get(key) !== null) return this.answer(false);
    this.values.set(key, { value, until: this.now() + ttlMs });
    return this.answer(true);
  }
  deleteIfEquals(key: string, value: string): Promise<void> {
    if (this.get(key) === value) this.values.delete(key);
    return this.answer(undefined);
  }
  bumpAndPublish(key: string, ttlMs: number, _channel: string, message: string): Promise<void> {
    this.values.set(key, { value: String(Number(this.get(key) ?? '0') + 1), until: this.now() + ttlMs });
    for (const l of this.listeners) l(message);
    return this.answer(undefined);
  }
  subscribe(_channel: string, onMessage: (message: string) => void): Promise<void> {
    this.listeners.push(onMessage);
    return this.answer(undefined);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

interface Replica {
  readonly cache: VerdictCache;
  readonly shared: SharedVerdictCache;
  readonly events: [SharedCacheOperation, SharedCacheOutcome, string | undefined][];
}

describe('verify/sharedCache: the verdict cache shared by replicas', () => {
  let now = T0;
  const clock = (): Date => new Date(now);
  let redis: MemoryRedis;
  const replica = (options: { timeoutMs?: number; lockMs?: number; pollMs?: number } = {}): Replica => {
    const events: Replica['events'] = [];
    const shared = new SharedVerdictCache({ client: redis, clock, macKey: MAC_KEY, ...options, events: { operation: (op, outcome, detail) => void events.push([op, outcome, detail]) } });
    return { cache: new VerdictCache({ ttlMs: 60_000 }, clock, shared), shared, events };
  };
  const ck = verdictKey('', SUBJECT, KEY.configDigest);
  const never = (): Promise<Verdict> => Promise.reject(new Error('must not verify'));

  beforeEach(() => {
    now = T0;
    redis = new MemoryRedis(() => now);
  });

  describe('the value check (decodeSharedVerdict)', () => {
    const encoded = encodeSharedVerdict(KEY, EPOCHS, T0 + 60_000, verdict(true), MAC_KEY);

    it('round-trips a verdict, making succeeded and artifactReports again from its reports', () => {
      const planted = JSON.parse(body(encoded)) as { verdict: Record<string, unknown> };
      planted.verdict.succeeded = false;
      planted.verdict.artifactReports = [];
      const read = decodeSharedVerdict(seal(JSON.stringify(planted)), KEY, EPOCHS, T0, MAC_KEY);
      assert.deepEqual(read?.verdict, verdict(true));
      assert.equal(read?.expiresAt, T0 + 60_000);
    });

    it('is outdated (undefined, not an error) under other epochs or once expired', () => {
      assert.equal(decodeSharedVerdict(encoded, KEY, { subject: 1, repository: 0 }, T0, MAC_KEY), undefined);
      assert.equal(decodeSharedVerdict(encoded, KEY, { subject: 0, repository: 1 }, T0, MAC_KEY), undefined);
      assert.equal(decodeSharedVerdict(encoded, KEY, EPOCHS, T0 + 60_000, MAC_KEY), undefined);
    });

    const refusals: [string, string, RegExp][] = [
      ['not JSON', seal('{"format":'), /is not JSON/],
      ['another format', reseal(encoded.replace('signgate-verdict/v1', 'signgate-verdict/v0')), /has format "signgate-verdict\/v0", not signgate-verdict\/v1/],
      ['another subject', reseal(encoded.replace(`"subject":"${SUBJECT}"`, '"subject":"other.example/x@sha256:00"')), /was written for subject "other\.example\/x@sha256:00"/],
      ['another configuration', reseal(encoded.replace(KEY.configDigest, 'e'.repeat(64))), /was written for configDigest/],
      ['another scope', reseal(encoded.replace('"scope":""', '"scope":"team-a"')), /was written for scope "team-a", not ""/],
      ['a report about another subject', reseal(encoded.replace(`"verifierReports":[{"subject":"${SUBJECT}"`, '"verifierReports":[{"subject":"x"')), /verifierReports\[0\]\.subject is "x", not the key's subject/],
      ['a pass without a passing report', encodeSharedVerdict(KEY, EPOCHS, T0 + 1, makeVerdict({ isSuccess: true, traceID: 't', now: new Date(T0), verifierReports: [report(false)] }), MAC_KEY), /isSuccess is true without a passing report/],
      ['a report without its fields', reseal(encoded.replace('"verifierType":"notation",', '')), /verifierReports\[0\]\.verifierType is not a string/],
      ['a timestamp that is not RFC 3339', reseal(encoded.replace('2026-01-01T00:00:00.000Z', 'yesterday')), /timestamp is not an RFC 3339 UTC time/],
      ['a value over 1 MiB', `{"x":"${'a'.repeat(1024 * 1024)}"}`, /more than 1048576/],
    ];
    it('refuses a well-formed value that is not sealed with the replicas\' key (planted by whoever can write to Redis)', () => {
      for (const text of [body(encoded), encodeSharedVerdict(KEY, EPOCHS, T0 + 60_000, verdict(true), Buffer.alloc(32, 9)), `${'A'.repeat(43)}.${body(encoded)}`]) {
        assert.throws(
          () => decodeSharedVerdict(text, KEY, EPOCHS, T0, MAC_KEY),
          (e: unknown) => e instanceof SharedCacheError && e.code === 'SHARED_CACHE_VALUE_INVALID' && /is not sealed with this replica's shared-cache key/.test(e.message),
        );
      }
    });

    for (const [what, text, message] of refusals) {
      it(`refuses ${what} with SHARED_CACHE_VALUE_INVALID`, () => {
        assert.throws(
          () => decodeSharedVerdict(text, KEY, EPOCHS, T0, MAC_KEY),
          (e: unknown) => e instanceof SharedCacheError && e.code === 'SHARED_CACHE_VALUE_INVALID' && message.test(e.message),
        );
      });
    }
  });

  it('a verdict decided by replica A is answered by replica B without verifying, kept no longer than the shared copy', async () => {
    const a = replica();
    const b = replica();
    await a.cache.settle(ck, a.cache.mark(), AbortSignal.timeout(10_000), undefined, undefined, () => Promise.resolve(verdict(true)));
    await new Promise((r) => setImmediate(r)); // the write is not awaited by the request
    now += 30_000; // B reads it half way through its TTL
    const { verdict: hit } = await b.cache.getShared(ck);
    assert.deepEqual(hit, verdict(true));
    assert.ok(b.events.some(([op, outcome]) => op === 'lookup' && outcome === 'hit'));
    now += 29_999;
    assert.ok(b.cache.get(ck), 'B holds its local copy');
    now += 2;
    assert.equal(b.cache.get(ck), undefined, "B's copy ends with the shared copy's TTL, not a fresh one");
  });

  it('an invalidation on A outdates the shared verdict (epoch) and drops B\'s local copy (message)', async () => {
    const a = replica();
    const b = replica();
    await a.cache.settle(ck, a.cache.mark(), AbortSignal.timeout(10_000), undefined, undefined, () => Promise.resolve(verdict(false)));
    await new Promise((r) => setImmediate(r));
    assert.ok((await b.cache.getShared(ck)).verdict);
    assert.equal(a.cache.invalidateSubject(SUBJECT), 1);
    await new Promise((r) => setImmediate(r));
    assert.equal(b.cache.get(ck), undefined, "B's local copy is gone");
    const { verdict: after, lookup } = await b.cache.getShared(ck);
    assert.equal(after, undefined);
    assert.deepEqual(lookup, { kind: 'miss', epochs: { subject: 1, repository: 0 } });
    a.cache.invalidateRepository('registry.example.com:5000/team/app');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual((await b.cache.getShared(ck)).lookup, { kind: 'miss', epochs: { subject: 1, repository: 1 } });
  });

  it('a replica finding the lock held waits for the holder\'s verdict instead of verifying', async () => {
    const a = replica();
    const b = replica({ pollMs: 1 });
    let release: (v: Verdict) => void = () => undefined;
    const holding = a.cache.settle(ck, a.cache.mark(), AbortSignal.timeout(10_000), undefined, undefined, () => new Promise<Verdict>((r) => (release = r)));
    await new Promise((r) => setImmediate(r));
    const waiting = b.cache.settle(ck, b.cache.mark(), AbortSignal.timeout(10_000), undefined, undefined, never);
    await new Promise((r) => setTimeout(r, 5));
    release(verdict(true));
    assert.deepEqual(await holding, verdict(true));
    assert.deepEqual(await waiting, verdict(true));
    assert.ok(b.events.some(([op, outcome]) => op === 'lock' && outcome === 'busy'));
    assert.ok(b.events.some(([op, outcome]) => op === 'wait' && outcome === 'hit'));
  });

  it('a failed verification stores nothing anywhere and releases the lock, so the next replica verifies at once', async () => {
    const a = replica();
    const b = replica();
    await assert.rejects(a.cache.settle(ck, a.cache.mark(), AbortSignal.timeout(10_000), undefined, undefined, () => Promise.reject(new Error('registry unreachable'))), /registry unreachable/);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual([...redis.values.keys()].filter((k) => !k.includes(':epoch:')), [], 'no verdict and no lock left in Redis');
    assert.equal(a.cache.get(ck), undefined);
    assert.deepEqual(await b.cache.settle(ck, b.cache.mark(), AbortSignal.timeout(10_000), undefined, undefined, () => Promise.resolve(verdict(false))), verdict(false));
  });

  it('every call is bounded: a Redis that never answers costs timeoutMs and the replica verifies locally', async () => {
    const a = replica({ timeoutMs: 5 });
    redis.hang = true;
    const decided = await a.cache.settle(ck, a.cache.mark(), AbortSignal.timeout(10_000), undefined, undefined, () => Promise.resolve(verdict(true)));
    assert.deepEqual(decided, verdict(true));
    assert.deepEqual(a.events.find(([, outcome]) => outcome === 'timeout')?.slice(0, 3), ['lookup', 'timeout', 'no answer within 5ms']);
    assert.ok(a.cache.get(ck), 'kept locally');
  });

  it('a disconnected Redis is skipped without a call (unavailable), and a hostile channel message is ignored', async () => {
    const a = replica();
    redis.connected = false;
    const calls = redis.calls;
    assert.deepEqual(await a.shared.lookup(KEY), { kind: 'unavailable' });
    assert.equal(redis.calls, calls);
    assert.ok(a.events.some(([op, outcome]) => op === 'lookup' && outcome === 'unavailable'));
    redis.connected = true;
    a.cache.set(ck, verdict(true));
    for (const l of redis.listeners) l('{"kind":"subject","name":"not a reference"}');
    for (const l of redis.listeners) l('garbage');
    assert.ok(a.cache.get(ck), 'nothing dropped');
    assert.ok(a.events.some(([op, outcome]) => op === 'message' && outcome === 'invalid'));
  });

  describe('parseSharedCacheUrl', () => {
    it('reads redis:// and rediss:// URLs with user, password and database', () => {
      assert.deepEqual(parseSharedCacheUrl('redis://redis.signgate.svc:6380/2'), { tls: false, host: 'redis.signgate.svc', port: 6380, db: 2 });
      assert.deepEqual(parseSharedCacheUrl('rediss://signgate:p%40ss@10.0.0.7'), { tls: true, host: '10.0.0.7', port: 6379, db: 0, username: 'signgate', password: 'p@ss' });
      assert.deepEqual(parseSharedCacheUrl('redis://[::1]:6379/0'), { tls: false, host: '::1', port: 6379, db: 0 });
    });

    for (const [text, reason] of [
      ['http://redis:6379/0', /has scheme "http", not redis or rediss/],
      ['redis://:secret-password@redis:6379/x', /has database "x"/],
      ['redis://redis:6379/0?tls=true', /has a query or fragment/],
      ['not a url', /is not a URL/],
    ] as const) {
      it(`refuses ${text} with SHARED_CACHE_URL_INVALID, never echoing a password`, () => {
        assert.throws(
          () => parseSharedCacheUrl(text),
          (e: unknown) => e instanceof SharedCacheError && e.code === 'SHARED_CACHE_URL_INVALID' && reason.test(e.message) && !e.message.includes('secret-password') && /expected redis:\/\//.test(e.message),
        );
      });
    }
  });
});
