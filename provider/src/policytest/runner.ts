/**
 * gator `verify` semantics: for each Suite test, load the template and constraint, then for each case build the
 * review, apply the constraint's match, evaluate `violation` with `{review, parameters}` and `data.inventory`, and
 * check the assertions. One line per case (`ok` / `FAIL` / `SKIP`); counts are per case.
 */
import { resolve } from 'node:path';
import { PolicyTestError } from './errors.js';
import { type CompiledTemplate, type TemplateEngine, type Violation } from './engines.js';
import { type ExternalDataHost, ExternalDataHalt, fixtureHost } from './externalData.js';
import type { LiveHost } from './liveProvider.js';
import { constraintMatches } from './match.js';
import { buildInventory, toReview } from './review.js';
import { validateParameters } from './schema.js';
import { type Assertion, type Suite, type SuiteCase, type SuiteTest, findSuiteFiles, readSuites } from './suite.js';
import { type TemplateInfo, parseTemplate } from './template.js';
import { type Json, type JsonObject, isObj, readYamlDocs } from './yamlFiles.js';

export interface RunOptions {
  readonly engine: TemplateEngine;
  /** gator's --run: a case runs when the regex matches its test name, its case name or "test/case". */
  readonly run?: RegExp;
  readonly live?: LiveHost;
  readonly out: (line: string) => void;
}

export interface RunSummary { readonly passed: number; readonly failed: number; readonly skipped: number; readonly skipReasons: readonly string[] }

const MAX_FETCH_ROUNDS = 8;

export async function runSuites(paths: readonly string[], o: RunOptions): Promise<RunSummary> {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  const reasons = new Set<string>();
  const report = (status: 'ok' | 'FAIL' | 'SKIP', where: string, msg?: string): void => {
    if (status === 'ok') counts.passed++; else if (status === 'FAIL') counts.failed++; else { counts.skipped++; if (msg) reasons.add(msg); }
    o.out(`${status === 'ok' ? 'ok  ' : status}  ${where}${msg ? `: ${msg}` : ''}`);
  };
  for (const file of findSuiteFiles(paths)) {
    let suites: Suite[];
    try { suites = readSuites(file); } catch (e) { report('FAIL', file, (e as Error).message); continue; }
    for (const suite of suites) {
      for (const test of suite.tests) await runTest(suite, test, o, report);
    }
  }
  return { ...counts, skipReasons: [...reasons] };
}

type Report = (status: 'ok' | 'FAIL' | 'SKIP', where: string, msg?: string) => void;

const selected = (re: RegExp | undefined, test: string, c?: string): boolean =>
  !re || re.test(test) || (c !== undefined && (re.test(c) || re.test(`${test}/${c}`)));

async function runTest(suite: Suite, test: SuiteTest, o: RunOptions, report: Report): Promise<void> {
  const where = (c?: SuiteCase): string => `${suite.path} ${test.name}${c ? '/' + c.name : ''}`;
  const cases = test.cases.filter((c) => selected(o.run, test.name, c.name));
  if (cases.length === 0 && !(test.cases.length === 0 && selected(o.run, test.name))) return;
  if (suite.skip || test.skip) { for (const c of cases.length ? cases : [undefined]) report('SKIP', where(c), 'skip: true'); return; }
  if (o.engine.unavailable !== undefined) { for (const c of cases.length ? cases : [undefined]) report('SKIP', where(c), o.engine.unavailable); return; }
  let compiled: CompiledTemplate | undefined;
  let constraint: JsonObject | undefined;
  try {
    const t = loadTemplate(suite, test);
    compiled = await o.engine.compile(t);
    constraint = loadConstraint(suite, test, t);
  } catch (e) {
    const invalid = e instanceof PolicyTestError && (e.code === 'TEMPLATE_INVALID' || e.code === 'CONSTRAINT_INVALID');
    if (test.invalid && invalid) { report('ok', where()); return; }
    for (const c of cases.length ? cases : [undefined]) report('FAIL', where(c), (e as Error).message);
    return;
  }
  if (test.invalid) { report('FAIL', where(), 'the template and constraint are valid, but the test says invalid: true'); return; }
  for (const c of cases) {
    if (c.skip) { report('SKIP', where(c), 'skip: true'); continue; }
    try {
      const violations = await evaluateCase(suite, c, compiled, constraint, o.live);
      const problem = c.assertions.map((a) => checkAssertion(a, violations)).find((m) => m !== undefined);
      report(problem === undefined ? 'ok' : 'FAIL', where(c), problem);
    } catch (e) {
      report('FAIL', where(c), (e as Error).message);
    }
  }
}

