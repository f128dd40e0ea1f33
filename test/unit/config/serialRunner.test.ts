import assert from 'node:assert/strict';
import { serialRunner } from '../../../provider/src/config/index.js';

describe('config: serialRunner (one reload at a time)', () => {
  it('runs once more for requests made during a run, and every caller gets the covering result', async () => {
    let runs = 0;
    let release: () => void = () => undefined;
    const runner = serialRunner(async () => {
      runs++;
      if (runs === 1) await new Promise<void>((r) => (release = r));
      return runs === 2;
    }, () => false);
    const first = runner.run();
    assert.equal(runner.busy(), true);
    const second = runner.run();
    const third = runner.run();
    release();
    assert.deepEqual(await Promise.all([first, second, third]), [true, true, true]);
    assert.equal(runs, 2, 'two requests during the first run coalesce into one more run');
    assert.equal(runner.busy(), false);
  });

  it('does nothing once closed, and becomes idle again after a failing run', async () => {
    let closed = false;
    const runner = serialRunner(async () => {
      throw new Error('load failed');
    }, () => closed);
    await assert.rejects(runner.run(), /load failed/);
    assert.equal(runner.busy(), false);
    await runner.settled();
    closed = true;
    assert.equal(await runner.run(), false);
  });
});
