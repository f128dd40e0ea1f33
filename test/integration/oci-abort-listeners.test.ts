/**
 * Every registry request runs under its own signal (the caller's deadline and the request timeout, `AbortSignal.any`).
 * Node keeps such a signal, and whatever its abort listeners hold, reachable for as long as a listener is attached;
 * once the timeout signal inside it has been collected it never aborts, so one listener left behind is kept for the
 * life of the process. That was the soak's memory growth (bench/README.md "Soak": about 1 KiB per registry request).
 * This test records the signal of every request and checks that none is left with a listener when the calls return,
 * through cross-fetch (what `signgate serve` uses) and Node's fetch, against Debian's docker-registry; bodies cut off
 * at a bound or stopped by the deadline are covered in test/unit/oci/bodyAbortListener.test.ts.
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import crossFetch from 'cross-fetch';
import { Registry, type FetchInit, type FetchLike, type FetchResponse } from '../../provider/src/oci/index.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';
import { waitFor } from '../support/waitFor.js';
import { fakeEnvelope, JWS, pushImage, testClock } from './ociHelpers.js';

/** `fetch` that remembers the signal of every request it is given. */
function recording(fetch: FetchLike): { fetch: FetchLike; signals: AbortSignal[] } {
  const signals: AbortSignal[] = [];
  return {
    signals,
    fetch: (url: string, init: FetchInit): Promise<FetchResponse> => {
      signals.push(init.signal);
      return fetch(url, init);
    },
  };
}

function listenerCounts(signals: readonly AbortSignal[]): number[] {
  return signals.map((s) => getEventListeners(s, 'abort').length);
}

/** A full garbage collection (V8's gc(), made reachable for this process only). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('oci: no abort listener outlives its registry request (docker-registry)', function () {
  let reg: RunningRegistry;
  before(async function () {
    requireComponent(this, 'docker-registry');
    reg = await startRegistry();
    const setup = new Registry({ fetch: crossFetch as unknown as FetchLike, clock: testClock().clock });
    const repo = setup.repository(`${reg.host}/app`);
    const subject = await pushImage(repo, 'v1');
    await repo.pushSignature({ subject, envelope: fakeEnvelope('v1'), envelopeMediaType: JWS });
    setup.close();
  });
  after(async () => {
    await reg?.stop();
  });

  // cross-fetch removes its own listener when the answer ends; Node's fetch (undici) removes its own once its internal
  // request object has been collected (a FinalizationRegistry), so for it the check runs after garbage collections
  const cases = [
    ['cross-fetch', crossFetch as unknown as FetchLike, false],
    ['Node fetch', globalThis.fetch as unknown as FetchLike, true],
  ] as const;
  for (const [name, fetch, afterCollection] of cases) {
    it(`${name}: resolve, signature lookup and envelope fetch leave every request signal without listeners`, async () => {
      const rec = recording(fetch);
      const registry = new Registry({ fetch: rec.fetch, clock: testClock().clock, cache: { ttlMs: 0, contentBytes: 0 } });
      try {
        const repo = registry.repository(`${reg.host}/app:v1`);
        const signal = AbortSignal.timeout(30_000);
        const subject = await repo.resolve(undefined, { signal });
        const [signature] = await repo.signatureManifests(subject, { signal });
        assert.ok(signature, 'the pushed signature is found');
        const blob = signature.blobs[0];
        assert.ok(blob, 'the signature manifest lists its envelope');
        assert.deepEqual(await repo.fetchBlob(blob, 1 << 20, { signal }), fakeEnvelope('v1'));
        assert.ok(rec.signals.length >= 4, `resolve, referrers, manifest and envelope were requested (${rec.signals.length} requests)`);
        if (afterCollection) {
          const none = (): boolean => listenerCounts(rec.signals).every((n) => n === 0);
          await waitFor(() => (collectGarbage(), none()), "undici's listeners to go").catch(() => undefined); // the counts below say which
        }
        assert.deepEqual(listenerCounts(rec.signals), rec.signals.map(() => 0));
        assert.equal(getEventListeners(signal, 'abort').length, 0, "the caller's deadline keeps no listener either");
      } finally {
        registry.close();
      }
    });
  }
});
