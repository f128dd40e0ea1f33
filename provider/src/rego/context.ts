/** Evaluation context (input, data, `with` overrides, caches, limits) and how `with` derives a new one. */
import type { Expr, Term } from './ast.js';
import type { BuiltinContext, BuiltinTable } from './builtins/types.js';
import type { RuleNode } from './compiledTypes.js';
import type { Value } from './value.js';
import { RObject, isObject } from './value.js';
import type { Env, Evaluator } from './eval.js';

export interface Program {
  readonly root: RuleNode;
  readonly builtins: BuiltinTable;
  arityOf(op: string): number | undefined;
}

export interface Limits {
  readonly strict: boolean;
  readonly deadline: number | undefined;
  readonly timeoutMs: number | undefined;
  readonly maxDepth: number;
}

export interface EvalContext {
  readonly program: Program;
  readonly input: Value | undefined;
  readonly data: Value;
  /** `with data.x as v` on virtual documents: joined path -> value. */
  readonly overrides: ReadonlyMap<string, Value> | undefined;
  /** `with f as g`: function name -> replacement (a call term naming a function, or a value term). */
  readonly funcOverrides: ReadonlyMap<string, Term> | undefined;
  readonly cache: Map<RuleNode, { readonly v: Value | undefined }>;
  readonly fcache: Map<string, { readonly v: Value | undefined }>;
  readonly inProgress: Set<RuleNode>;
  readonly limits: Limits;
  readonly bctx: BuiltinContext;
}

export function newContext(base: Omit<EvalContext, 'cache' | 'fcache' | 'inProgress'>): EvalContext {
  return { ...base, cache: new Map(), fcache: new Map(), inProgress: new Set() };
}

export const pathKey = (path: readonly string[]): string => path.join('\u0000');

export function setPath(v: Value | undefined, path: readonly Value[], value: Value): Value {
  if (path.length === 0) return value;
  const base = isObject(v) ? v : new RObject();
  const copy = new RObject(base.entries());
  const [p0, ...rest] = path as [Value, ...Value[]];
  copy.set(p0, setPath(base.get(p0), rest, value));
  return copy;
}

/** Evaluates the `with` modifiers of `e` and calls `run` once with the derived context. */
export function withContext(ev: Evaluator, e: Expr, env: Env, run: (ctx: EvalContext) => void): void {
  const ctx = ev.ctx;
  let input = ctx.input;
  let data = ctx.data;
  const overrides = new Map(ctx.overrides ?? []);
  const funcs = new Map(ctx.funcOverrides ?? []);
  const step = (i: number): boolean => {
    if (i === e.withs.length) {
      run({ ...ctx, input, data, overrides, funcOverrides: funcs, cache: new Map(), fcache: new Map(), inProgress: new Set() });
      return true;
    }
    const w = e.withs[i] as Expr['withs'][number];
    const target = w.target;
    if (target.type === 'call') {
      funcs.set(target.op, functionValue(ev, w.value) ?? w.value);
      return step(i + 1);
    }
    const head = target.type === 'ref' ? target.head : target;
    const segs = target.type === 'ref' ? target.path : [];
    return ev.list(segs, 0, env, [], (path) => ev.term(w.value, env, (value) => {
      if (head.type === 'var' && head.name === 'input') input = setPath(input, path, value);
      else {
        const strPath = path.map((p) => (typeof p === 'string' ? p : JSON.stringify(p)));
        if (ctx.program.root.find(strPath) && strPath.length > 0) overrides.set(pathKey(strPath), value);
        else data = setPath(data, path, value);
      }
      return step(i + 1);
    }));
  };
  step(0);
}

function functionValue(ev: Evaluator, t: Term): Term | undefined {
  let name: string | undefined;
  if (t.type === 'var') name = t.name;
  else if (t.type === 'ref' && t.head.type === 'var' && t.path.every((p) => p.type === 'scalar' && typeof p.value === 'string')) {
    name = [t.head.name, ...t.path.map((p) => String(p.type === 'scalar' ? p.value : ''))].join('.');
  }
  if (name === undefined) return undefined;
  if (name.startsWith('$func.')) name = name.slice(6);
  if (ev.ctx.program.arityOf(name) !== undefined) return { type: 'call', op: name, args: [] };
  return undefined;
}
