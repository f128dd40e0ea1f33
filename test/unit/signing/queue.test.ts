import assert from 'node:assert/strict';
import { SigningError } from '../../../provider/src/signing/index.js';
import { WorkQueue } from '../../../provider/src/signing/queue.js';

class Transient extends Error {}

interface Harness {
  readonly queue: WorkQueue<string, string>;
  readonly runs: string[];
  readonly settled: { item: string; outcome: string }[];
  readonly sleeps: number[];
}

function harness(run: (item: string, attempt: number) => Promise<string>, options: { maxPending?: number; concurrency?: number } = {}): Harness {
  const runs: string[] = [];
  const settled: { item: string; outcome: string }[] = [];
  const sleeps: number[] = [];
  const attempts = new Map<string, number>();
  const queue = new WorkQueue<string, string>({
    concurrency: options.concurrency ?? 1,
    maxPending: options.maxPending ?? 10,
    retries: 3,
    backoffMs: 100,
    maxBackoffMs: 250,
    run: (item) => {
      runs.push(item);
      const n = attempts.get(item) ?? 0;
      attempts.set(item, n + 1);
      return run(item, n);
    },
    isTransient: (error) => error instanceof Transient,
    settled: (item, outcome) => settled.push({ item, outcome: 'result' in outcome ? outcome.result : `error: ${(outcome.error as Error).message}` }),
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  });
  return { queue, runs, settled, sleeps };
}

describe('signing: WorkQueue', () => {
  it('merges a key queued twice, and runs a key asked for while running once more after', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const h = harness(async (item) => {
      if (item === 'a' && h.runs.length === 1) await gate;
      return `done ${item}`;
    });
    assert.equal(h.queue.add('a', 'a'), true);
    assert.equal(h.queue.add('b', 'b'), true);
    assert.equal(h.queue.add('b', 'b'), false, 'b is merged');
    assert.equal(h.queue.add('a', 'a'), false, 'a runs: asked again');
    assert.equal(h.queue.depth(), 2);
    release();
    await h.queue.idle();
    assert.deepEqual(h.runs, ['a', 'b', 'a']);
    assert.equal(h.queue.depth(), 0);
  });

  it('retries transient failures with capped exponential back-off, fails others at once', async () => {
    const h = harness(async (item, attempt) => {
      if (item === 'flaky' && attempt < 2) throw new Transient('registry 503');
      if (item === 'broken') throw new Error('manifest invalid');
      if (item === 'down') throw new Transient('unreachable');
      return 'signed';
    });
    h.queue.add('flaky', 'flaky');
    h.queue.add('broken', 'broken');
    h.queue.add('down', 'down');
    await h.queue.idle();
    assert.deepEqual(h.settled, [
      { item: 'flaky', outcome: 'signed' },
      { item: 'broken', outcome: 'error: manifest invalid' },
      { item: 'down', outcome: 'error: unreachable' },
    ]);
    assert.deepEqual(h.sleeps, [100, 200, 100, 200, 250]);
    assert.equal(h.runs.filter((r) => r === 'down').length, 4, 'first try and 3 retries');
  });

  it('refuses keys beyond maxPending with QUEUE_FULL naming the key', async () => {
    const h = harness(() => new Promise(() => undefined), { maxPending: 1, concurrency: 1 });
    h.queue.add('running', 'running');
    h.queue.add('pending', 'pending');
    assert.throws(
      () => h.queue.add('third', 'third'),
      (err: unknown) => err instanceof SigningError && err.code === 'QUEUE_FULL' && /holds 1 tags; third is left to the next resync/.test(err.message),
    );
    assert.equal(h.queue.has('pending'), true);
    assert.equal(h.queue.has('third'), false);
  });
});
