/**
 * Runs OPA's YAML conformance cases (test/cases/testdata format) against this engine. A case is skipped only when
 * it needs a builtin listed in NOT_IMPLEMENTED (each with its reason); everything else passes or fails.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as yamlParse } from 'yaml';
import { RegoError } from './errors.js';
import { relaxQuotedIndent } from './yamlCompat.js';
import { RegoPolicy } from './engine.js';
import type { Value } from './value.js';
import { fromJSON, keyOf, compare, toJSON } from './value.js';

/** Builtins deliberately not implemented, with the reason printed at the end of a run. */
export const NOT_IMPLEMENTED: Readonly<Record<string, string>> = {
  'graphql.parse': 'GraphQL schema/query parsing and validation is a full GraphQL implementation; no template needs it',
  'graphql.parse_and_verify': 'see graphql.parse',
  'graphql.parse_query': 'see graphql.parse',
  'graphql.parse_schema': 'see graphql.parse',
  'graphql.is_valid': 'see graphql.parse',
  'graphql.schema_is_valid': 'see graphql.parse',
  'net.lookup_ip_addr': 'DNS lookups from policies are not offered',
  'rego.parse_module': 'returns OPA\'s internal AST JSON, which this engine does not mirror',
  'rego.metadata.chain': 'METADATA annotations are not parsed',
  'rego.metadata.rule': 'METADATA annotations are not parsed',
};

/** The folders that must pass 100%: core language plus builtins the gatekeeper-library templates use. */
export const CORE_FOLDERS: readonly string[] = [
  'aggregates', 'arrays', 'comprehensions', 'completedoc', 'defaultkeyword', 'elsekeyword', 'every', 'functions',
  'negation', 'partialdocs', 'partialsetdoc', 'partialobjectdoc', 'refheads', 'sets', 'some', 'virtualdocs', 'withkeyword',
  'sprintf', 'objectget', 'regexmatch', 'trim', 'trimsuffix',
];

interface Case {
  note?: string; modules?: string[]; query?: string; data?: unknown; input?: unknown; input_term?: string;
  want_result?: Record<string, unknown>[]; sort_bindings?: boolean; want_error_code?: string; want_error?: string; strict_error?: boolean;
}

export interface CaseOutcome { readonly file: string; readonly note: string; readonly folder: string; readonly status: 'pass' | 'fail' | 'skip'; readonly reason: string }

export function findCaseFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

function normalize(raw: Value, sortArrays: boolean): string {
  const v = fromJSON(toJSON(raw));
  if (sortArrays && Array.isArray(v)) return keyOf([...(v as readonly Value[])].sort(compare));
  return keyOf(v);
}

function bindingsKey(b: ReadonlyMap<string, Value>, sort: boolean): string {
  return [...b].sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, v]) => `${k}=${normalize(v, sort)}`).join('\u0001');
}

const missingBuiltin = (e: unknown): string | undefined => {
  const m = e instanceof RegoError ? /undefined function ([\w.]+)/.exec(e.message) : null;
  return m?.[1] !== undefined && NOT_IMPLEMENTED[m[1]] !== undefined ? m[1] : undefined;
};

