/** Small helpers for Rego engine tests: compile modules and evaluate queries to plain JSON. */
import { RegoPolicy, type EvalOptions, type Builtin, toJSON } from '../../../provider/src/rego/index.js';

export function policy(source: string | readonly string[], builtins?: Readonly<Record<string, Builtin>>): RegoPolicy {
  const sources = typeof source === 'string' ? [source] : source;
  return RegoPolicy.compile(sources.map((s, i) => ({ name: `m${i}.rego`, source: s })), builtins ? { builtins } : {});
}

/** All solutions of `query` as plain JSON binding objects. */
export function results(p: RegoPolicy, query: string, o: EvalOptions = {}): Record<string, unknown>[] {
  return p.query(query, o).map((b) => Object.fromEntries([...b].map(([k, v]) => [k, toJSON(v)])));
}

/** The value of `ref` as plain JSON, or undefined. */
export function value(p: RegoPolicy, ref: string, o: EvalOptions = {}): unknown {
  const v = p.evalRef(ref, o);
  return v === undefined ? undefined : toJSON(v);
}

/** Evaluates a single expression with no module. */
export function expr(text: string, o: EvalOptions = {}): unknown {
  return value(RegoPolicy.compile([]), text, o);
}
