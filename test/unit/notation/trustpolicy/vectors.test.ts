/**
 * The trust policies of the reference vectors (../shared/vectors/notation/cases.json): the 11 `trustPolicy` cases
 * must fail at parsing or selection, every other case's policy must parse and select a statement.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NotationError } from '../../../../provider/src/notation/errors.js';
import { parseTrustPolicyDocument, selectStatement } from '../../../../provider/src/notation/trustpolicy/index.js';
import { requireShared } from '../../../support/requirements.js';

const CASES = fileURLToPath(new URL('../../../../../shared/vectors/notation/cases.json', import.meta.url));

interface VectorCase {
  readonly id: string;
  readonly artifactReference: string;
  readonly trustPolicy: unknown;
  readonly expected: { readonly result: string; readonly validation?: string; readonly messageIncludes?: string };
}

function loadCases(): readonly VectorCase[] | undefined {
  if (!existsSync(CASES)) return undefined;
  const parsed = JSON.parse(readFileSync(CASES, 'utf8')) as { cases: VectorCase[] };
  return parsed.cases;
}

describe('notation/trustpolicy: reference vector policies', function () {
  const cases = loadCases();
  function skipWithoutVectors(ctx: Mocha.Context): void {
    requireShared(ctx, CASES);
  }

  it('finds the 11 trustPolicy cases', function () {
    if (cases === undefined) return skipWithoutVectors(this);
    assert.equal(cases.filter((c) => c.expected.validation === 'trustPolicy').length, 11);
  });

  it('rejects the policy of every trustPolicy case with a coded error like notation\'s', function () {
    if (cases === undefined) return skipWithoutVectors(this);
    for (const c of cases.filter((x) => x.expected.validation === 'trustPolicy')) {
      let caught: unknown;
      try {
        selectStatement(parseTrustPolicyDocument(c.trustPolicy), c.artifactReference);
      } catch (err) {
        caught = err;
      }
      assert.ok(caught instanceof NotationError, `${c.id}: expected a NotationError, got ${String(caught)}`);
      assert.ok(['TRUST_POLICY_INVALID', 'TRUST_POLICY_NOT_APPLICABLE'].includes(caught.code), `${c.id}: ${caught.code}`);
      const hint = c.expected.messageIncludes;
      if (hint !== undefined) {
        assert.ok(caught.message.toLowerCase().includes(hint), `${c.id}: ${JSON.stringify(caught.message)} lacks ${JSON.stringify(hint)}`);
      }
      assert.match(caught.message, /statement/, `${c.id}: the message should speak of the statement(s)`);
    }
  });

  it('parses the policy of every other case and selects a statement for its artifact', function () {
    if (cases === undefined) return skipWithoutVectors(this);
    const others = cases.filter((c) => c.expected.validation !== 'trustPolicy');
    assert.ok(others.length > 0);
    for (const c of others) {
      const doc = parseTrustPolicyDocument(c.trustPolicy);
      const s = selectStatement(doc, c.artifactReference);
      assert.equal(s.signatureVerification.level === 'skip', c.expected.result === 'skipped', `${c.id}: level ${s.signatureVerification.level}`);
    }
  });
});
