import assert from 'node:assert/strict';
import { RegoError, RegoPolicy } from '../../../provider/src/rego/index.js';
import { expr, policy, results, value } from './helpers.js';

describe('rego evaluation', () => {
  it('keeps undefined apart from false', () => {
    const p = policy(`package t
f { input.x == 1 }
g = false { true }
h { not input.missing }
`);
    assert.equal(value(p, 'data.t.f', { input: { x: 2 } }), undefined);
    assert.equal(value(p, 'data.t.g', {}), false);
    assert.equal(value(p, 'data.t.h', { input: {} }), true);
    assert.deepEqual(results(p, 'data.t.g == false', {}), [{}]);
    assert.deepEqual(results(p, 'data.t.f', { input: { x: 2 } }), []);
  });

  it('returns one binding per solution of a query', () => {
    const p = policy('package t\n');
    assert.deepEqual(results(p, 'x := [1, 2, 3][_]; x > 1'), [{ x: 2 }, { x: 3 }]);
  });

  it('overrides input, data, rules and functions with `with`', () => {
    const p = policy(`package t
p = input.a
q = data.t.r
r = 1
f(x) = x + 1
g(x) = x * 10
call = f(1)
`);
    assert.equal(value(p, 'data.t.p with input.a as 7'), 7);
    assert.equal(value(p, 'data.t.q with data.t.r as 5'), 5);
    assert.equal(value(p, 'data.t.call with data.t.f as data.t.g'), 10);
    assert.equal(value(p, 'data.t.call with data.t.f as 99'), 99);
    assert.equal(value(p, 'count([1]) with count as 5'), 5);
    assert.equal(value(p, 'data.t.call'), 2, 'with does not leak past its expression');
  });

  it('raises conflicts like OPA', () => {
    const p = policy(`package t
c = x { x := [1, 2][_] }
o[k] = v { k := "a"; v := [1, 2][_] }
`);
    assert.throws(() => value(p, 'data.t.c'), (e: unknown) => e instanceof RegoError && e.code === 'eval_conflict_error');
    assert.throws(() => value(p, 'data.t.o'), (e: unknown) => e instanceof RegoError && e.code === 'eval_conflict_error');
  });

  it('makes builtin errors undefined unless strict', () => {
    assert.equal(expr('1 / 0'), undefined);
    assert.throws(() => expr('1 / 0', { strict: true }), (e: unknown) => e instanceof RegoError && e.code === 'eval_builtin_error' && /divide by zero/.test(e.message));
    assert.throws(() => expr('count(1)', { strict: true }), (e: unknown) => e instanceof RegoError && e.code === 'eval_type_error');
  });

  it('reports recursion at compile time with its cycle', () => {
    assert.throws(() => policy('package t\na = b\nb = a\n'), (e: unknown) => e instanceof RegoError && e.code === 'rego_recursion_error'
      && /data\.t\.a -> data\.t\.b -> data\.t\.a/.test(e.message));
    assert.throws(() => policy('package t\nf(x) = y { y := f(x) }\n'), (e: unknown) => e instanceof RegoError && e.code === 'rego_recursion_error');
  });

  it('memoizes rules: a rule used many times is evaluated once', () => {
    let calls = 0;
    const p = RegoPolicy.compile([{ name: 'm.rego', source: 'package t\nbase = tick(1)\nall = [base | numbers.range(1, 100)[_]]\n' }], {
      builtins: { tick: { arity: 1, fn: () => { calls++; return 1; } } },
    });
    assert.equal((p.evalRef('data.t.all') as unknown[]).length, 100);
    assert.equal(calls, 1);
  });

  it('stops evaluation at the time limit', () => {
    const p = policy('package t\nslow = count([1 | numbers.range(1, 200)[_]; numbers.range(1, 200)[_]; numbers.range(1, 200)[_]])\n');
    assert.throws(() => value(p, 'data.t.slow', { timeoutMs: 20 }), (e: unknown) => e instanceof RegoError && e.code === 'eval_cancel_error');
  });

  it('evaluates comprehensions, some-in, every and object patterns', () => {
    const p = policy(`package t
import future.keywords
evens := {x | some x in input.xs; x % 2 == 0}
pairs := [[k, v] | some k, v in input.obj]
ok if every x in input.xs { x > 0 }
m if { {"a": a, "b": 2} = {"a": 1, "b": b}; a == 1; b == 2 }
`);
    const input = { xs: [1, 2, 4], obj: { y: 2, x: 1 } };
    assert.deepEqual(value(p, 'data.t.evens', { input }), [2, 4]);
    assert.deepEqual(value(p, 'data.t.pairs', { input }), [['x', 1], ['y', 2]], 'input objects iterate in key order, like OPA');
    assert.equal(value(p, 'data.t.ok', { input }), true);
    assert.equal(value(p, 'data.t.m', { input }), true);
  });

  it('plugs in host builtins', () => {
    const p = RegoPolicy.compile([{ name: 'h.rego', source: 'package t\nx = lookup("k")\n' }], {
      builtins: { lookup: { arity: 1, fn: (args, ctx) => `${String(args[0])}=${String(ctx.host)}` } },
    });
    assert.equal(p.evalRef('data.t.x', { host: 'v' }), 'k=v');
  });
});
