/**
 * What `--engine wasm` compiles against and what it supplies at run time:
 * - capabilities: the installed opa's own (`opa capabilities --current`, every builtin that opa knows) plus
 *   `external_data`, so a template compiles with opa exactly when it would in Gatekeeper;
 * - builtins: `opa build -t wasm` leaves every builtin its wasm runtime lacks as an import, and opa-wasm answers only
 *   the few its SDK implements (its capabilities.json); every other one is answered here from signgate's own builtin
 *   library (rego/builtins), which the builtin engine uses too.
 */
import { BuiltinError, type Builtin, type BuiltinContext, defaultBuiltins, fromJSON, toJSON } from '../rego/index.js';
import { PolicyTestError } from './errors.js';
import { isObj } from './yamlFiles.js';

/** A capabilities document as opa reads it; only `builtins[].name` is interpreted, the rest is passed through. */
export interface Capabilities {
  readonly builtins: readonly Readonly<Record<string, unknown> & { name: string }>[];
  readonly [field: string]: unknown;
}

export const EXTERNAL_DATA_DECL = Object.freeze({
  name: 'external_data',
  decl: { type: 'function', args: [{ type: 'any' }], result: { type: 'any' } },
});

/** At most this many builtins in a capabilities document (opa 1.x declares about 200). */
const MAX_BUILTINS = 4096;

/** Validates a capabilities document (`source` names where it came from in messages). */
export function parseCapabilities(json: unknown, source: string): Capabilities {
  const bad = (why: string): never => {
    throw new PolicyTestError('ENGINE_UNAVAILABLE', `${source} is not an opa capabilities document: ${why}`);
  };
  if (!isObj(json)) return bad('it is not a JSON object');
  const builtins = json['builtins'];
  if (!Array.isArray(builtins)) return bad('"builtins" is not a list');
  if (builtins.length > MAX_BUILTINS) return bad(`"builtins" has ${builtins.length} entries, more than ${MAX_BUILTINS}`);
  for (const [i, b] of builtins.entries()) {
    if (!isObj(b) || typeof b['name'] !== 'string' || b['name'] === '') bad(`builtins[${i}] has no "name"`);
  }
  return json as unknown as Capabilities;
}

/** `caps` with `external_data` declared (replacing any declaration of that name). */
export function withExternalData(caps: Capabilities): Capabilities {
  return { ...caps, builtins: [...caps.builtins.filter((b) => b.name !== EXTERNAL_DATA_DECL.name), EXTERNAL_DATA_DECL] };
}

/**
 * The builtins opa knows that opa-wasm's SDK does not (`sdk`: its capabilities.json), split into those signgate's
 * library supplies and those nobody does (a template calling one is refused when it is compiled, before opa runs).
 */
export function lackingBuiltins(opa: Capabilities, sdk: Capabilities, library: Readonly<Record<string, Builtin>> = defaultBuiltins): {
  readonly supplied: readonly string[];
  readonly unsupported: readonly string[];
} {
  const sdkNames = new Set(sdk.builtins.map((b) => b.name));
  const lacking = [...new Set(opa.builtins.map((b) => b.name))].filter((n) => !sdkNames.has(n) && n !== EXTERNAL_DATA_DECL.name).sort();
  const usable = (n: string): boolean => Object.hasOwn(library, n) && library[n]?.multi !== true;
  return { supplied: lacking.filter(usable), unsupported: lacking.filter((n) => !usable(n)) };
}

/** Per evaluation: the fixed `time.now_ns` and the cache signgate's builtins share, as the builtin engine gives them. */
export interface EvaluationContext {
  readonly nowNs: () => number;
  readonly cache: Map<string, unknown>;
  readonly host: unknown;
}

/**
 * opa-wasm custom builtins (JSON in, JSON out) for `names`, each calling signgate's implementation. A builtin error
 * makes the call undefined, as in opa without strict-builtin-errors; `context()` is read at each call.
 */
export function wasmBuiltins(
  names: readonly string[],
  context: () => EvaluationContext,
  library: Readonly<Record<string, Builtin>> = defaultBuiltins,
): Record<string, (...args: unknown[]) => unknown> {
  const out: Record<string, (...args: unknown[]) => unknown> = {};
  for (const name of names) {
    const builtin = library[name];
    if (builtin === undefined) continue;
    out[name] = (...args: unknown[]) => {
      const ctx: BuiltinContext = { strict: false, ...context() };
      try {
        const result = builtin.fn(args.map((a) => fromJSON(a)), ctx);
        return result === undefined ? undefined : toJSON(result);
      } catch (err) {
        if (err instanceof BuiltinError) return undefined;
        throw err;
      }
    };
  }
  return out;
}
