/**
 * Compiler: parsed modules -> rule tree. Resolves names (resolve.ts), orders bodies for safety (safety.ts),
 * classifies rules (complete, partial set, partial object / ref head with vars, function) and checks arity.
 */
import { RegoError } from './errors.js';
import type { Body, Module, Rule, Term } from './ast.js';
import { scalar, vr } from './ast.js';
import type { BuiltinTable } from './builtins/types.js';
import { type CompiledRule, RuleNode } from './compiledTypes.js';
import { Resolver, patternVarNames, type ResolveEnv } from './resolve.js';
import { Safety, termVars } from './safety.js';
import { checkRecursion } from './recursion.js';

export interface CompiledProgram {
  readonly root: RuleNode;
  readonly builtins: BuiltinTable;
  arityOf(op: string): number | undefined;
}

export function compileModules(modules: readonly Module[], builtins: BuiltinTable): CompiledProgram {
  const root = new RuleNode([]);
  const ruleNames = new Map<string, Set<string>>();
  const funcArity = new Map<string, number>();
  for (const m of modules) {
    const names = ruleNames.get(m.pkg.join('.')) ?? new Set<string>();
    ruleNames.set(m.pkg.join('.'), names);
    for (const r of m.rules) {
      const first = r.head.ref[0];
      if (first?.type === 'scalar') names.add(String(first.value));
      if (r.head.args) {
        const path = ['data', ...m.pkg, ...r.head.ref.map((t) => (t.type === 'scalar' ? String(t.value) : '?'))].join('.');
        const prev = funcArity.get(path);
        if (prev !== undefined && prev !== r.head.args.length) throw new RegoError('rego_type_error', `function ${path} has arity ${r.head.args.length}, but previously had ${prev}`, r.loc);
        funcArity.set(path, r.head.args.length);
      }
    }
  }
  const arityOf = (op: string): number | undefined => funcArity.get(op) ?? builtins[op]?.arity;
  const safety = new Safety(arityOf);
  for (const m of modules) {
    const pkg = m.pkg;
    pkg.reduce((n, p) => n.child(p), root);
    const imports = new Map<string, Term>();
    for (const imp of m.imports) {
      const t = imp.path;
      const head = t.type === 'ref' ? t.head : t;
      if (head.type !== 'var' || (head.name !== 'data' && head.name !== 'input')) continue;
      const last = t.type === 'ref' ? t.path[t.path.length - 1] : undefined;
      const alias = imp.alias ?? (last?.type === 'scalar' ? String(last.value) : head.name);
      imports.set(alias, t);
    }
    const env: ResolveEnv = {
      pkg,
      ruleNames: ruleNames.get(m.pkg.join('.')) ?? new Set(),
      imports,
      isFunction: (p) => funcArity.has(p),
      isBuiltin: (n) => builtins[n] !== undefined,
      arityOf,
    };
    for (const r of m.rules) {
      const cr = compileRule(r, pkg, env, safety, arityOf);
      const node = root.find(cr.path) ?? cr.path.reduce((n, p) => n.child(p), root);
      (cr.kind === 'function' ? node.funcs : node.rules).push(cr);
      if (cr.kind === 'function' && cr.args?.length === 0) node.rules.push({ ...cr, kind: 'complete' });
    }
  }
  checkRecursion(root);
  return { root, builtins, arityOf };
}

function compileRule(r: Rule, pkg: readonly string[], env: ResolveEnv, safety: Safety, arityOf: (op: string) => number | undefined): CompiledRule {
  const res = new Resolver(env);
  const part = (body: Body, value: Term | undefined, extraHead: readonly Term[]): { body: Body; value: Term; head: Term[] } => {
    const scope = res.newScope();
    const args = (r.head.args ?? []).map((a) => { res.declarePlain(scope, a); return res.term(a, scope); });
    const rbody = res.body(body, scope);
    const rvalue = res.term(value ?? scalar(true), scope);
    const head = extraHead.map((t) => res.term(t, scope));
    const argVars = new Set<string>();
    for (const a of args) for (const v of termVars(a)) argVars.add(v);
    const visible = new Set([...argVars, ...[rvalue, ...head].flatMap((t) => [...termVars(t)])]);
    const ordered = safety.order(rbody, argVars, visible);
    const all = new Set([...visible, ...ordered.bound]);
    const value2 = safety.nestedTerm(rvalue, all);
    const head2 = head.map((t) => safety.nestedTerm(t, all));
    safety.checkHead([value2, ...head2], ordered.bound);
    return { body: ordered.body, value: value2, head: [...args, ...head2] };
  };
  const fullRef = [...pkg.map(scalar), ...r.head.ref];
  let n = 0;
  while (n < fullRef.length) {
    const t = fullRef[n] as Term;
    if (t.type !== 'scalar' || typeof t.value !== 'string') break;
    n++;
  }
  if (r.head.args && n < fullRef.length) throw new RegoError('rego_parse_error', 'function names must be ground refs', r.loc);
  const path = fullRef.slice(0, n).map((t) => String(t.type === 'scalar' ? t.value : ''));
  const restRaw = fullRef.slice(n);
  const extra = [...restRaw, ...(r.head.key ? [r.head.key] : [])];
  const main = part(r.body, r.head.value, extra);
  const argCount = r.head.args?.length ?? 0;
  const rest = main.head.slice(argCount, argCount + restRaw.length);
  const key = r.head.key ? main.head[argCount + restRaw.length] : undefined;
  const elses = r.elses.map((e) => { const p = part(e.body, e.value ?? scalar(true), []); return { value: p.value, body: p.body }; });
  const kind = r.head.args ? 'function' : r.head.key ? 'set' : rest.length > 0 ? 'object' : 'complete';
  if (r.isDefault && (kind === 'set' || kind === 'object')) throw new RegoError('rego_compile_error', 'default rules must not have a variable key', r.loc);
  void arityOf;
  return {
    kind, path, rest, key, value: main.value, args: r.head.args ? main.head.slice(0, argCount) : undefined,
    body: main.body, elses, isDefault: r.isDefault, loc: r.loc,
  };
}

/** Compiles a query body against the program; returns the ordered body and its user-visible vars. */
export function compileQuery(body: Body, program: CompiledProgram): { body: Body; vars: string[] } {
  const env: ResolveEnv = {
    pkg: [], ruleNames: new Set(), imports: new Map(),
    isFunction: (p) => program.arityOf(p) !== undefined && p.startsWith('data.'),
    isBuiltin: (n) => program.builtins[n] !== undefined,
    arityOf: (op) => program.arityOf(op),
  };
  const res = new Resolver(env);
  const rbody = res.body(body, res.newScope());
  const safety = new Safety((op) => program.arityOf(op));
  const ordered = safety.order(rbody, new Set(), new Set());
  const vars = [...ordered.bound].filter((v) => !v.startsWith('_$'));
  return { body: ordered.body, vars };
}

export { patternVarNames, vr };
