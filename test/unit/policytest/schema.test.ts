/**
 * Constraint parameters against a template's openAPIV3Schema: pattern, maxLength and maxItems, the checks the
 * API server's structural schema makes and gator reports as an invalid constraint.
 */
import assert from 'node:assert/strict';
import { validateParameters } from '../../../provider/src/policytest/schema.js';

const schema = {
  type: 'object',
  properties: {
    repos: { type: 'array', maxItems: 2, items: { type: 'string', maxLength: 12, pattern: '^[a-z]+/[a-z]+$' } },
    broken: { type: 'string', pattern: '(' },
  },
};

describe('policytest constraint parameter schema: pattern, maxLength, maxItems', () => {
  it('accepts values that match the pattern within the bounds', () => {
    assert.deepEqual(validateParameters(schema, { repos: ['a/b', 'team/app'] }), []);
  });

  it('refuses a string that does not match the pattern, naming the path, the value and the pattern', () => {
    assert.deepEqual(validateParameters(schema, { repos: ['a/b', 'Team/app'] }), [
      `spec.parameters.repos[1]: Invalid value: "Team/app": spec.parameters.repos[1] in body should match '^[a-z]+/[a-z]+$'`,
    ]);
  });

  it('applies the pattern unanchored, as the API server does', () => {
    const loose = { type: 'string', pattern: '[a-z]/' };
    assert.deepEqual(validateParameters(loose, 'X a/ Y'), []);
    assert.equal(validateParameters(loose, 'XY').length, 1);
  });

  it('refuses a string longer than maxLength, counting characters', () => {
    assert.deepEqual(validateParameters(schema, { repos: ['abcdef/abcdefg'] }), [
      'spec.parameters.repos[0]: Too long: may not be longer than 12',
    ]);
    assert.deepEqual(validateParameters({ type: 'string', maxLength: 2 }, '\u00e9\u00e9'), []);
  });

  it('refuses an array with more than maxItems items', () => {
    assert.deepEqual(validateParameters(schema, { repos: ['a/b', 'c/d', 'e/f'] }), ['spec.parameters.repos: Too many: 3: must have at most 2 items']);
  });

  it('reports a pattern that is not a regular expression instead of accepting the value', () => {
    const errs = validateParameters(schema, { broken: 'x' });
    assert.equal(errs.length, 1);
    assert.match(errs[0] ?? '', /^spec\.parameters\.broken: the template's schema pattern "\(" is not a valid regular expression: /);
  });
});