export function runCase(c: Case, file: string, folder: string): CaseOutcome {
  const note = c.note ?? '(no note)';
  const res = (status: CaseOutcome['status'], reason = ''): CaseOutcome => ({ file, note, folder, status, reason });
  try {
    const policy = RegoPolicy.compile((c.modules ?? []).map((source, i) => ({ name: `test-${i}.rego`, source })));
    let input: unknown = c.input;
    if (c.input_term !== undefined) input = RegoPolicy.compile([]).evalRef(c.input_term);
    const results = policy.query(c.query ?? '', { data: c.data ?? {}, input, strict: c.strict_error === true, timeoutMs: 10000 });
    if (c.want_error_code !== undefined || c.want_error !== undefined) return res('fail', `expected error ${c.want_error_code ?? ''} ${c.want_error ?? ''}, got ${results.length} result(s)`);
    const want = (c.want_result ?? []).map((w) => new Map(Object.entries(w ?? {}).map(([k, v]) => [k, fromJSON(v)] as const)));
    const sort = c.sort_bindings === true;
    const got = results.map((b) => bindingsKey(b, sort)).sort();
    const exp = want.map((b) => bindingsKey(b, sort)).sort();
    if (got.length === exp.length && got.every((g, i) => g === exp[i])) return res('pass');
    const show = (bs: readonly ReadonlyMap<string, Value>[]): string => JSON.stringify(bs.map((b) => Object.fromEntries([...b].map(([k, v]) => [k, toJSON(v)])))).slice(0, 300);
    return res('fail', `want ${show(want)} got ${show(results)}`);
  } catch (e) {
    const skipped = missingBuiltin(e);
    if (skipped) return res('skip', `builtin ${skipped} not implemented`);
    const code = e instanceof RegoError ? e.code : 'exception';
    const msg = e instanceof Error ? e.message : String(e);
    if (c.want_error_code !== undefined || c.want_error !== undefined) {
      const codeOk = c.want_error_code === undefined || c.want_error_code === code;
      const msgOk = c.want_error === undefined || msg.includes(c.want_error);
      if (codeOk && msgOk) return res('pass');
      return res('fail', `want error ${c.want_error_code ?? ''} "${c.want_error ?? ''}", got ${code}: ${msg.slice(0, 200)}`);
    }
    return res('fail', `unexpected error ${code}: ${msg.slice(0, 300)}`);
  }
}

export function runConformance(dir: string): CaseOutcome[] {
  const out: CaseOutcome[] = [];
  for (const file of findCaseFiles(dir)) {
    const rel = relative(dir, file);
    const folder = rel.split(/[\\/]/)[0] ?? '';
    let doc: { cases?: Case[] };
    const text = readFileSync(file, 'utf8');
    const parse = (t: string): { cases?: Case[] } => yamlParse(t, { maxAliasCount: 1000 }) as { cases?: Case[] };
    try { try { doc = parse(text); } catch { doc = parse(relaxQuotedIndent(text)); } } catch (e) {
      out.push({ file: rel, note: '(file)', folder, status: 'fail', reason: `cannot read: ${(e as Error).message}` });
      continue;
    }
    for (const c of doc.cases ?? []) out.push(runCase(c, rel, folder));
  }
  return out;
}

export interface ConformanceSummary { readonly passed: number; readonly failed: number; readonly skipped: number; readonly goalsMet: boolean; readonly lines: readonly string[] }

/** Failure lines, skipped builtins with reasons, the goal check, and last `N passed, M failed, K skipped`. */
export function summarize(outcomes: readonly CaseOutcome[]): ConformanceSummary {
  const lines: string[] = [];
  for (const o of outcomes) if (o.status === 'fail') lines.push(`FAIL ${o.file}: ${o.note}: ${o.reason.replace(/\s*\n\s*/g, ' ')}`);
  const passed = outcomes.filter((o) => o.status === 'pass').length;
  const failed = outcomes.filter((o) => o.status === 'fail').length;
  const skipped = outcomes.length - passed - failed;
  const skippedBuiltins = new Set(outcomes.filter((o) => o.status === 'skip').map((o) => o.reason.replace(/^builtin (\S+).*$/, '$1')));
  for (const b of [...skippedBuiltins].sort()) lines.push(`skipped: ${b}: ${NOT_IMPLEMENTED[b] ?? ''}`);
  const core = outcomes.filter((o) => CORE_FOLDERS.includes(o.folder));
  const coreFailed = core.filter((o) => o.status !== 'pass').length;
  const ratio = outcomes.length === 0 ? 0 : passed / outcomes.length;
  const goalsMet = ratio >= 0.9 && coreFailed === 0;
  lines.push(`goals: ${(ratio * 100).toFixed(1)}% of all cases pass (goal 90%), core folders ${core.length - coreFailed}/${core.length} (goal 100%): ${goalsMet ? 'met' : 'NOT met'}`);
  lines.push(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  return { passed, failed, skipped, goalsMet, lines };
}
