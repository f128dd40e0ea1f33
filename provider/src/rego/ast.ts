/** Rego abstract syntax: terms, expressions, rules and modules, as the parser builds and the compiler rewrites them. */
import type { RegoLocation } from './errors.js';
import type { Value } from './value.js';

export type Term =
  | { readonly type: 'scalar'; readonly value: null | boolean | number | string }
  | { readonly type: 'var'; readonly name: string }
  | { readonly type: 'ref'; readonly head: Term; readonly path: readonly Term[] }
  | { readonly type: 'array'; readonly items: readonly Term[] }
  | { readonly type: 'set'; readonly items: readonly Term[] }
  | { readonly type: 'object'; readonly items: readonly (readonly [Term, Term])[] }
  | { readonly type: 'arraycomp' | 'setcomp'; readonly term: Term; readonly body: Body }
  | { readonly type: 'objectcomp'; readonly key: Term; readonly value: Term; readonly body: Body }
  /** `op` is a dotted name (`count`, `object.get`, `data.lib.f`); after compilation user functions start with `data.`. */
  | { readonly type: 'call'; readonly op: string; readonly args: readonly Term[]; readonly loc?: RegoLocation }
  /** A constant folded by the compiler (never produced by the parser). */
  | { readonly type: 'value'; readonly value: Value };

export interface With {
  readonly target: Term;
  readonly value: Term;
}

export type ExprKind =
  | { readonly kind: 'term'; readonly term: Term }
  | { readonly kind: 'unify'; readonly left: Term; readonly right: Term }
  | { readonly kind: 'assign'; readonly left: Term; readonly right: Term }
  | { readonly kind: 'somedecl'; readonly vars: readonly string[] }
  | { readonly kind: 'somein'; readonly key: Term | undefined; readonly value: Term; readonly domain: Term }
  | { readonly kind: 'every'; readonly key: Term | undefined; readonly value: Term; readonly domain: Term; readonly body: Body };

export type Expr = ExprKind & {
  readonly negated: boolean;
  readonly withs: readonly With[];
  readonly loc: RegoLocation;
};

export type Body = readonly Expr[];

export interface RuleHead {
  /** The head reference: first element is the rule name (a string scalar), the rest any terms. */
  readonly ref: readonly Term[];
  /** Set-rule element (`p[x]` in v0 without a value, or `p contains x`). */
  readonly key: Term | undefined;
  readonly value: Term | undefined;
  readonly args: readonly Term[] | undefined;
  readonly assign: boolean;
}

export interface Rule {
  readonly head: RuleHead;
  readonly body: Body;
  readonly isDefault: boolean;
  readonly elses: readonly { readonly value: Term | undefined; readonly body: Body; readonly loc: RegoLocation }[];
  readonly loc: RegoLocation;
}

export interface Import {
  readonly path: Term;
  readonly alias: string | undefined;
  readonly loc: RegoLocation;
}

export interface Module {
  readonly file: string;
  readonly pkg: readonly string[];
  readonly imports: readonly Import[];
  readonly rules: readonly Rule[];
  readonly regoV1: boolean;
}

export const scalar = (value: null | boolean | number | string): Term => ({ type: 'scalar', value });
export const vr = (name: string): Term => ({ type: 'var', name });
