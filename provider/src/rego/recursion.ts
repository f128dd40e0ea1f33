/**
 * Compile-time recursion check (OPA's rego_recursion_error): rules and functions form a dependency graph through
 * `data` refs and calls; a cycle is reported with its path. Refs that stop at a package or a variable depend on
 * every rule below that point, as in OPA.
 */
import { RegoError } from './errors.js';
import type { Term } from './ast.js';
import type { CompiledRule, RuleNode } from './compiledTypes.js';
import { walkBody, walkTerm } from './walk.js';

function allRuleNodes(n: RuleNode, out: RuleNode[] = []): RuleNode[] {
  if (n.rules.length > 0 || n.funcs.length > 0) out.push(n);
  for (const c of n.children.values()) allRuleNodes(c, out);
  return out;
}

/** The rule nodes a `data` ref or call target reaches. */
function targets(root: RuleNode, path: readonly Term[]): RuleNode[] {
  let n: RuleNode = root;
  for (const seg of path) {
    if (n.rules.length > 0) return [n];
    if (seg.type !== 'scalar') return allRuleNodes(n);
    if (typeof seg.value !== 'string') return [];
    const c = n.children.get(seg.value);
    if (!c) return [];
    n = c;
  }
  return allRuleNodes(n);
}

function dependencies(root: RuleNode, rules: readonly CompiledRule[]): Set<RuleNode> {
  const out = new Set<RuleNode>();
  const visit = (t: Term): void => {
    if (t.type === 'ref' && t.head.type === 'var' && t.head.name === 'data') for (const n of targets(root, t.path)) out.add(n);
    if (t.type === 'var' && t.name === 'data') for (const n of allRuleNodes(root)) out.add(n);
    if (t.type === 'call' && t.op.startsWith('data.')) {
      const n = root.find(t.op.split('.').slice(1));
      if (n) out.add(n);
    }
  };
  for (const r of rules) {
    walkBody(r.body, visit);
    [r.value, ...r.rest, ...(r.key ? [r.key] : [])].forEach((x) => walkTerm(x, visit));
    for (const e of r.elses) { walkBody(e.body, visit); walkTerm(e.value, visit); }
  }
  return out;
}

export function checkRecursion(root: RuleNode): void {
  const nodes = allRuleNodes(root);
  const deps = new Map(nodes.map((n) => [n, dependencies(root, [...n.rules, ...n.funcs])] as const));
  const state = new Map<RuleNode, 'active' | 'done'>();
  const stack: RuleNode[] = [];
  const name = (n: RuleNode): string => `data.${n.path.join('.')}`;
  const dfs = (n: RuleNode): void => {
    state.set(n, 'active');
    stack.push(n);
    for (const d of deps.get(n) ?? []) {
      if (state.get(d) === 'active') {
        const cycle = [...stack.slice(stack.indexOf(d)), d].map(name);
        const loc = (d.rules[0] ?? d.funcs[0])?.loc;
        throw new RegoError('rego_recursion_error', `rule ${name(d)} is recursive: ${cycle.join(' -> ')}`, loc);
      }
      if (!state.has(d)) dfs(d);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of nodes) if (!state.has(n)) dfs(n);
}
