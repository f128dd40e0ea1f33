import assert from 'node:assert/strict';
import { RegoError, RegoPolicy } from '../../../provider/src/rego/index.js';
import { policy, value } from './helpers.js';

function parseError(source: string): RegoError {
  try {
    RegoPolicy.compile([{ name: 'bad.rego', source }]);
  } catch (e) {
    assert.ok(e instanceof RegoError);
    return e;
  }
  assert.fail('expected a parse error');
}

describe('rego parser', () => {
  it('reports parse errors with file, line and column', () => {
    const e = parseError('package x\n\np {\n  x := [1, 2\n}\n');
    assert.equal(e.code, 'rego_parse_error');
    assert.equal(e.location?.file, 'bad.rego');
    assert.equal(e.location?.row, 5);
    assert.equal(e.location?.col, 1);
    assert.match(e.message, /^bad\.rego:5: rego_parse_error: /);
  });

  it('rejects a module without package, an empty body and unterminated strings', () => {
    assert.equal(parseError('p { true }').code, 'rego_parse_error');
    assert.match(parseError('package x\np {}').message, /found empty body/);
    assert.match(parseError('package x\np := "abc\n').message, /non-terminated string/);
  });

  it('reads v0 syntax: partial sets, partial objects, functions, default, else, incremental bodies', () => {
    const p = policy(`package t
s[x] { x := data.xs[_] }
o[k] = v { some k; v := data.obj[k] }
f(x) = y { y := x * 2 }
default d = "none"
e = "big" { data.n > 10 } else = "small" { true }
inc { false } { true }
`);
    const data = { xs: [1, 2, 2], obj: { a: 1 }, n: 3 };
    assert.deepEqual(value(p, 'data.t.s', { data }), [1, 2]);
    assert.deepEqual(value(p, 'data.t.o', { data }), { a: 1 });
    assert.equal(value(p, 'data.t.f(21)', { data }), 42);
    assert.equal(value(p, 'data.t.d', { data }), 'none');
    assert.equal(value(p, 'data.t.e', { data }), 'small');
    assert.equal(value(p, 'data.t.inc', { data }), true);
  });

  it('reads v1 syntax: if, contains, in, every, ref heads', () => {
    const p = policy(`package t
import rego.v1
names contains n if some n in input.names
all_long if every n in input.names { count(n) > 2 }
a.b.c := 1
has_bob if "bob" in input.names
`);
    const input = { names: ['bob', 'alice'] };
    assert.deepEqual(value(p, 'data.t.names', { input }), ['alice', 'bob']);
    assert.equal(value(p, 'data.t.all_long', { input }), true);
    assert.deepEqual(value(p, 'data.t.a', { input }), { b: { c: 1 } });
    assert.equal(value(p, 'data.t.has_bob', { input }), true);
  });

  it('reports unsafe variables and undefined functions as compile errors', () => {
    assert.throws(() => RegoPolicy.compile([{ name: 'u.rego', source: 'package x\np { y > 1 }' }]), (e: unknown) => e instanceof RegoError && e.code === 'rego_unsafe_var_error' && /var y is unsafe/.test(e.message));
    assert.throws(() => RegoPolicy.compile([{ name: 'f.rego', source: 'package x\np { nosuch(1) }' }]), (e: unknown) => e instanceof RegoError && e.code === 'rego_type_error' && /undefined function nosuch/.test(e.message));
    assert.throws(() => RegoPolicy.compile([{ name: 'a.rego', source: 'package x\np { x := 1; x := 2 }' }]), (e: unknown) => e instanceof RegoError && e.code === 'rego_compile_error');
    assert.throws(() => RegoPolicy.compile([{ name: 'n.rego', source: 'package x\np { count(1, 2, 3) }' }]), (e: unknown) => e instanceof RegoError && e.code === 'rego_type_error' && /count: too many arguments/.test(e.message));
  });
});
