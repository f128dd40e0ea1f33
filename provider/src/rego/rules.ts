/**
 * Virtual documents: walking `data` through the rule tree, memoized rule values (complete, partial set, partial
 * object, ref heads with vars), conflict detection, defaults, `else` chains and user functions.
 */
import { RegoError } from './errors.js';
import type { Body, Term } from './ast.js';
import type { CompiledRule, RuleNode } from './compiledTypes.js';
import type { Value } from './value.js';
import { RObject, RSet, equal, isObject, keyOf } from './value.js';
import { pathKey } from './context.js';
import type { Env, Evaluator, VK } from './eval.js';

/** Walks `data` from `node` (virtual) and `base` (base document at the same path). */
export function dataWalk(ev: Evaluator, node: RuleNode | undefined, base: Value | undefined, path: readonly Term[], i: number, env: Env, k: VK): boolean {
  if (!node) return base === undefined ? false : ev.walk(base, path, i, env, k);
  const ov = ev.ctx.overrides?.get(pathKey(node.path));
  if (ov !== undefined) return ev.walk(ov, path, i, env, k);
  if (node.rules.length > 0 || i === path.length) {
    const v = nodeValue(ev, node, base);
    return v === undefined ? false : ev.walk(v, path, i, env, k);
  }
  const seg = path[i] as Term;
  const step = (key: Value): boolean => {
    if (typeof key !== 'string') return base === undefined ? false : ev.walk(base, path, i, env, k);
    const child = node.children.get(key);
    const childBase = isObject(base) ? base.get(key) : undefined;
    return dataWalk(ev, child, childBase, path, i + 1, env, k);
  };
  if (ev.hasUnbound(seg, env)) {
    const keys = new Set<string>(node.children.keys());
    if (isObject(base)) for (const kk of base.keys()) if (typeof kk === 'string') keys.add(kk);
    for (const key of keys) if (ev.unifyValue(seg, key, env, () => step(key))) return true;
    return false;
  }
  return ev.term(seg, env, step);
}

/** The value of the document at `node` (memoized per context); undefined when nothing defines it. */
export function nodeValue(ev: Evaluator, node: RuleNode, base: Value | undefined): Value | undefined {
  const ov = ev.ctx.overrides?.get(pathKey(node.path));
  if (ov !== undefined) return ov;
  if (!node.hasRules()) return base !== undefined || node.funcs.length > 0 ? base : packageValue(ev, node, base);
  const cached = ev.ctx.cache.get(node);
  if (cached) return cached.v;
  if (ev.ctx.inProgress.has(node)) throw new RegoError('rego_recursion_error', `rule data.${node.path.join('.')} is recursive`);
  if (++ev.depth > ev.ctx.limits.maxDepth) throw new RegoError('eval_internal_error', `evaluation deeper than ${ev.ctx.limits.maxDepth} rules`);
  ev.ctx.inProgress.add(node);
  let v: Value | undefined;
  try {
    v = node.rules.length > 0 ? virtualValue(ev, node) : packageValue(ev, node, base);
  } finally {
    ev.ctx.inProgress.delete(node);
    ev.depth--;
  }
  ev.ctx.cache.set(node, { v });
  return v;
}

function packageValue(ev: Evaluator, node: RuleNode, base: Value | undefined): Value | undefined {
  const out = new RObject(isObject(base) ? base.entries() : []);
  for (const [name, child] of node.children) {
    if (child.funcs.length > 0 && !child.hasRules()) continue;
    const cv = nodeValue(ev, child, isObject(base) ? base.get(name) : undefined);
    if (cv !== undefined) out.set(name, cv);
  }
  return out;
}

interface VTree { leaf?: Value; set?: RSet; kids?: Map<string, { key: Value; tree: VTree }> }

const conflict = (msg: string, loc?: CompiledRule['loc']): never => { throw new RegoError('eval_conflict_error', msg, loc); };

function insert(root: VTree, keys: readonly Value[], value: Value, isSet: boolean, what: string): void {
  let t = root;
  for (const key of keys) {
    if (t.leaf !== undefined || t.set) conflict(`${what}: object keys must be unique`);
    t.kids ??= new Map();
    const kk = keyOf(key);
    let next = t.kids.get(kk);
    if (!next) { next = { key, tree: {} }; t.kids.set(kk, next); }
    t = next.tree;
  }
  if (isSet) {
    if (t.kids || t.leaf !== undefined) conflict(`${what}: object keys must be unique`);
    (t.set ??= new RSet()).add(value);
    return;
  }
  if (t.kids || t.set) conflict(`${what}: object keys must be unique`);
  if (t.leaf !== undefined && !equal(t.leaf, value)) conflict(`${what}: ${keys.length === 0 ? 'complete rules must not produce multiple outputs' : 'object keys must be unique'}`);
  t.leaf = value;
}

