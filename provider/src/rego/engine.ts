/** The engine's front door: compile modules once, then evaluate queries or documents many times. */
import type { Body } from './ast.js';
import type { Builtin, BuiltinTable } from './builtins/types.js';
import { defaultBuiltins } from './builtins/index.js';
import { type CompiledProgram, compileModules, compileQuery } from './compiler.js';
import { newContext } from './context.js';
import { Evaluator } from './eval.js';
import { parseModule, parseQuery } from './parser.js';
import { displayName } from './safety.js';
import { RegoError } from './errors.js';
import type { Value } from './value.js';
import { RObject, fromJSON } from './value.js';
import type { Module } from './ast.js';

export interface RegoModuleSource {
  readonly name: string;
  readonly source: string;
}

export interface CompileOptions {
  /** Host builtins (e.g. `external_data`), added to or replacing the defaults. */
  readonly builtins?: Readonly<Record<string, Builtin>>;
}

export interface EvalOptions {
  /** Plain JSON (or Rego values); undefined means no input document. */
  readonly input?: unknown;
  readonly data?: unknown;
  /** Strict builtin errors: a failing builtin stops evaluation instead of being undefined. */
  readonly strict?: boolean;
  readonly timeoutMs?: number;
  /** Clock for `time.now_ns` (nanoseconds); fixed per evaluation. */
  readonly nowNs?: () => number;
  readonly maxDepth?: number;
  /** Handed to builtins as BuiltinContext.host (host builtins read their per-evaluation state from it). */
  readonly host?: unknown;
}

export type Bindings = ReadonlyMap<string, Value>;

export class RegoPolicy {
  private readonly queries = new Map<string, { body: Body; vars: string[] }>();

  private constructor(readonly program: CompiledProgram, readonly modules: readonly Module[]) {}

  /** Parses and compiles modules; throws RegoError (parse, compile, unsafe var, type) with file:line:col. */
  static compile(sources: readonly RegoModuleSource[], options: CompileOptions = {}): RegoPolicy {
    const modules = sources.map((s) => parseModule(s.source, s.name));
    const builtins: BuiltinTable = options.builtins ? { ...defaultBuiltins, ...options.builtins } : defaultBuiltins;
    return new RegoPolicy(compileModules(modules, builtins), modules);
  }

  /** Evaluates a query; one Bindings per solution (empty list: undefined). */
  query(query: string, options: EvalOptions = {}): Bindings[] {
    let q = this.queries.get(query);
    if (!q) {
      q = compileQuery(parseQuery(query), this.program);
      this.queries.set(query, q);
    }
    const ev = this.evaluator(options);
    const out: Bindings[] = [];
    const env = new Map<string, Value>();
    const { body, vars } = q;
    try {
      ev.body(body, 0, env, () => {
        const b = new Map<string, Value>();
        for (const v of vars) { const x = env.get(v); if (x !== undefined) b.set(displayName(v), x); }
        out.push(b);
        return false;
      });
    } catch (e) {
      if (e instanceof RangeError) throw new RegoError('eval_internal_error', `evaluation nested too deeply for the JavaScript stack (${e.message}); simplify the policy or raise the stack size`, undefined, { cause: e });
      throw e;
    }
    return out;
  }

  /** The value of a document such as `data.pkg.violation`, or undefined. */
  evalRef(ref: string, options: EvalOptions = {}): Value | undefined {
    const r = this.query(`__x__ = ${ref}`, options);
    return r[0]?.get('__x__');
  }

  private evaluator(o: EvalOptions): Evaluator {
    const timeoutMs = o.timeoutMs;
    const started = performance.now();
    let now: number | undefined;
    return new Evaluator(newContext({
      program: this.program,
      input: o.input === undefined ? undefined : fromJSON(o.input),
      data: o.data === undefined ? new RObject() : fromJSON(o.data),
      overrides: undefined,
      funcOverrides: undefined,
      limits: { strict: o.strict ?? false, timeoutMs, deadline: timeoutMs === undefined ? undefined : started + timeoutMs, maxDepth: o.maxDepth ?? 2000 },
      bctx: {
        strict: o.strict ?? false,
        cache: new Map(),
        host: o.host,
        nowNs: () => (now ??= o.nowNs ? o.nowNs() : Math.round((performance.timeOrigin + performance.now()) * 1e6)),
      },
    }));
  }
}
