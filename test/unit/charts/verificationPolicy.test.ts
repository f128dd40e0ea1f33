/**
 * The chart's verification policy values (issue 10, section 4): empty by default, so the rendered Policy leaves the
 * built-in defaults in force (Notation signatures any, other types all; see test/unit/config/verificationPolicy.test.ts),
 * and values.schema.json accepts Ratify's `default: all` but refuses anything but all/any.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';

const CHART = join(import.meta.dirname, '..', '..', '..', 'charts', 'signgate');
const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as { config: { artifactVerificationPolicies: unknown } };
const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as object);

function withPolicies(table: unknown): boolean {
  const copy = structuredClone(values);
  copy.config.artifactVerificationPolicies = table;
  return validate(copy);
}

describe('charts/signgate: verification policy values', () => {
  it('are empty by default, so the built-in defaults apply (not a merged map a user cannot switch off)', () => {
    assert.deepEqual(values.config.artifactVerificationPolicies, {});
  });

  it("accept Ratify's `default: all` and per-type entries, and refuse other modes", () => {
    assert.equal(withPolicies({ default: 'all' }), true);
    assert.equal(withPolicies({ 'application/vnd.cncf.notary.signature': 'all', default: 'any' }), true);
    assert.equal(withPolicies({ default: 'some' }), false);
    assert.equal(withPolicies({ '': 'all' }), false);
  });
});
