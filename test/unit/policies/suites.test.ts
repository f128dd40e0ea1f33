/**
 * The policy bundle's suites, run through the runner's library API exactly as `signgate policy test policies/`
 * runs them in CI: every case passes, the counts are the expected ones (a case silently dropped or skipped fails
 * here), and a broken template makes the suites fail.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinEngine, findOpa, runSuites, type RunSummary, type TemplateEngine, wasmEngine } from '../../../provider/src/policytest/index.js';
import { requireOpa } from '../../support/requirements.js';

const POLICIES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../policies');
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
/** Cases per Suite test of policies/verification/exemptions-suite.yaml. */
const EXPECTED_EXEMPTION_CASES: Readonly<Record<string, number>> = {
  'exempt-repositories': 5,
  'exempt-repositories-non-canonical-entries': 1,
  'exempt-images-traps': 2,
  'exempt-repositories-closes-the-sibling-trap': 1,
  'invalid-exempt-repositories-string-prefix': 1,
  'invalid-exempt-repositories-host-case': 1,
  'invalid-exempt-repositories-https-port': 1,
  'invalid-exempt-repositories-no-registry': 1,
  'invalid-exempt-repositories-ipv6': 1,
};
const EXPECTED_FILES: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  'verification/suite.yaml': EXPECTED_CASES,
  'verification/exemptions-suite.yaml': EXPECTED_EXEMPTION_CASES,
};
const TOTAL = Object.values(EXPECTED_FILES).flatMap((f) => Object.values(f)).reduce((a, b) => a + b, 0);

async function run(paths: readonly string[], engine: TemplateEngine = builtinEngine): Promise<{ summary: RunSummary; lines: string[] }> {
  const lines: string[] = [];
  const summary = await runSuites(paths, { engine, out: (l) => lines.push(l) });
  return { summary, lines };
}

