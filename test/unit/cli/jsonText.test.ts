import assert from 'node:assert/strict';
import { jsonSyntaxProblem, lineAndColumn } from '../../../provider/src/jsonText.js';

function problem(text: string): string {
  try {
    JSON.parse(text);
  } catch (err) {
    return jsonSyntaxProblem(text, err);
  }
  return assert.fail(`${JSON.stringify(text)} parsed`);
}

describe('JSON syntax errors: line and column', () => {
  it('counts lines and columns from 1', () => {
    assert.deepEqual(lineAndColumn('ab\ncd', 0), { line: 1, column: 1 });
    assert.deepEqual(lineAndColumn('ab\ncd', 4), { line: 2, column: 2 });
  });

  it('points at the offending character whether or not V8 reports a position', () => {
    assert.equal(problem('{\n  "version": "1.0",\n}'), 'line 3, column 1: expected double-quoted property name');
    assert.equal(problem('{\n  "version": "1.0"\n  "trustPolicies": []}'), "line 3, column 3: expected ',' or '}' after property value");
    assert.match(problem('{"level": tru}'), /^line 1, column 14: unexpected token '\}'$/);
    assert.match(problem('[1, 2]\nx'), /^line 2, column 1: unexpected non-whitespace character after JSON$/);
  });

  it('says when the text ends too soon', () => {
    assert.equal(problem(''), 'line 1, column 1: the text ends before the JSON value is complete');
    assert.match(problem('{"a": [1,\n2'), /^line 2, column 2: /);
  });
});
