/**
 * Gatekeeper's `external_data({"provider": P, "keys": [...]})` as a host builtin. Answers come from a case's
 * fixtures or from a live provider (fetched between evaluations: the builtin is synchronous, so an evaluation that
 * asks for unknown keys halts, the runner fetches them and evaluates again). The builtin returns what Gatekeeper
 * returns: `responses` as [key, value] pairs, `errors` as [key, message] pairs, `status_code`, `system_error`.
 */
import { type Builtin, type Value, RegoError, RObject, fromJSON } from '../rego/index.js';
import type { ExternalDataFixture } from './suite.js';
import type { Json } from './yamlFiles.js';

export interface ExternalDataAnswer {
  readonly responses: readonly (readonly [string, Json])[];
  readonly errors: readonly (readonly [string, string])[];
  readonly systemError: string | undefined;
}

export interface ExternalDataHost {
  /** Answers for these keys, or throws ExternalDataHalt. */
  lookup(provider: string, keys: readonly string[]): ExternalDataAnswer;
}

/** Stops evaluation: a fixture is missing (the case fails) or keys must be fetched first (the runner retries). */
export class ExternalDataHalt extends RegoError {
  constructor(readonly reason: 'missing' | 'fetch', readonly provider: string, readonly keys: readonly string[], message: string) {
    super('eval_builtin_error', message);
    this.name = 'ExternalDataHalt';
  }
}

export function fixtureHost(fixtures: readonly ExternalDataFixture[]): ExternalDataHost {
  return {
    lookup(provider, keys) {
      const f = fixtures.find((x) => x.provider === provider);
      if (!f) throw new ExternalDataHalt('missing', provider, keys, `external_data: the case has no externalData fixture for provider "${provider}"; add one with responses for ${keys.map((k) => JSON.stringify(k)).join(', ')}`);
      if (f.systemError !== undefined) return { responses: [], errors: [], systemError: f.systemError };
      const missing = keys.filter((k) => !f.responses.has(k));
      if (missing.length > 0) throw new ExternalDataHalt('missing', provider, missing, `external_data: fixture for provider "${provider}" has no answer for key ${missing.map((k) => JSON.stringify(k)).join(', ')}; add it under externalData[].responses`);
      const responses: [string, Json][] = [];
      const errors: [string, string][] = [];
      for (const k of keys) {
        const a = f.responses.get(k);
        if (a?.error !== undefined && a.error !== '') errors.push([k, a.error]);
        else responses.push([k, a?.value ?? null]);
      }
      return { responses, errors, systemError: undefined };
    },
  };
}

function toRego(a: ExternalDataAnswer): Value {
  if (a.systemError !== undefined) {
    return new RObject([['responses', []], ['errors', []], ['status_code', 500], ['system_error', a.systemError]]);
  }
  return new RObject([
    ['responses', a.responses.map(([k, v]) => [k, fromJSON(v)])],
    ['errors', a.errors.map(([k, e]) => [k, e])],
    ['status_code', 200],
    ['system_error', ''],
  ]);
}

export function requestOf(arg: Value | undefined): { provider: string; keys: string[] } {
  if (!(arg instanceof RObject)) throw new RegoError('eval_type_error', 'external_data: operand 1 must be object but got ' + typeof arg);
  const provider = arg.get('provider');
  const keys = arg.get('keys');
  if (typeof provider !== 'string') throw new RegoError('eval_type_error', 'external_data: "provider" must be a string');
  const list = Array.isArray(keys) ? keys : undefined;
  if (!list || !list.every((k) => typeof k === 'string')) throw new RegoError('eval_type_error', 'external_data: "keys" must be an array of strings');
  return { provider, keys: [...new Set(list as string[])] };
}

/** The `external_data` builtin; its answers come from EvalOptions.host (an ExternalDataHost). */
export const externalDataBuiltin: Builtin = {
  arity: 1,
  fn: (args, ctx) => {
    const host = ctx.host as ExternalDataHost | undefined;
    const { provider, keys } = requestOf(args[0]);
    if (!host) throw new ExternalDataHalt('missing', provider, keys, `external_data: no answers for provider "${provider}": add externalData fixtures to the case or pass --provider ${provider}=URL`);
    return toRego(host.lookup(provider, keys));
  },
};
