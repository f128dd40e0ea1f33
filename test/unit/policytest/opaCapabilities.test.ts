/**
 * The wasm engine's plumbing without a real opa (not installable here): capabilities merging, the builtins supplied
 * to opa-wasm from signgate's library, and a fake `opa` on PATH that prints capabilities and fails `opa build` with
 * output on both streams.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EXTERNAL_DATA_DECL,
  lackingBuiltins,
  parseCapabilities,
  wasmBuiltins,
  withExternalData,
  type Capabilities,
} from '../../../provider/src/policytest/opaCapabilities.js';
import { PolicyTestError } from '../../../provider/src/policytest/errors.js';
import { wasmEngine } from '../../../provider/src/policytest/index.js';

const decl = (name: string): { name: string; decl: unknown } => ({ name, decl: { type: 'function', args: [], result: { type: 'any' } } });

/** A stand-in for `opa capabilities --current`: some builtins opa-wasm's SDK has, some it lacks, one nobody has. */
const OPA_CAPS: Capabilities = {
  builtins: ['count', 'sprintf', 'strings.any_prefix_match', 'time.parse_rfc3339_ns', 'time.now_ns', 'walk', 'opa.runtime.secret'].map(decl),
  wasm_abi_versions: [{ version: 1, minor_version: 3 }],
  features: ['rego_v1'],
};
const SDK_CAPS: Capabilities = { builtins: ['count', 'sprintf', 'walk'].map(decl) };

function policyTestError(fn: () => unknown): PolicyTestError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof PolicyTestError, String(err));
    return err;
  }
  return assert.fail('no error');
}

describe('wasm engine: capabilities and builtins', () => {
  it('validates a capabilities document and names its source', () => {
    assert.equal(parseCapabilities(OPA_CAPS, 'x').builtins.length, 7);
    const err = policyTestError(() => parseCapabilities({ builtins: [{ decl: {} }] }, '/usr/bin/opa capabilities --current'));
    assert.equal(err.code, 'ENGINE_UNAVAILABLE');
    assert.match(err.message, /\/usr\/bin\/opa capabilities --current is not an opa capabilities document: builtins\[0\] has no "name"/);
    assert.match(policyTestError(() => parseCapabilities([], 'caps')).message, /not a JSON object/);
    assert.match(policyTestError(() => parseCapabilities({ builtins: {} }, 'caps')).message, /"builtins" is not a list/);
  });

  it("compiles against opa's own capabilities plus external_data, keeping everything else opa declared", () => {
    const merged = withExternalData({ ...OPA_CAPS, builtins: [...OPA_CAPS.builtins, { name: 'external_data', decl: { stale: true } }] });
    assert.deepEqual(merged.builtins.map((b) => b.name), [...OPA_CAPS.builtins.map((b) => b.name), 'external_data']);
    assert.deepEqual(merged.builtins.at(-1), EXTERNAL_DATA_DECL);
    assert.deepEqual(merged['wasm_abi_versions'], OPA_CAPS['wasm_abi_versions']);
    assert.deepEqual(merged['features'], ['rego_v1']);
  });

  it('supplies from signgate every builtin opa knows and the SDK lacks; names the ones nobody implements', () => {
    const { supplied, unsupported } = lackingBuiltins(OPA_CAPS, SDK_CAPS);
    assert.deepEqual(supplied, ['strings.any_prefix_match', 'time.now_ns', 'time.parse_rfc3339_ns']);
    assert.deepEqual(unsupported, ['opa.runtime.secret']);
  });

  it("answers each supplied builtin with signgate's implementation, JSON in and out", () => {
    const nowNs = 1_700_000_000_000_000_000;
    const fns = wasmBuiltins(['strings.any_prefix_match', 'time.parse_rfc3339_ns', 'time.now_ns', 'no.such'], () => ({ nowNs: () => nowNs, cache: new Map(), host: undefined }));
    assert.deepEqual(Object.keys(fns).sort(), ['strings.any_prefix_match', 'time.now_ns', 'time.parse_rfc3339_ns']);
    assert.equal(fns['strings.any_prefix_match']?.(['registry.example/app'], ['docker.io/', 'registry.example/']), true);
    assert.equal(fns['strings.any_prefix_match']?.(['quay.io/x'], ['docker.io/']), false);
    assert.equal(fns['time.parse_rfc3339_ns']?.('1970-01-01T00:00:01Z'), 1_000_000_000);
    assert.equal(fns['time.now_ns']?.(), nowNs);
  });

  it('makes a call undefined on a builtin error, as opa does without strict builtin errors', () => {
    const fns = wasmBuiltins(['time.parse_rfc3339_ns'], () => ({ nowNs: () => 0, cache: new Map(), host: undefined }));
    assert.equal(fns['time.parse_rfc3339_ns']?.('yesterday'), undefined);
    assert.equal(fns['time.parse_rfc3339_ns']?.(42), undefined);
  });
});