/** Where an output line (`ok    <file> <test>/<case>`, `FAIL  <file> <test>/<case>: <why>`) points, relative to its folder. */
function caseOf(line: string, root: string = POLICIES): { file: string; test: string; name: string } {
  const [, file = '', where = ''] = line.split(/\s+/);
  const name = where.replace(/:$/, '');
  return { file: relative(root, file), test: name.split('/')[0] ?? '', name };
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
    const perTest: Record<string, Record<string, number>> = {};
    for (const l of lines) {
      const { file, test } = caseOf(l);
      const counts = (perTest[file] ??= {});
      counts[test] = (counts[test] ?? 0) + 1;
    }
    assert.deepEqual(perTest, EXPECTED_FILES);
  });

  it('covers every case the issue names, by case name', async () => {
    const { lines } = await run([POLICIES]);
    const names = lines.map((l) => caseOf(l).name);
    for (const want of [
      'enforce/signed-pod-allowed', 'enforce/unsigned-pod-denied-with-exact-message', 'enforce/tampered-pod-denied-with-exact-message',
      'enforce/wrong-identity-pod-denied-with-exact-message', 'enforce/one-of-three-containers-unsigned',
      'enforce/unsigned-init-container-denied', 'enforce/unsigned-ephemeral-container-denied',
      'enforce/duplicate-images-one-key-one-violation', 'enforce/per-key-provider-error-denied', 'enforce/system-error-denied',
      ...['deployment', 'statefulset', 'daemonset', 'replicaset', 'replicationcontroller', 'job', 'cronjob'].map((k) => `enforce/${k}-unsigned-denied`),
      'on-provider-error-allow/system-error-allowed', 'exempt-images/exact-and-prefix-exempt-images-not-sent',
      'namespaced-keys/keys-carry-the-namespace', 'verdict-shapes/minimal-passing-verdict-allowed',
      'exempt-repositories/docker-hub-names-and-short-forms-not-sent', 'exempt-repositories/host-case-ignored',
      'exempt-repositories/exact-and-subtree-entries-any-tag-or-digest-not-sent',
      'exempt-repositories/sibling-prefix-subtree-root-and-other-registries-verified',
      'exempt-repositories/spellings-without-an-exact-canonical-form-verified',
      'exempt-images-traps/prefix-without-slash-exempts-a-sibling-repository',
      'exempt-images-traps/tag-prefix-exempts-every-digest-and-longer-tag',
    ]) {
      assert.ok(names.includes(want), `no passing case ${want} in:\n${names.join('\n')}`);
    }
  });

  // Each broken exemption rule must fail exactly these cases (a case that stops failing, or a new one that starts, fails here).
  const brokenExemptions: readonly { readonly what: string; readonly from: string; readonly to: string; readonly failing: readonly string[] }[] = [
    {
      what: 'exemptions are ignored (exempt images reach the provider)',
      from: 'not exempt(c.image)',
      to: 'true',
      failing: [
        'exempt-images/exact-and-prefix-exempt-images-not-sent', 'exempt-images/all-exempt-makes-no-call',
        'exempt-repositories/exact-and-subtree-entries-any-tag-or-digest-not-sent',
        'exempt-repositories/docker-hub-names-and-short-forms-not-sent', 'exempt-repositories/host-case-ignored',
        'exempt-images-traps/prefix-without-slash-exempts-a-sibling-repository',
        'exempt-images-traps/tag-prefix-exempts-every-digest-and-longer-tag',
      ],
    },
    {
      what: 'a subtree entry is read as a string prefix (registry.example.com/base/* exempts base-evil)',
      from: 'endswith(entry, "/*")\n          startswith(repository, trim_suffix(entry, "*"))',
      to: 'endswith(entry, "*")\n          startswith(repository, trim_suffix(entry, "/*"))',
      failing: ['exempt-repositories/sibling-prefix-subtree-root-and-other-registries-verified', 'exempt-repositories-closes-the-sibling-trap/sibling-of-a-subtree-entry-verified'],
    },
    {
      what: 'tag and digest stay part of the repository',
      from: 'name := regex.replace(split(image, "@")[0], `:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`, "")',
      to: 'name := image',
      failing: ['exempt-repositories/exact-and-subtree-entries-any-tag-or-digest-not-sent', 'exempt-repositories/docker-hub-names-and-short-forms-not-sent', 'exempt-repositories/host-case-ignored'],
    },
    {
      what: 'the host keeps its letter case',
      from: 'host := lower(written)',
      to: 'host := written',
      failing: ['exempt-repositories/docker-hub-names-and-short-forms-not-sent', 'exempt-repositories/host-case-ignored'],
    },
    {
      what: "Docker Hub's one-segment repositories lose library/",
      from: 'p := ["library", path[0]]',
      to: 'p := path',
      failing: ['exempt-repositories/docker-hub-names-and-short-forms-not-sent', 'exempt-repositories-non-canonical-entries/entries-in-another-spelling-exempt-nothing'],
    },
    {
      what: "Docker Hub's names with a port are read as docker.io",
      from: 'not contains(domain, ":")\n          docker_hub_names[canonical_host(domain)]',
      to: 'docker_hub_names[canonical_host(split(domain, ":")[0])]',
      failing: ['exempt-repositories/spellings-without-an-exact-canonical-form-verified'],
    },
  ];
  for (const broken of brokenExemptions) {
    it(`fails exactly the cases that catch it when ${broken.what}`, async () => {
      const dir = await brokenCopy((t) => t.replace(broken.from, broken.to));
      try {
        const { summary, lines } = await run([dir]);
        const failed = lines.filter((l) => l.startsWith('FAIL')).map((l) => caseOf(l, dir).name);
        assert.deepEqual(failed.sort(), [...broken.failing].sort(), lines.filter((l) => l.startsWith('FAIL')).join('\n'));
        assert.equal(summary.failed, broken.failing.length);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  it('fails when the template fails open on provider errors', async () => {
    const dir = await brokenCopy((t) => t.replace('not input.parameters.onProviderError == "allow"', 'input.parameters.onProviderError == "deny"'));
    try {
      const { summary, lines } = await run([dir]);
      const failed = lines.filter((l) => l.startsWith('FAIL'));
      assert.equal(summary.failed, 3, failed.join('\n'));
      // The cases whose constraint leaves onProviderError at its default (deny) and whose provider cannot decide.
      assert.deepEqual(failed.map((l) => caseOf(l, dir).name).sort(), [
        'defaults-without-parameters/per-key-error-denies-by-default',
        'defaults-without-parameters/system-error-denies-by-default',
        'exempt-repositories/spellings-without-an-exact-canonical-form-verified',
      ]);
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
    const opa = requireOpa(this, findOpa(process.env['PATH']));
    const { summary, lines } = await run([POLICIES], wasmEngine(opa));
    assert.equal(summary.failed, 0, lines.filter((l) => !l.startsWith('ok')).join('\n'));
    assert.equal(summary.passed, TOTAL);
  });
});
