import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runConformance, summarize } from '../../../provider/src/rego/index.js';

const CASES = join(process.cwd(), '..', 'shared', 'opa-cases');

/** Skips visibly: the reason goes into the test title that the reporter prints. */
function skipBecause(ctx: Mocha.Context, reason: string): void {
  const t = ctx.currentTest ?? ctx.test;
  if (t) t.title += ` (skipped: ${reason})`;
  ctx.skip();
}

describe('rego conformance (a few core folders of OPA\'s own cases)', function () {
  beforeEach(function () {
    if (!existsSync(CASES)) skipBecause(this, `${CASES} is absent`);
  });

  for (const folder of ['completedoc', 'partialsetdoc', 'elsekeyword', 'negation', 'every', 'defaultkeyword', 'objectget']) {
    it(`passes every case in ${folder}`, function () {
      if (!existsSync(join(CASES, folder))) skipBecause(this, `${folder} is absent`);
      const outcomes = runConformance(join(CASES, folder));
      const failed = outcomes.filter((o) => o.status !== 'pass');
      assert.ok(outcomes.length > 0);
      assert.deepEqual(failed.map((o) => `${o.note}: ${o.reason}`), []);
    });
  }

  it('summarizes with a goal line and a last count line', function () {
    if (!existsSync(join(CASES, 'sets'))) skipBecause(this, 'sets is absent');
    const s = summarize(runConformance(join(CASES, 'sets')));
    assert.equal(s.failed, 0);
    assert.match(s.lines[s.lines.length - 1] ?? '', /^\d+ passed, 0 failed, 0 skipped$/);
    assert.equal(s.goalsMet, true);
  });
});