describe('wasm engine with a fake opa on PATH', function () {
  this.timeout(30_000);
  let dir: string;
  const template = {
    name: 'k8sallowedrepos',
    kind: 'K8sAllowedRepos',
    rego: 'package k8sallowedrepos\n\nviolation[{"msg": msg}] {\n  msg := "no"\n}\n',
    libs: [],
    schema: undefined,
    path: 'template.yaml',
  };

  /** Writes a fake `opa` that logs its arguments and copies the capabilities file it is given. */
  function fakeOpa(version: string, build: string): string {
    const opa = join(dir, 'opa');
    writeFileSync(join(dir, 'caps.json'), JSON.stringify(OPA_CAPS));
    writeFileSync(
      opa,
      `#!/bin/sh
echo "$@" >> "${dir}/args.log"
case "$1" in
  version) echo "${version}" ;;
  capabilities) cat "${dir}/caps.json" ;;
  build)
    while [ $# -gt 0 ]; do
      if [ "$1" = "--capabilities" ]; then cp "$2" "${dir}/used-caps.json"; fi
      shift
    done
    ${build} ;;
esac
`,
    );
    chmodSync(opa, 0o755);
    return opa;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'signgate-fake-opa-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("shows opa's stdout and stderr when opa build fails", async () => {
    const opa = fakeOpa('Version: 0.70.0', 'echo "1 error occurred: m0.rego:4: rego_type_error: undefined function foo"; echo "warning: on stderr" >&2; exit 1');
    const err = await wasmEngine(opa).compile(template).then(
      () => assert.fail('compiled'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof PolicyTestError, String(err));
    assert.equal(err.code, 'TEMPLATE_INVALID');
    assert.match(err.message, /^template.yaml: compiling template k8sallowedrepos to wasm: .*opa build failed \(exit status 1\)/);
    assert.match(err.message, /stdout:\n1 error occurred: m0.rego:4: rego_type_error: undefined function foo/);
    assert.match(err.message, /stderr:\nwarning: on stderr/);
  });

  it("passes opa's own capabilities plus external_data to opa build, and --v0-compatible to opa 1.x only", async () => {
    for (const [version, v0] of [['Version: 1.4.2', true], ['Version: 0.70.0', false]] as const) {
      const opa = fakeOpa(version, 'exit 3');
      await assert.rejects(wasmEngine(opa).compile(template), PolicyTestError);
      const used = JSON.parse(readFileSync(join(dir, 'used-caps.json'), 'utf8')) as Capabilities;
      assert.deepEqual(used.builtins.map((b) => b.name), [...OPA_CAPS.builtins.map((b) => b.name), 'external_data']);
      const build = readFileSync(join(dir, 'args.log'), 'utf8').split('\n').find((l) => l.startsWith('build')) ?? '';
      assert.equal(build.includes('--v0-compatible'), v0, build);
      assert.match(build, /-t wasm .*-e k8sallowedrepos\/violation/);
      rmSync(join(dir, 'args.log'));
    }
  });

  it('reports an opa whose capabilities are not JSON as unavailable', async () => {
    const opa = fakeOpa('Version: 1.0.0', 'exit 0');
    writeFileSync(join(dir, 'caps.json'), 'not json');
    const err = await wasmEngine(opa).compile(template).then(
      () => assert.fail('compiled'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof PolicyTestError);
    assert.equal(err.code, 'ENGINE_UNAVAILABLE');
    assert.match(err.message, /capabilities --current did not print JSON/);
  });
});
