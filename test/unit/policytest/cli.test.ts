import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { policyTestCommand } from '../../../provider/src/cli/policyTest.js';
import { findOpa } from '../../../provider/src/policytest/index.js';
import { verifySuiteDir } from './fixtures.js';
import { requireOpa, skipVisibly } from '../../support/requirements.js';

async function cli(argv: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough(), stderr = new PassThrough();
  let out = '', err = '';
  stdout.on('data', (c: Buffer) => { out += c.toString(); });
  stderr.on('data', (c: Buffer) => { err += c.toString(); });
  const code = await policyTestCommand(argv, { stdout, stderr });
  return { code, out, err };
}

describe('signgate policy test', () => {
  it('prints a line per case and last "N passed, M failed, K skipped"; exits 0 when nothing failed', async () => {
    const dir = verifySuiteDir();
    const r = await cli([dir]);
    assert.equal(r.code, 0, r.out + r.err);
    const last = r.out.trim().split('\n').pop();
    assert.equal(last, '5 passed, 0 failed, 1 skipped');
  });

  it('filters with --run and exits 1 on a failure', async () => {
    const dir = verifySuiteDir(`- name: failing
  template: template.yaml
  constraint: constraint.yaml
  cases:
  - name: wants-a-violation
    object: samples/pod-signed.yaml
    externalData:
    - provider: signgate-verify
      responses:
        "registry.example.com/app:2.0": {value: {isSuccess: true}}
    assertions:
    - violations: yes
`);
    const r = await cli([dir, '--run', '^failing$']);
    assert.equal(r.code, 1);
    assert.match(r.out, /FAIL\s+\S+ failing\/wants-a-violation: got 0 violation\(s\), want at least 1/);
    assert.equal(r.out.trim().split('\n').pop(), '0 passed, 1 failed');
  });

  it('with --engine wasm and no opa binary, skips every case visibly and says so last', async function () {
    if (findOpa(process.env['PATH'])) skipVisibly(this, 'opa is on PATH; the engine comparison test covers it');
    const r = await cli([verifySuiteDir(), '--engine', 'wasm']);
    assert.equal(r.code, 0);
    assert.match(r.out, /SKIP\s+\S+ verify\/unsigned-image-denied: opa not found/);
    assert.match(r.out.trim().split('\n').pop() ?? '', /^0 passed, 0 failed, \d+ skipped \(opa not found\)$/);
  });

  it('gives the same results with both engines when opa is present', async function () {
    requireOpa(this, findOpa(process.env['PATH']));
    const dir = verifySuiteDir();
    const a = await cli([dir]);
    const b = await cli([dir, '--engine', 'wasm']);
    assert.equal(b.out.trim().split('\n').pop(), a.out.trim().split('\n').pop());
  });

  it('rejects bad usage with exit code 2', async () => {
    assert.equal((await cli([])).code, 2);
    assert.equal((await cli(['x', '--engine', 'nope'])).code, 2);
    assert.equal((await cli(['x', '--provider', 'noequals'])).code, 2);
    assert.equal((await cli(['x', '--provider', 'p=http://insecure'])).code, 2);
  });
});
