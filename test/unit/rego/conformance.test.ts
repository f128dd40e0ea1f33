import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runConformance, summarize } from '../../../provider/src/rego/index.js';
import { requireShared } from '../../support/requirements.js';

const CASES = join(process.cwd(), '..', 'shared', 'opa-cases');

describe('rego conformance (a few core folders of OPA\'s own cases)', function () {
  beforeEach(function () {
    requireShared(this, CASES);
  });

  for (const folder of ['completedoc', 'partialsetdoc', 'elsekeyword', 'negation', 'every', 'defaultkeyword', 'objectget']) {
    it(`passes every case in ${folder}`, function () {
      requireShared(this, join(CASES, folder));
      const outcomes = runConformance(join(CASES, folder));
      const failed = outcomes.filter((o) => o.status !== 'pass');
      assert.ok(outcomes.length > 0);
      assert.deepEqual(failed.map((o) => `${o.note}: ${o.reason}`), []);
    });
  }

  it('summarizes with a goal line and a last count line', function () {
    requireShared(this, join(CASES, 'sets'));
    const s = summarize(runConformance(join(CASES, 'sets')));
    assert.equal(s.failed, 0);
    assert.match(s.lines[s.lines.length - 1] ?? '', /^\d+ passed, 0 failed, 0 skipped$/);
    assert.equal(s.goalsMet, true);
  });
});
