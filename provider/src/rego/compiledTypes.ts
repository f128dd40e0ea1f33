/** What the compiler hands the evaluator: rules grouped in a tree by their ground path below `data`. */
import type { RegoLocation } from './errors.js';
import type { Body, Term } from './ast.js';

export type RuleKind = 'complete' | 'set' | 'object' | 'function';

export interface CompiledRule {
  readonly kind: RuleKind;
  /** Ground path below `data` (package path + the head ref's leading string segments). */
  readonly path: readonly string[];
  /** Head ref segments after the ground path (object rules with vars in the head). */
  readonly rest: readonly Term[];
  /** Set-rule element. */
  readonly key: Term | undefined;
  readonly value: Term;
  readonly args: readonly Term[] | undefined;
  readonly body: Body;
  readonly elses: readonly { readonly value: Term; readonly body: Body }[];
  readonly isDefault: boolean;
  readonly loc: RegoLocation;
}

export class RuleNode {
  readonly children = new Map<string, RuleNode>();
  /** Rules (not functions) whose ground path ends exactly here. */
  readonly rules: CompiledRule[] = [];
  readonly funcs: CompiledRule[] = [];
  constructor(readonly path: readonly string[]) {}

  child(name: string): RuleNode {
    let c = this.children.get(name);
    if (!c) { c = new RuleNode([...this.path, name]); this.children.set(name, c); }
    return c;
  }

  find(path: readonly string[]): RuleNode | undefined {
    if (path.length === 0) return this;
    const [first, ...rest] = path as [string, ...string[]];
    return this.children.get(first)?.find(rest);
  }

  /** True when this node or a descendant holds rules (so its value is virtual). */
  hasRules(): boolean {
    if (this.rules.length > 0) return true;
    for (const c of this.children.values()) if (c.hasRules()) return true;
    return false;
  }
}

export interface BuiltinInfo {
  /** Declared arity; a call with one more argument unifies the result with the last one. */
  readonly arity: number;
}
