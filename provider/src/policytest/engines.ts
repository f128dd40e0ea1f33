/**
 * Template engines. `builtin` compiles a template with signgate's Rego engine and checks Gatekeeper's rules for
 * template Rego (package, `violation` rule, only `data.inventory` / `data.lib` references, `lib.` packages for libs).
 */
import { type Module, type Term, RegoError, RegoPolicy, type Value, RObject, RSet, toJSON, walkBody, walkTerm } from '../rego/index.js';
import { PolicyTestError } from './errors.js';
import { type ExternalDataHost, externalDataBuiltin } from './externalData.js';
import type { TemplateInfo } from './template.js';
import type { Json, JsonObject } from './yamlFiles.js';

export interface Violation { readonly msg: string; readonly details: Json }

export interface CompiledTemplate {
  violations(input: JsonObject, inventory: JsonObject, host: ExternalDataHost | undefined): Violation[];
}

export interface TemplateEngine {
  readonly name: string;
  /** Why every case is skipped with this engine, or undefined when it can run. */
  readonly unavailable: string | undefined;
  compile(t: TemplateInfo): Promise<CompiledTemplate>;
}

const invalid = (t: TemplateInfo, msg: string): never => { throw new PolicyTestError('TEMPLATE_INVALID', `${t.path}: invalid ConstraintTemplate ${t.name}: ${msg}`); };

/** Gatekeeper's checks on template Rego, done on the parsed modules. */
export function checkTemplateModules(t: TemplateInfo, modules: readonly Module[]): string[] {
  const [main, ...libs] = modules;
  if (!main) return invalid(t, 'no Rego module');
  if (main.pkg[0] === 'lib') invalid(t, `the template package ${main.pkg.join('.')} must not start with lib`);
  for (const l of libs) if (l.pkg[0] !== 'lib') invalid(t, `lib package ${l.pkg.join('.')} must start with "lib."`);
  if (!main.rules.some((r) => r.head.ref[0]?.type === 'scalar' && r.head.ref[0].value === 'violation')) invalid(t, 'the Rego must define violation[{"msg": msg}]');
  for (const m of modules) {
    for (const imp of m.imports) checkRef(t, imp.path);
    for (const r of m.rules) {
      [...r.head.ref, r.head.key, r.head.value, ...(r.head.args ?? [])].forEach((x) => x && walkTerm(x, (y) => checkRef(t, y), true));
      for (const b of [r.body, ...r.elses.map((e) => e.body)]) walkBody(b, (y) => checkRef(t, y), true);
      r.elses.forEach((e) => e.value && walkTerm(e.value, (y) => checkRef(t, y), true));
    }
  }
  return main.pkg as string[];
}

function checkRef(t: TemplateInfo, x: Term): void {
  const head = x.type === 'ref' ? x.head : x;
  if (head.type !== 'var' || head.name !== 'data') return;
  const first = x.type === 'ref' ? x.path[0] : undefined;
  const name = first?.type === 'scalar' ? first.value : undefined;
  if (name !== 'inventory' && name !== 'lib') invalid(t, `only data.inventory and data.lib may be referenced, found data${name !== undefined ? '.' + String(name) : ''}`);
}


/** Turns the `violation` set into messages; Gatekeeper requires a string `msg` in each. */
export function toViolations(v: Value | undefined, t: TemplateInfo): Violation[] {
  if (v === undefined) return [];
  const items = v instanceof RSet ? v.sorted() : Array.isArray(v) ? (v as readonly Value[]) : [];
  return items.map((x) => {
    const msg = x instanceof RObject ? x.get('msg') : undefined;
    if (typeof msg !== 'string') throw new PolicyTestError('TEMPLATE_INVALID', `${t.path}: template ${t.name} produced a violation without a string "msg": ${JSON.stringify(toJSON(x))}`);
    const details = x instanceof RObject ? x.get('details') : undefined;
    return { msg, details: details === undefined ? {} : (toJSON(details) as Json) };
  });
}

export const builtinEngine: TemplateEngine = {
  name: 'builtin',
  unavailable: undefined,
  compile: async (t) => {
    let policy: RegoPolicy;
    try {
      policy = RegoPolicy.compile([{ name: `${t.name}.rego`, source: t.rego }, ...t.libs.map((l, i) => ({ name: `${t.name}.lib${i}.rego`, source: l }))], { builtins: { external_data: externalDataBuiltin } });
    } catch (e) {
      if (e instanceof RegoError) invalid(t, e.message);
      throw e;
    }
    const pkg = checkTemplateModules(t, policy.modules);
    const ref = `data.${pkg.map((p) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(p) ? p : JSON.stringify(p))).join('.')}.violation`.replace(/\.("[^"]*")/g, '[$1]');
    return {
      violations: (input, inventory, host) => toViolations(policy.evalRef(ref, { input, data: { inventory }, host, timeoutMs: 30_000 }), t),
    };
  },
};
