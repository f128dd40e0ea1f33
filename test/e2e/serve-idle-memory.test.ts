/**
 * `signgate serve` returns the memory its start-up grew once it is idle (cli/idleCollection.ts): a real process on the
 * embedded configuration logs `idle after start-up` with V8's young generation before and after its one collection,
 * and the collection shrank it. Driven by the process's own log lines, no sleeping; RSS itself is `npm run bench`'s.
 */
import assert from 'node:assert/strict';
import { startServeProcess, type ServeProcess } from '../support/serveProcess.js';

interface YoungGeneration {
  readonly before: number;
  readonly after: number;
}

function youngGeneration(value: unknown): YoungGeneration {
  const young = (value as { youngGenerationBytes?: unknown }).youngGenerationBytes as Partial<YoungGeneration> | undefined;
  assert.ok(typeof young?.before === 'number' && typeof young.after === 'number', `no youngGenerationBytes {before, after} in ${JSON.stringify(value)}`);
  return { before: young.before, after: young.after };
}

describe('signgate serve: idle memory after start-up', function () {
  this.timeout(120_000);
  let serve: ServeProcess | undefined;

  after(() => serve?.kill());

  it('collects once when first idle, and the young generation start-up grew is given back', async () => {
    serve = startServeProcess(['--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0'], { SIGNGATE_LOG_LEVEL: 'info' });
    await serve.waitForStderr(/listening on https:\/\/127\.0\.0\.1:\d+/, 'the listening line', 60_000);
    const line = await serve.waitForLog((l) => l.msg.startsWith('idle after start-up'), 'the idle collection line', 90_000);
    assert.equal(line.level, 30, 'the idle collection is an info line');
    const young = youngGeneration(line);
    // start-up grows V8's young generation (semi-spaces of 1 MB at first, 16 MB at most); the collection shrinks it
    assert.ok(young.before > 4 * 1024 * 1024, `start-up left a young generation of only ${young.before} bytes: nothing to give back`);
    assert.ok(young.after < young.before / 4, `the collection kept ${young.after} of ${young.before} bytes of young generation`);
  });
});