function loadTemplate(suite: Suite, test: SuiteTest): TemplateInfo {
  if (!test.template) throw new PolicyTestError('SUITE_INVALID', `${suite.path}: test ${test.name} has no template`);
  const path = resolve(suite.dir, test.template);
  const docs = readYamlDocs(path);
  if (docs.length !== 1) throw new PolicyTestError('TEMPLATE_INVALID', `${path}: expected exactly one ConstraintTemplate, found ${docs.length} documents`);
  return parseTemplate(docs[0] as Json, path);
}

function loadConstraint(suite: Suite, test: SuiteTest, t: TemplateInfo): JsonObject {
  if (!test.constraint) throw new PolicyTestError('SUITE_INVALID', `${suite.path}: test ${test.name} has no constraint`);
  const path = resolve(suite.dir, test.constraint);
  const docs = readYamlDocs(path);
  const c = docs[0];
  if (docs.length !== 1 || !isObj(c)) throw new PolicyTestError('CONSTRAINT_INVALID', `${path}: expected exactly one constraint`);
  if (c['kind'] !== t.kind) throw new PolicyTestError('CONSTRAINT_INVALID', `${path}: constraint kind ${JSON.stringify(c['kind'])} does not match the template's kind ${t.kind}`);
  if (typeof c['apiVersion'] !== 'string' || !c['apiVersion'].startsWith('constraints.gatekeeper.sh/')) {
    throw new PolicyTestError('CONSTRAINT_INVALID', `${path}: apiVersion must be constraints.gatekeeper.sh/<version>`);
  }
  const spec = isObj(c['spec']) ? c['spec'] : {};
  const errs = validateParameters(t.schema, spec['parameters']);
  if (errs.length > 0) throw new PolicyTestError('CONSTRAINT_INVALID', `${path}: ${errs.join('; ')}`);
  return c;
}

async function evaluateCase(suite: Suite, c: SuiteCase, compiled: CompiledTemplate, constraint: JsonObject, live: LiveHost | undefined): Promise<Violation[]> {
  if (!c.object) throw new PolicyTestError('SUITE_INVALID', `${suite.path}: case ${c.name} has no object`);
  const objPath = resolve(suite.dir, c.object);
  const docs = readYamlDocs(objPath);
  if (docs.length !== 1) throw new PolicyTestError('OBJECT_INVALID', `${objPath}: expected exactly one object, found ${docs.length}`);
  const { review, object } = toReview(docs[0] as Json, objPath);
  const invObjects = c.inventory.flatMap((p) => readYamlDocs(resolve(suite.dir, p))).filter(isObj);
  const namespaces = new Map(invObjects.filter((x) => x['kind'] === 'Namespace' && isObj(x['metadata'])).map((x) => [String((x['metadata'] as JsonObject)['name']), x] as const));
  const spec = isObj(constraint['spec']) ? constraint['spec'] : {};
  if (!constraintMatches(spec['match'], object, namespaces)) return [];
  const input: JsonObject = { review, parameters: spec['parameters'] ?? {} };
  const inventory = buildInventory(invObjects);
  const fixtures = c.externalData ? fixtureHost(c.externalData) : undefined;
  const host: ExternalDataHost | undefined = fixtures || live ? {
    lookup: (provider, keys) => {
      if (fixtures && (!live || c.externalData?.some((f) => f.provider === provider) || !live.has(provider))) return fixtures.lookup(provider, keys);
      return (live as LiveHost).lookup(provider, keys);
    },
  } : undefined;
  for (let round = 0; ; round++) {
    try {
      return compiled.violations(input, inventory, host);
    } catch (e) {
      if (!(e instanceof ExternalDataHalt) || e.reason !== 'fetch' || !live || round >= MAX_FETCH_ROUNDS) throw e;
      await live.fetchPending();
    }
  }
}

/** gator's assertion: count the violations whose msg matches `message` (all when absent), compare with `violations`. */
export function checkAssertion(a: Assertion, violations: readonly Violation[]): string | undefined {
  let re: RegExp | undefined;
  if (a.message !== undefined) {
    try { re = new RegExp(a.message, 'u'); } catch { re = new RegExp(a.message); }
  }
  const matching = violations.filter((v) => !re || re.test(v.msg)).length;
  const about = a.message !== undefined ? ` matching ${JSON.stringify(a.message)}` : '';
  const got = `got ${matching} violation(s)${about}${violations.length > 0 ? ` (messages: ${violations.map((v) => JSON.stringify(v.msg)).join(', ')})` : ''}`;
  if (a.violations === 'yes') return matching > 0 ? undefined : `${got}, want at least 1`;
  if (a.violations === 'no') return matching === 0 ? undefined : `${got}, want none`;
  return matching === a.violations ? undefined : `${got}, want ${a.violations}`;
}