function toValue(t: VTree): Value | undefined {
  if (t.leaf !== undefined) return t.leaf;
  if (t.set) return t.set;
  if (!t.kids) return undefined;
  const o = new RObject();
  for (const { key, tree } of t.kids.values()) { const v = toValue(tree); if (v !== undefined) o.set(key, v); }
  return o;
}

function virtualValue(ev: Evaluator, node: RuleNode): Value | undefined {
  const root: VTree = {};
  const what = `data.${node.path.join('.')}`;
  for (const r of node.rules) {
    if (r.kind === 'set' && r.rest.length === 0) root.set ??= new RSet();
    if (r.kind === 'object') root.kids ??= new Map();
  }
  const visit = (n: RuleNode, rel: readonly string[]): void => {
    const complete = n.rules.filter((r) => r.kind === 'complete');
    if (complete.length > 0) {
      const v = completeValue(ev, complete);
      if (v !== undefined) insert(root, rel, v, false, what);
    }
    for (const r of n.rules) {
      if (r.kind === 'complete') continue;
      ruleSolutions(ev, r, r.body, (env) => ev.list(r.rest, 0, env, [], (keys) => {
        if (r.kind === 'set') return ev.term(r.key as Term, env, (el) => { insert(root, [...rel, ...keys], el, true, what); return false; });
        return ev.term(r.value, env, (v) => { insert(root, [...rel, ...keys], v, false, what); return false; });
      }));
    }
    for (const [name, c] of n.children) visit(c, [...rel, name]);
  };
  visit(node, []);
  return toValue(root);
}

function ruleSolutions(ev: Evaluator, _r: CompiledRule, body: Body, f: (env: Env) => boolean, env: Env = new Map()): boolean {
  return ev.body(body, 0, env, () => f(env));
}

/** Value of a group of complete rules at one path: distinct outputs conflict; `else` chains; default last. */
function completeValue(ev: Evaluator, rules: readonly CompiledRule[]): Value | undefined {
  let result: Value | undefined;
  for (const r of rules) {
    if (r.isDefault) continue;
    const v = firstBodyValue(ev, r, new Map(), (_e, kk) => kk());
    if (v === undefined) continue;
    if (result !== undefined && !equal(result, v)) conflict('complete rules must not produce multiple outputs', r.loc);
    result = v;
  }
  if (result !== undefined) return result;
  const def = rules.find((r) => r.isDefault);
  if (!def) return undefined;
  let dv: Value | undefined;
  ev.term(def.value, new Map(), (v) => { dv = v; return true; });
  return dv;
}

/** Evaluates a rule body, then its `else` bodies in order; the first that succeeds gives the value. */
function firstBodyValue(ev: Evaluator, r: CompiledRule, env: Env, prepare: (env: Env, k: () => boolean) => boolean): Value | undefined {
  const chain = [{ value: r.value, body: r.body }, ...r.elses];
  for (const { value, body } of chain) {
    let out: Value | undefined;
    prepare(env, () => ev.body(body, 0, env, () => ev.term(value, env, (v) => {
      if (out !== undefined && !equal(out, v)) conflict(r.kind === 'function' ? 'functions must not produce multiple outputs for same inputs' : 'complete rules must not produce multiple outputs', r.loc);
      out = v;
      return value.type === 'scalar' || (r.kind !== 'function' && chain.length > 1);
    })));
    if (out !== undefined) return out;
  }
  return undefined;
}

/** Calls the user function at `op` (`data.pkg.f`) with evaluated args. */
export function callFunction(ev: Evaluator, op: string, args: readonly Value[], k: VK): boolean {
  const node = ev.ctx.program.root.find(op.split('.').slice(1));
  if (!node || node.funcs.length === 0) throw new RegoError('rego_type_error', `undefined function ${op}`);
  const ck = op + '\u0000' + keyOf(args);
  let hit = ev.ctx.fcache.get(ck);
  if (!hit) {
    if (++ev.depth > ev.ctx.limits.maxDepth) throw new RegoError('eval_internal_error', `function calls nested deeper than ${ev.ctx.limits.maxDepth}`);
    try {
      let result: Value | undefined;
      for (const r of node.funcs) {
        if (r.isDefault) continue;
        const params = r.args ?? [];
        if (params.length !== args.length) continue;
        const bind = (env: Env, kk: () => boolean): boolean => {
          const step = (i: number): boolean => (i === params.length ? kk() : ev.unifyValue(params[i] as Term, args[i] as Value, env, () => step(i + 1)));
          return step(0);
        };
        const v = firstBodyValue(ev, r, new Map(), bind);
        if (v === undefined) continue;
        if (result !== undefined && !equal(result, v)) conflict('functions must not produce multiple outputs for same inputs', r.loc);
        result = v;
      }
      const def = node.funcs.find((r) => r.isDefault);
      if (result === undefined && def) ev.term(def.value, new Map(), (v) => { result = v; return true; });
      hit = { v: result };
    } finally {
      ev.depth--;
    }
    ev.ctx.fcache.set(ck, hit);
  }
  return hit.v === undefined ? false : k(hit.v);
}
