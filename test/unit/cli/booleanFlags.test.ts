import assert from 'node:assert/strict';
import { normalizeBooleanFlags, parseBoolean } from '../../../provider/src/cli/booleanFlags.js';
import { UsageError } from '../../../provider/src/cli/io.js';
import { parseServeArgs, SERVE_FLAGS } from '../../../provider/src/cli/serveArgs.js';

const defaults = (): string => '/embedded/default.yaml';

function serve(argv: string[]): { kubernetes: boolean; dropTag: boolean; address: string } {
  const s = parseServeArgs(argv, {}, defaults);
  assert.ok(s !== 'help');
  return { kubernetes: s.kubernetes, dropTag: s.dropTag, address: s.address };
}

describe('cli: boolean flags bare, --flag=value and --flag value', () => {
  it('the chart\'s spelling (a bare --kubernetes before --address=...) parses; it failed as "argument is ambiguous"', () => {
    assert.deepEqual(serve(['--kubernetes', '--address=0.0.0.0:6001']), { kubernetes: true, dropTag: false, address: '0.0.0.0:6001' });
    assert.deepEqual(serve(['--address=0.0.0.0:6001', '--kubernetes']), { kubernetes: true, dropTag: false, address: '0.0.0.0:6001' });
  });

  for (const [argv, expected] of [
    [['--kubernetes'], true],
    [['--kubernetes=true'], true],
    [['--kubernetes', 'true'], true],
    [['--kubernetes', 'YES'], true],
    [['--kubernetes=1'], true],
    [['--kubernetes=false'], false],
    [['--kubernetes', 'false'], false],
    [['--kubernetes', 'no'], false],
    [['--kubernetes=0'], false],
    [[], false],
  ] as const) {
    it(`${argv.join(' ') || '(absent)'} -> kubernetes ${String(expected)}`, () => {
      assert.equal(serve([...argv]).kubernetes, expected);
    });
  }

  it('--drop-tag takes the same three forms, beside other flags', () => {
    assert.equal(serve(['--drop-tag', '--kubernetes', 'false']).dropTag, true);
    assert.equal(serve(['--drop-tag=false', '--kubernetes']).dropTag, false);
    assert.equal(serve(['--drop-tag', 'true', '--address', '127.0.0.1:1']).dropTag, true);
  });

  it('a bare flag followed by an argument that is no boolean word leaves that argument to the parser (a stray positional is a usage error)', () => {
    assert.throws(() => parseServeArgs(['--kubernetes', 'maybe'], {}, defaults), (e: unknown) => e instanceof UsageError && /maybe/.test(e.message));
    assert.throws(() => parseServeArgs(['--kubernetes=maybe'], {}, defaults), (e: unknown) => e instanceof UsageError && /--kubernetes must be true or false .*got "maybe"/.test(e.message));
    assert.throws(() => parseServeArgs(['--kubernetes='], {}, defaults), (e: unknown) => e instanceof UsageError && /--kubernetes must be true or false/.test(e.message));
  });

  it('every serve flag documented as [true|false] takes all three forms (bare, =value, value), true and false differing', () => {
    const booleans = SERVE_FLAGS.filter((f) => f.value.includes('true|false'));
    assert.ok(booleans.length >= 2);
    for (const f of booleans) {
      assert.equal(f.boolean, true, `--${f.name} is parsed as a boolean flag`);
      const parse = (...argv: string[]): unknown => parseServeArgs([...argv, '--address=127.0.0.1:1'], {}, defaults);
      const bare = parse(`--${f.name}`);
      assert.deepEqual(parse(`--${f.name}=true`), bare, f.name);
      assert.deepEqual(parse(`--${f.name}`, 'true'), bare, f.name);
      assert.deepEqual(parse(`--${f.name}`, 'false'), parse(`--${f.name}=false`), f.name);
      assert.notDeepEqual(parse(`--${f.name}`, 'false'), bare, f.name);
    }
  });

  it('normalizeBooleanFlags rewrites only the named flags, and nothing after --', () => {
    assert.deepEqual(normalizeBooleanFlags(['--a', '--b', 'true', '--a', 'no', '--c', 'true', '--', '--a'], ['a']), ['--a=true', '--b', 'true', '--a=no', '--c', 'true', '--', '--a']);
    assert.equal(parseBoolean('TRUE', '--x'), true);
    assert.throws(() => parseBoolean('on', '--x'), (e: unknown) => e instanceof UsageError && /--x must be true or false/.test(e.message));
  });
});
