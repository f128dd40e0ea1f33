/**
 * gator Suite files (`kind: Suite`, `apiVersion: test.gatekeeper.sh/v1alpha1`): discovery under folders and
 * validation into readonly typed values, including signgate's `externalData` fixtures per case.
 */
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PolicyTestError } from './errors.js';
import { type Json, type JsonObject, isObj, readYamlDocs } from './yamlFiles.js';

export type ViolationCount = 'yes' | 'no' | number;

export interface Assertion { readonly violations: ViolationCount; readonly message: string | undefined }

export interface FixtureAnswer { readonly value?: Json; readonly error?: string }

export interface ExternalDataFixture {
  readonly provider: string;
  readonly responses: ReadonlyMap<string, FixtureAnswer>;
  readonly systemError: string | undefined;
}

export interface SuiteCase {
  readonly name: string;
  readonly object: string | undefined;
  readonly inventory: readonly string[];
  readonly assertions: readonly Assertion[];
  readonly skip: boolean;
  readonly externalData: readonly ExternalDataFixture[] | undefined;
}

export interface SuiteTest {
  readonly name: string;
  readonly template: string | undefined;
  readonly constraint: string | undefined;
  readonly cases: readonly SuiteCase[];
  readonly invalid: boolean;
  readonly skip: boolean;
}

export interface Suite { readonly path: string; readonly dir: string; readonly name: string; readonly tests: readonly SuiteTest[]; readonly skip: boolean }

const MAX_FILES = 100_000;

/** Suite files under the given paths (files are taken as given; folders are searched recursively). */
export function findSuiteFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const visit = (p: string, explicit: boolean): void => {
    if (out.length > MAX_FILES) throw new PolicyTestError('SUITE_INVALID', `more than ${MAX_FILES} files under ${paths.join(', ')}`);
    let st;
    try { st = statSync(p); } catch (e) { throw new PolicyTestError('FILE_UNREADABLE', `cannot read ${p}: ${(e as Error).message}`, { cause: e }); }
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) if (!name.startsWith('.')) visit(join(p, name), false);
      return;
    }
    if (!/\.ya?ml$/.test(p) && !explicit) return;
    if (explicit || isSuiteFile(p)) out.push(p);
  };
  for (const p of paths) visit(p, true);
  return out;
}

function isSuiteFile(p: string): boolean {
  try {
    return readYamlDocs(p).some((d) => isObj(d) && d['kind'] === 'Suite' && d['apiVersion'] === 'test.gatekeeper.sh/v1alpha1');
  } catch {
    return false;
  }
}

const bad = (path: string, where: string, msg: string): never => {
  throw new PolicyTestError('SUITE_INVALID', `${path}: ${where}: ${msg}`);
};

function optString(path: string, where: string, v: Json | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : bad(path, where, 'must be a string');
}

function list(path: string, where: string, v: Json | undefined): Json[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : bad(path, where, 'must be a list');
}

function parseViolations(path: string, where: string, v: Json | undefined): ViolationCount {
  if (v === undefined || v === null) return 'yes';
  if (v === 'yes' || v === 'no') return v;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return bad(path, `${where}.violations`, `must be yes, no or a non-negative integer, got ${JSON.stringify(v)}`);
}

function parseFixture(path: string, where: string, v: Json): ExternalDataFixture {
  if (!isObj(v)) return bad(path, where, 'must be a mapping with provider and responses');
  const provider = optString(path, `${where}.provider`, v['provider']) ?? bad(path, `${where}.provider`, 'is required');
  const responses = new Map<string, FixtureAnswer>();
  const r = v['responses'];
  if (r !== undefined && r !== null) {
    if (!isObj(r)) return bad(path, `${where}.responses`, 'must map each key to {value: ...} or {error: "..."}');
    for (const [key, ans] of Object.entries(r)) {
      if (!isObj(ans) || (!('value' in ans) && !('error' in ans))) bad(path, `${where}.responses["${key}"]`, 'must be {value: ...} or {error: "..."}');
      const a = ans as JsonObject;
      const error = optString(path, `${where}.responses["${key}"].error`, a['error']);
      responses.set(key, 'value' in a ? { value: a['value'] as Json, ...(error !== undefined ? { error } : {}) } : { error: error ?? '' });
    }
  }
  return { provider, responses, systemError: optString(path, `${where}.systemError`, v['systemError']) };
}

function parseCase(path: string, where: string, v: Json): SuiteCase {
  if (!isObj(v)) return bad(path, where, 'must be a mapping');
  const name = optString(path, `${where}.name`, v['name']) ?? bad(path, `${where}.name`, 'is required');
  const assertions = list(path, `${where}.assertions`, v['assertions']).map((a, i) => {
    const w = `${where}.assertions[${i}]`;
    if (!isObj(a)) return bad(path, w, 'must be a mapping');
    return { violations: parseViolations(path, w, a['violations']), message: optString(path, `${w}.message`, a['message']) };
  });
  const ed = v['externalData'];
  return {
    name,
    object: optString(path, `${where}.object`, v['object']),
    inventory: list(path, `${where}.inventory`, v['inventory']).map((x, i) => optString(path, `${where}.inventory[${i}]`, x) ?? bad(path, `${where}.inventory[${i}]`, 'must be a path')),
    assertions,
    skip: v['skip'] === true,
    externalData: ed === undefined || ed === null ? undefined : list(path, `${where}.externalData`, ed).map((f, i) => parseFixture(path, `${where}.externalData[${i}]`, f)),
  };
}

export function parseSuite(doc: Json, path: string): Suite {
  if (!isObj(doc) || doc['kind'] !== 'Suite') return bad(path, 'kind', 'must be Suite');
  if (doc['apiVersion'] !== 'test.gatekeeper.sh/v1alpha1') bad(path, 'apiVersion', 'must be test.gatekeeper.sh/v1alpha1');
  const meta = isObj(doc['metadata']) ? doc['metadata'] : {};
  const tests = list(path, 'tests', doc['tests']).map((t, i) => {
    const w = `tests[${i}]`;
    if (!isObj(t)) return bad(path, w, 'must be a mapping');
    return {
      name: optString(path, `${w}.name`, t['name']) ?? `test-${i}`,
      template: optString(path, `${w}.template`, t['template']),
      constraint: optString(path, `${w}.constraint`, t['constraint']),
      cases: list(path, `${w}.cases`, t['cases']).map((c, j) => parseCase(path, `${w}.cases[${j}]`, c)),
      invalid: t['invalid'] === true,
      skip: t['skip'] === true,
    };
  });
  return { path, dir: dirname(path), name: optString(path, 'metadata.name', meta['name']) ?? path, tests, skip: doc['skip'] === true };
}

export function readSuites(path: string): Suite[] {
  return readYamlDocs(path).filter((d) => isObj(d) && d['kind'] === 'Suite').map((d) => parseSuite(d, path));
}
