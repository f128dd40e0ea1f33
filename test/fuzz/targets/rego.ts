/**
 * Rego lexer, parser, compiler and evaluator: token soup and mutated valid policies, compiled and evaluated under the
 * engine's own time and depth bounds. RegoError / BuiltinError only; no case past the harness's hang bound.
 */
import fc from 'fast-check';
import { BuiltinError, RegoError, RegoPolicy } from '../../../provider/src/rego/index.js';
import { checkable, mutatedBytes, typedOnly, type FuzzTarget } from '../harness.js';

const typed = (e: unknown): boolean => e instanceof RegoError || e instanceof BuiltinError;

const VALID = `package fuzz
import future.keywords.in
import future.keywords.if

default allow := false

allow if {
  some c in input.review.object.spec.containers
  startswith(c.image, "registry.example.com/")
  count([x | x := input.review.object.spec.containers[_]; x.name != ""]) > 0
}

violation[{"msg": msg}] {
  c := input.review.object.spec.containers[_]
  not allowed(c.image)
  msg := sprintf("image %v is not allowed", [c.image])
}

allowed(img) { endswith(img, ":v1") }
allowed(img) { regex.match("^[a-z]+@sha256:[a-f0-9]{64}$", img) }

fib(n) = 1 { n <= 1 }
fib(n) = r { n > 1; r := fib(n - 1) + fib(n - 2) }
big := [y | y := numbers.range(0, 50)[_] * 2]
`;
const TOKENS = ['package', 'fuzz', 'import', 'default', 'allow', ':=', '=', '==', '{', '}', '[', ']', '(', ')', 'some', 'in', 'every', 'not', 'with', 'as', 'if', 'contains', 'else', 'input', 'data', '_', '.', ',', ';', '|', '\n', ' ', '"s"', '`r`', '1', '-1e9', 'x', 'y', 'count', 'sum', 'walk', 'numbers.range', 'sprintf', 'regex.match', 'glob.match', 'http.send', 'true', 'null', '#', '&', '+', '*', '/', '%'];
const soup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((t) => `package fuzz\n${t.join(' ')}`);
const input = { review: { object: { spec: { containers: [{ name: 'a', image: 'registry.example.com/app:v1' }, { name: 'b', image: 'evil/app' }] } } } };

export const regoTarget: FuzzTarget = {
  name: 'rego',
  what: 'rego: lexer/parser/compiler on token soup and mutated policies; evaluation under timeoutMs and maxDepth',
  ciRuns: 600,
  property: () =>
    checkable(fc.property(
      fc.oneof(soup, mutatedBytes(() => new TextEncoder().encode(VALID)).map((b) => Buffer.from(b).toString('utf8')), fc.string({ maxLength: 200 })),
      (source) => {
        const policy = typedOnly(typed, () => RegoPolicy.compile([{ name: 'fuzz.rego', source }]));
        if (policy === undefined) return;
        for (const query of ['data.fuzz.allow', 'data.fuzz.violation', 'data.fuzz']) {
          typedOnly(typed, () => policy.query(query, { input, timeoutMs: 250, maxDepth: 200, nowNs: () => 1_700_000_000_000_000_000 }));
        }
      },
    )),
};
