/**
 * CI's short fuzzing budget: every target of `npm run fuzz` with one fixed seed and a fixed number of cases (the
 * whole file stays well under 60 s on 2 cores). A failure prints fast-check's seed and path to replay it with
 * `npm run fuzz -- --target NAME --seed SEED`; every crash found becomes a regression test beside its module's unit tests.
 */
import assert from 'node:assert/strict';
import { TARGETS } from '../../fuzz/targets/index.js';

const SEED = 20261202;

describe('fuzz (fixed seed, CI budget)', function () {
  this.timeout(60_000);
  for (const target of TARGETS) {
    it(`${target.name}: ${target.ciRuns} cases, no crash, hang or memory blow-up - ${target.what}`, async () => {
      await target.setup?.();
      const report = await target.property().check({ seed: SEED, numRuns: target.ciRuns });
      assert.ok(!report.failed, `${target.name} failed (replay: npm run fuzz -- --target ${target.name} --seed ${report.seed}): ${report.error}\ncounterexample: ${report.counterexample.slice(0, 2000)}`);
      assert.equal(report.numRuns, target.ciRuns);

    });
  }
});
