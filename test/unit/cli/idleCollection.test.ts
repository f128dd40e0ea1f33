/**
 * cli/idleCollection.ts in this process, looking every 50 ms: one collection when first idle, none while the heap
 * stays at its size, and one more after a busy period that grew the heap — which gives that growth back.
 */
import assert from 'node:assert/strict';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { collectWhenIdle, type IdleCollectionResult } from '../../../provider/src/cli/idleCollection.js';

const MiB = 1024 * 1024;
const pause = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

function collectNow(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  setFlagsFromString('--no-expose-gc');
}

async function next(results: IdleCollectionResult[], count: number, ms: number): Promise<IdleCollectionResult> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    const r = results[count - 1];
    if (r !== undefined) return r;
    await pause(20);
  }
  assert.fail(`no collection number ${count} within ${ms} ms (${results.length} so far)`);
}

describe('cli/idleCollection: a collection when idle after start-up and after a busy period', function () {
  this.timeout(30_000);

  it('collects once when idle, not again at a steady size, and again after the heap grew, giving the growth back', async () => {
    const results: IdleCollectionResult[] = [];
    const watcher = collectWhenIdle((r) => results.push(r), { checkMs: 50 });
    try {
      const first = await next(results, 1, 5_000);
      assert.equal(first.after, 'start-up');
      await pause(600);
      assert.equal(results.length, 1, 'an idle heap at a steady size is not collected again');

      // a busy period: objects held until it ends, as verdicts and requests in flight are
      let held: { readonly text: string }[] = [];
      for (let i = 0; i < 400_000; i++) {
        const item = { text: JSON.stringify({ request: i, note: 'x'.repeat(100) }) }; // a flat string of its own
        held.push(item);
      }
      // a full collection now, while `held` is reachable, ends whatever marking V8 began during the loop; without
      // allocation V8 then starts no other, so only the idle collection can give `held` back once it is dropped
      collectNow();
      const grown = getHeapStatistics().total_physical_size;
      assert.ok(grown - first.heap.afterBytes > 40 * MiB, `the busy period grew the heap by only ${(grown - first.heap.afterBytes) / MiB} MiB`);
      assert.equal(held.length, 400_000); // read after the collection above: else V8 may count `held` dead already
      held = [];

      const busy = await next(results, 2, 5_000);
      assert.equal(busy.after, 'busy period');
      assert.ok(busy.ms >= 0 && busy.ms < 10_000, `a collection time of ${busy.ms} ms`);
      assert.ok(busy.heap.beforeBytes - busy.heap.afterBytes > 32 * MiB, `the collection gave back only ${(busy.heap.beforeBytes - busy.heap.afterBytes) / MiB} MiB`);
      await pause(600);
      assert.equal(results.length, 2, 'no third collection without a third busy period');
    } finally {
      watcher.stop();
    }
  });
});
