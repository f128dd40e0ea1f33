import assert from 'node:assert/strict';
import { parse, YAMLParseError } from 'yaml';
import { relaxQuotedIndent } from '../../../provider/src/rego/index.js';

describe('YAML read the way Go reads it', () => {
  it('accepts a quoted scalar whose continuation line is not indented past its key', () => {
    const text = 'spec:\n  description: "When set to `true` the TLS is optional, defaults\n  to false."\n  other: 1\n';
    // the yaml package alone refuses it (Go's parser accepts it): the closing quote is looked for on the first line
    assert.throws(() => parse(text), (e: unknown) => e instanceof YAMLParseError && e.code === 'MISSING_CHAR' && /Missing closing "quote at line 2/.test(e.message));
    assert.deepEqual(parse(relaxQuotedIndent(text)), { spec: { description: 'When set to `true` the TLS is optional, defaults to false.', other: 1 } });
  });

  it('leaves valid YAML unchanged', () => {
    const text = 'a: "one line"\nb: |\n  block\n';
    assert.equal(relaxQuotedIndent(text), text);
  });
});
