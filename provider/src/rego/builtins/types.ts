/** The builtin function contract. Builtins throw BuiltinError; the evaluator maps it to undefined unless strict. */
import { BuiltinError } from '../errors.js';
import type { Value } from '../value.js';
import { typeName, RBig, RObject, RSet } from '../value.js';

export interface BuiltinContext {
  readonly strict: boolean;
  /** Nanoseconds since the Unix epoch, fixed for one evaluation (`time.now_ns`). */
  readonly nowNs: () => number;
  /** Per-evaluation cache shared by builtins (e.g. compiled regexes). */
  readonly cache: Map<string, unknown>;
  /** Whatever the host passed in EvalOptions.host (e.g. external data answers for a host builtin). */
  readonly host: unknown;
}

export interface Builtin {
  /** Declared arity; -1 for variadic (`print`). */
  readonly arity: number;
  readonly fn: (args: readonly Value[], ctx: BuiltinContext) => Value | undefined;
  /** When set, `fn` returns an array of results and the call enumerates them (`walk`). */
  readonly multi?: boolean;
}

export type BuiltinTable = Readonly<Record<string, Builtin>>;

export const fail = (msg: string): never => { throw new BuiltinError('eval_builtin_error', msg); };

function operandError(name: string, pos: number, want: string, got: Value): never {
  throw new BuiltinError('eval_type_error', `${name}: operand ${pos} must be ${want} but got ${typeName(got)}`);
}

export function str(name: string, args: readonly Value[], i: number): string {
  const v = args[i] as Value;
  return typeof v === 'string' ? v : operandError(name, i + 1, 'string', v);
}
export function num(name: string, args: readonly Value[], i: number): number {
  const v = args[i] as Value;
  if (v instanceof RBig) return v.toNumber();
  return typeof v === 'number' ? v : operandError(name, i + 1, 'number', v);
}
export function int(name: string, args: readonly Value[], i: number): number {
  const v = num(name, args, i);
  if (!Number.isInteger(v)) throw new BuiltinError('eval_type_error', `${name}: operand ${i + 1} must be integer number but got floating-point number`);
  return v;
}
export function bool(name: string, args: readonly Value[], i: number): boolean {
  const v = args[i] as Value;
  return typeof v === 'boolean' ? v : operandError(name, i + 1, 'boolean', v);
}
export function arr(name: string, args: readonly Value[], i: number): readonly Value[] {
  const v = args[i] as Value;
  return Array.isArray(v) ? (v as readonly Value[]) : operandError(name, i + 1, 'array', v);
}
export function obj(name: string, args: readonly Value[], i: number): RObject {
  const v = args[i] as Value;
  return v instanceof RObject ? v : operandError(name, i + 1, 'object', v);
}
export function set(name: string, args: readonly Value[], i: number): RSet {
  const v = args[i] as Value;
  return v instanceof RSet ? v : operandError(name, i + 1, 'set', v);
}
/** Elements of an array or set. */
export function coll(name: string, args: readonly Value[], i: number, what = 'one of {array, set}'): readonly Value[] {
  const v = args[i] as Value;
  if (Array.isArray(v)) return v as readonly Value[];
  if (v instanceof RSet) return [...v.values()];
  return operandError(name, i + 1, what, v);
}
export function anyOf(name: string, args: readonly Value[], i: number, want: string): never {
  return operandError(name, i + 1, want, args[i] as Value);
}
