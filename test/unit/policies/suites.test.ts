/**
 * The policy bundle's suites, run through the runner's library API exactly as `signgate policy test policies/`
 * runs them in CI: every case passes, the counts are the expected ones (a case silently dropped or skipped fails
 * here), and a broken template makes the suites fail.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinEngine, findOpa, runSuites, type RunSummary, type TemplateEngine, wasmEngine } from '../../../provider/src/policytest/index.js';

const POLICIES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../policies');
const SUITE = join(POLICIES, 'verification/suite.yaml');
const TEMPLATE = 'verification/template.yaml';

/** Cases per Suite test of policies/verification/suite.yaml (an `invalid: true` test counts as one case). */
const EXPECTED_CASES: Readonly<Record<string, number>> = {
  enforce: 24,
  'verdict-shapes': 9,
  'warn-rollout': 2,
  'defaults-without-parameters': 3,
  'on-provider-error-allow': 3,
  'exempt-images': 3,
  'namespaced-keys': 3,
  'custom-provider-name': 1,
  'invalid-on-provider-error': 1,
  'invalid-exempt-images': 1,
};
const TOTAL = Object.values(EXPECTED_CASES).reduce((a, b) => a + b, 0);

async function run(paths: readonly string[], engine: TemplateEngine = builtinEngine): Promise<{ summary: RunSummary; lines: string[] }> {
  const lines: string[] = [];
  const summary = await runSuites(paths, { engine, out: (l) => lines.push(l) });
  return { summary, lines };
}

/** The Suite test name of an output line (`ok    <file> <test>/<case>` or `... <test>` for invalid tests). */
function testOf(line: string): string {
  const where = line.slice(line.indexOf(SUITE) + SUITE.length + 1);
  return where.split('/')[0]?.split(':')[0] ?? '';
}

/** A copy of policies/ with the template's Rego edited; the caller removes the folder. */
async function brokenCopy(edit: (rego: string) => string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'signgate-policies-'));
  await cp(POLICIES, dir, { recursive: true });
  const path = join(dir, TEMPLATE);
  const before = await readFile(path, 'utf8');
  const after = edit(before);
  assert.notEqual(after, before, 'the edit must change the template');
  await writeFile(path, after);
  return dir;
}

describe('policy bundle suites (signgate policy test policies/)', function () {
  this.timeout(120_000);

  it('passes every case with the builtin engine, with the expected number of cases per test', async () => {
    const { summary, lines } = await run([POLICIES]);
    assert.equal(summary.failed, 0, lines.filter((l) => !l.startsWith('ok')).join('\n'));
    assert.equal(summary.skipped, 0, lines.filter((l) => l.startsWith('SKIP')).join('\n'));
    assert.equal(summary.passed, TOTAL);
    const perTest: Record<string, number> = {};
    for (const l of lines) perTest[testOf(l)] = (perTest[testOf(l)] ?? 0) + 1;
    assert.deepEqual(perTest, EXPECTED_CASES);
  });

  it('covers every case the issue names, by case name', async () => {
    const { lines } = await run([POLICIES]);
    const names = lines.map((l) => l.slice(l.indexOf(SUITE) + SUITE.length + 1));
    for (const want of [
      'enforce/signed-pod-allowed', 'enforce/unsigned-pod-denied-with-exact-message', 'enforce/tampered-pod-denied-with-exact-message',
      'enforce/wrong-identity-pod-denied-with-exact-message', 'enforce/one-of-three-containers-unsigned',
      'enforce/unsigned-init-container-denied', 'enforce/unsigned-ephemeral-container-denied',
      'enforce/duplicate-images-one-key-one-violation', 'enforce/per-key-provider-error-denied', 'enforce/system-error-denied',
      ...['deployment', 'statefulset', 'daemonset', 'replicaset', 'replicationcontroller', 'job', 'cronjob'].map((k) => `enforce/${k}-unsigned-denied`),
      'on-provider-error-allow/system-error-allowed', 'exempt-images/exact-and-prefix-exempt-images-not-sent',
      'namespaced-keys/keys-carry-the-namespace', 'verdict-shapes/minimal-passing-verdict-allowed',
    ]) {
      assert.ok(names.includes(want), `no passing case ${want} in:\n${names.join('\n')}`);
    }
  });

  it('fails when the template stops honouring exemptImages (exempt images would reach the provider)', async () => {
    const dir = await brokenCopy((t) => t.replace('not exempt(c.image)', 'true'));
    try {
      const { summary, lines } = await run([dir]);
      assert.equal(summary.failed, 2);
      const failed = lines.filter((l) => l.startsWith('FAIL'));
      assert.ok(failed.every((l) => l.includes('exempt-images/')), failed.join('\n'));
      assert.match(failed.join('\n'), /has no answer for key "registry\.example\.com\/(base|tools)\//);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails when the template fails open on provider errors', async () => {
    const dir = await brokenCopy((t) => t.replace('not input.parameters.onProviderError == "allow"', 'input.parameters.onProviderError == "deny"'));
    try {
      const { summary, lines } = await run([dir]);
      const failed = lines.filter((l) => l.startsWith('FAIL'));
      assert.equal(summary.failed, 2, failed.join('\n'));
      assert.ok(failed.every((l) => l.includes('defaults-without-parameters/')), failed.join('\n'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails when a message loses the trace id', async () => {
    const dir = await brokenCopy((t) => t.replace('s := sprintf(" [trace %s]", [t])', 's := ""'));
    try {
      const { summary, lines } = await run([dir]);
      assert.ok(summary.failed >= 5, lines.filter((l) => l.startsWith('FAIL')).join('\n'));
      assert.match(lines.find((l) => l.includes('unsigned-pod-denied-with-exact-message')) ?? '', /^FAIL .*want 1/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('passes every case with the OPA wasm engine too (skipped when no opa binary is on PATH)', async function () {
    const opa = findOpa(process.env['PATH']);
    if (opa === undefined) this.skip(); // skipped: `opa` is not installed, so templates cannot be compiled to wasm
    const { summary, lines } = await run([POLICIES], wasmEngine(opa));
    assert.equal(summary.failed, 0, lines.filter((l) => !l.startsWith('ok')).join('\n'));
    assert.equal(summary.passed, TOTAL);
  });
});
