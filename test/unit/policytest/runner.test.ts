import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PolicyTestError, builtinEngine, checkAssertion, runSuites, type RunSummary } from '../../../provider/src/policytest/index.js';
import { pod, verifySuiteDir, writeTree, VERIFY_TEMPLATE, CONSTRAINT } from './fixtures.js';
import { requireShared } from '../../support/requirements.js';

async function run(paths: readonly string[], run?: RegExp): Promise<{ summary: RunSummary; lines: string[] }> {
  const lines: string[] = [];
  const summary = await runSuites(paths, { engine: builtinEngine, ...(run ? { run } : {}), out: (l) => lines.push(l) });
  return { summary, lines };
}

describe('policy test runner (gator verify semantics with external data)', () => {
  it('answers external_data from case fixtures: values, item errors, system errors', async () => {
    const dir = verifySuiteDir();
    const { summary, lines } = await run([dir]);
    const failures = lines.filter((l) => l.startsWith('FAIL'));
    assert.deepEqual(failures, []);
    assert.equal(summary.passed, 5, lines.join('\n'));
    assert.equal(summary.failed, 0);
    assert.equal(summary.skipped, 1);
    assert.ok(lines.some((l) => /^ok\s+\S+suite\.yaml verify\/unsigned-image-denied$/.test(l)));
    assert.ok(lines.some((l) => /^SKIP\s+\S+ verify\/not-yet: skip: true$/.test(l)));
    assert.ok(lines.some((l) => /^ok\s+\S+ broken-template$/.test(l)), 'an invalid template passes a test marked invalid: true');
  });

  it('fails a case whose fixture lacks a key, naming the key', async () => {
    const dir = verifySuiteDir(`- name: missing
  template: template.yaml
  constraint: constraint.yaml
  cases:
  - name: missing-key
    object: samples/pod-unsigned.yaml
    externalData:
    - provider: signgate-verify
      responses:
        "registry.example.com/app:1.0": {value: {isSuccess: true}}
    assertions:
    - violations: no
  - name: no-fixture-at-all
    object: samples/pod-signed.yaml
    assertions:
    - violations: no
`);
    const { summary, lines } = await run([dir], /^missing$/);
    assert.equal(summary.failed, 2);
    const missing = lines.find((l) => l.includes('missing/missing-key')) ?? '';
    assert.match(missing, /^FAIL/);
    assert.match(missing, /has no answer for key "registry\.example\.com\/slow:2\.0"/);
    assert.match(lines.find((l) => l.includes('no-fixture-at-all')) ?? '', /no answers for provider "signgate-verify"/);
  });

  it('reports a failed assertion with the violations it got', async () => {
    const dir = verifySuiteDir(`- name: wrong
  template: template.yaml
  constraint: constraint.yaml
  cases:
  - name: expects-none
    object: samples/pod-unsigned.yaml
    externalData:
    - provider: signgate-verify
      responses:
        "registry.example.com/app:1.0": {value: {isSuccess: false}}
        "registry.example.com/slow:2.0": {value: {isSuccess: true}}
    assertions:
    - violations: no
`);
    const { summary, lines } = await run([dir], /^wrong/);
    assert.equal(summary.failed, 1);
    assert.match(lines.join('\n'), /FAIL\s+\S+ wrong\/expects-none: got 1 violation\(s\) \(messages: "image registry\.example\.com\/app:1\.0 is not signed"\), want none/);
  });

  it('fails a test marked invalid when the template is valid, and a valid test whose template does not compile', async () => {
    const dir = writeTree({
      'suite.yaml': `kind: Suite
apiVersion: test.gatekeeper.sh/v1alpha1
tests:
- name: says-invalid
  template: template.yaml
  constraint: constraint.yaml
  invalid: true
- name: bad-rego
  template: bad.yaml
  constraint: constraint.yaml
  cases:
  - name: c
    object: pod.yaml
    assertions: [{violations: no}]
`,
      'template.yaml': VERIFY_TEMPLATE,
      'bad.yaml': VERIFY_TEMPLATE.replace('violation[{"msg": msg}] {\n          r :=', 'violation[{"msg": msg}] {\n          data.other.x\n          r :='),
      'constraint.yaml': CONSTRAINT,
      'pod.yaml': pod('p', ['x']),
    });
    const { summary, lines } = await run([dir]);
    assert.equal(summary.failed, 2);
    assert.match(lines.join('\n'), /says-invalid: the template and constraint are valid/);
    assert.match(lines.join('\n'), /only data\.inventory and data\.lib may be referenced, found data\.other/);
  });

  it('rejects constraint parameters that do not match the template schema', async () => {
    const dir = writeTree({
      'suite.yaml': `kind: Suite
apiVersion: test.gatekeeper.sh/v1alpha1
tests:
- name: bad-params
  template: template.yaml
  constraint: constraint.yaml
  invalid: true
`,
      'template.yaml': VERIFY_TEMPLATE,
      'constraint.yaml': CONSTRAINT.replace('provider: signgate-verify', 'provider: 42'),
    });
    const { summary, lines } = await run([dir]);
    assert.deepEqual([summary.passed, summary.failed], [1, 0], lines.join('\n'));
    assert.match(lines.join('\n'), /^ok\s+\S+ bad-params$/m);
    // the control: the same test with the parameter as the schema wants it is valid, so only the parameter made it invalid
    writeFileSync(join(dir, 'constraint.yaml'), CONSTRAINT);
    const control = await run([dir]);
    assert.deepEqual([control.summary.passed, control.summary.failed], [0, 1]);
    assert.match(control.lines.join('\n'), /FAIL\s+\S+ bad-params: the template and constraint are valid, but the test says invalid: true/);
  });

  it('counts by case and applies gator assertion semantics', () => {
    const v = [{ msg: 'container a is bad', details: {} }, { msg: 'initContainer b is bad', details: {} }];
    assert.equal(checkAssertion({ violations: 'yes', message: undefined }, v), undefined);
    assert.equal(checkAssertion({ violations: 2, message: 'ontainer' }, v), undefined);
    assert.equal(checkAssertion({ violations: 1, message: 'Container' }, v), undefined);
    assert.equal(checkAssertion({ violations: 1, message: '^container' }, v), undefined);
    assert.match(checkAssertion({ violations: 'no', message: 'init' }, v) ?? '', /want none/);
  });

  it('throws a coded error for an unreadable path', async () => {
    await assert.rejects(run(['/nonexistent/signgate']), (e: unknown) => e instanceof PolicyTestError && e.code === 'FILE_UNREADABLE');
  });

  it('passes every suite of the gatekeeper library', async function () {
    const lib = join(process.cwd(), '..', 'shared', 'gatekeeper-library', 'library');
    requireShared(this, lib);
    const { summary, lines } = await run([lib]);
    assert.deepEqual(lines.filter((l) => l.startsWith('FAIL')), []);
    assert.equal(summary.failed, 0);
    assert.ok(summary.passed >= 148);
  });
});
