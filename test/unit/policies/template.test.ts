/**
 * SignGateVerification's Rego evaluated directly, with an `external_data` that answers the way Gatekeeper does,
 * including what the suite fixtures cannot express: the keys of the one call (deduplicated, namespaced), a
 * response with status_code 0 (every answer from Gatekeeper's cache), and a key answered neither by a value nor
 * by an error.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { type Builtin, type Value, RegoPolicy, RObject, fromJSON, toJSON } from '../../../provider/src/rego/index.js';

const TEMPLATE = resolve(dirname(fileURLToPath(import.meta.url)), '../../../policies/verification/template.yaml');

interface Call { readonly provider: string; readonly keys: readonly string[] }
interface Answer { readonly responses?: [string, unknown][]; readonly errors?: [string, string][]; readonly status_code?: number; readonly system_error?: string }
interface Violation { readonly msg: string; readonly details: Record<string, unknown> }

function templateRego(): string {
  const doc = parse(readFileSync(TEMPLATE, 'utf8')) as { spec: { targets: { rego: string }[] } };
  const rego = doc.spec.targets[0]?.rego;
  assert.ok(typeof rego === 'string');
  return rego;
}

/** Compiles the template with an external_data that records its calls and answers with `answer(keys)`. */
function evaluator(answer: (keys: readonly string[]) => Answer): { calls: Call[]; violations: (input: unknown) => Violation[] } {
  const calls: Call[] = [];
  const externalData: Builtin = {
    arity: 1,
    fn: (args) => {
      const req = toJSON(args[0] as Value) as { provider: string; keys: string[] };
      calls.push({ provider: req.provider, keys: req.keys });
      const a = answer(req.keys);
      return new RObject([
        ['responses', fromJSON(a.responses ?? [])],
        ['errors', fromJSON(a.errors ?? [])],
        ['status_code', a.status_code ?? 200],
        ['system_error', a.system_error ?? ''],
      ]);
    },
  };
  const policy = RegoPolicy.compile([{ name: 'template.rego', source: templateRego() }], { builtins: { external_data: externalData } });
  return {
    calls,
    violations: (input) => {
      const v = policy.evalRef('data.signgateverification.violation', { input, data: { inventory: {} }, timeoutMs: 10_000 });
      return v === undefined ? [] : (toJSON(v) as unknown as Violation[]);
    },
  };
}

const R = 'registry.example.com';
const signed = { isSuccess: true, traceID: 't-ok', verifierReports: [{ isSuccess: true, message: 'signature verified' }] };
const unsigned = {
  isSuccess: false,
  traceID: 't-fail',
  verifierReports: [{ isSuccess: false, message: 'no signatures found', errorReason: 'SIGNATURE_NOT_FOUND', remediation: 'Sign the image.' }],
};

function podReview(spec: Record<string, unknown>, namespace = 'default'): Record<string, unknown> {
  return {
    kind: { group: '', version: 'v1', kind: 'Pod' },
    namespace,
    operation: 'CREATE',
    object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace }, spec },
  };
}

const spec = {
  initContainers: [{ name: 'setup', image: `${R}/unsigned:1.0` }],
  containers: [
    { name: 'app', image: `${R}/unsigned:1.0` },
    { name: 'web', image: `${R}/app:1.0` },
    { name: 'web2', image: `${R}/app:1.0` },
  ],
  ephemeralContainers: [{ name: 'dbg', image: `${R}/app:1.0` }],
};

describe('SignGateVerification template (Rego, Gatekeeper-shaped external_data)', () => {
  it('makes one external_data call per review, with each image once, to the configured provider', () => {
    const e = evaluator((keys) => ({ responses: keys.map((k) => [k, k.includes('unsigned') ? unsigned : signed]) }));
    const v = e.violations({ review: podReview(spec), parameters: {} });
    assert.equal(e.calls.length, 1);
    assert.deepEqual(e.calls[0], { provider: 'signgate-verify', keys: [`${R}/app:1.0`, `${R}/unsigned:1.0`] });
    assert.deepEqual(v.map((x) => x.msg), [`containers "app", "setup" image "${R}/unsigned:1.0" failed signature verification: no signatures found [trace t-fail]`]);
    assert.deepEqual(v[0]?.details, {
      image: `${R}/unsigned:1.0`, key: `${R}/unsigned:1.0`, containers: ['app', 'setup'],
      reason: 'no signatures found', remediation: 'Sign the image.', traceID: 't-fail',
    });
  });

  it('sends [namespace]image keys when namespacedKeys is set, and names the plain image in messages', () => {
    const e = evaluator((keys) => ({ responses: keys.map((k) => [k, unsigned]) }));
    const v = e.violations({ review: podReview({ containers: [{ name: 'app', image: `${R}/x:1` }] }, 'team-a'), parameters: { namespacedKeys: true, provider: 'p2' } });
    assert.deepEqual(e.calls, [{ provider: 'p2', keys: [`[team-a]${R}/x:1`] }]);
    assert.match(v[0]?.msg ?? '', new RegExp(`^container "app" image "${R}/x:1" failed`));
  });

  it('reads verdicts the same when Gatekeeper answers from its cache (status_code 0)', () => {
    const e = evaluator((keys) => ({ responses: keys.map((k) => [k, k.includes('unsigned') ? unsigned : signed]), status_code: 0 }));
    assert.equal(e.violations({ review: podReview(spec), parameters: {} }).length, 1);
    const ok = evaluator((keys) => ({ responses: keys.map((k) => [k, signed]), status_code: 0 }));
    assert.deepEqual(ok.violations({ review: podReview(spec), parameters: {} }), []);
  });

  it('never gates on status_code: a 500 with passing verdicts and no system_error admits', () => {
    const e = evaluator((keys) => ({ responses: keys.map((k) => [k, signed]), status_code: 500 }));
    assert.deepEqual(e.violations({ review: podReview(spec), parameters: {} }), []);
  });

  it('denies an image the provider answered neither with a value nor with an error (fail closed), unless onProviderError is allow', () => {
    const answer = (keys: readonly string[]): Answer => ({ responses: keys.filter((k) => k.endsWith('app:1.0')).map((k) => [k, signed]) });
    const deny = evaluator(answer).violations({ review: podReview(spec), parameters: {} });
    assert.deepEqual(deny.map((x) => x.msg), [`containers "app", "setup" image "${R}/unsigned:1.0" could not be verified: provider "signgate-verify" returned no answer for key "${R}/unsigned:1.0"`]);
    assert.deepEqual(evaluator(answer).violations({ review: podReview(spec), parameters: { onProviderError: 'allow' } }), []);
  });

  it('denies an image whose answer is a bare [key] without a value or error (fail closed)', () => {
    const answer = (keys: readonly string[]): Answer => ({
      // a malformed answer: the pair has no second element
      responses: keys.map((k) => (k.endsWith('app:1.0') ? [k, signed] : ([k] as unknown as [string, unknown]))),
    });
    const deny = evaluator(answer).violations({ review: podReview(spec), parameters: {} });
    assert.deepEqual(deny.map((x) => x.msg), [`containers "app", "setup" image "${R}/unsigned:1.0" could not be verified: provider "signgate-verify" returned no answer for key "${R}/unsigned:1.0"`]);
  });

  it('reports a system error once, not per image, and only under deny', () => {
    const e = evaluator(() => ({ system_error: 'connection refused', status_code: 500 }));
    const v = e.violations({ review: podReview(spec), parameters: {} });
    assert.deepEqual(v.map((x) => x.msg), ['signature verification unavailable: connection refused']);
    assert.deepEqual(evaluator(() => ({ system_error: 'connection refused' })).violations({ review: podReview(spec), parameters: { onProviderError: 'allow' } }), []);
  });

  it('finds the pod spec of every workload kind, and no call is made for other kinds', () => {
    const podSpec = { containers: [{ name: 'c', image: `${R}/unsigned:1.0` }] };
    const cases: [string, string, Record<string, unknown>][] = [
      ['apps', 'Deployment', { template: { spec: podSpec } }], ['apps', 'StatefulSet', { template: { spec: podSpec } }],
      ['apps', 'DaemonSet', { template: { spec: podSpec } }], ['apps', 'ReplicaSet', { template: { spec: podSpec } }],
      ['', 'ReplicationController', { template: { spec: podSpec } }], ['batch', 'Job', { template: { spec: podSpec } }],
      ['batch', 'CronJob', { jobTemplate: { spec: { template: { spec: podSpec } } } }],
    ];
    for (const [group, kind, objSpec] of cases) {
      const e = evaluator((keys) => ({ responses: keys.map((k) => [k, unsigned]) }));
      const review = { kind: { group, version: 'v1', kind }, namespace: 'default', object: { kind, metadata: { name: 'w' }, spec: objSpec } };
      assert.equal(e.violations({ review, parameters: {} }).length, 1, kind);
      assert.equal(e.calls.length, 1, kind);
    }
    // A Deployment-shaped object of another API group (a CRD named Deployment) is not read.
    const other = evaluator(() => ({}));
    const review = { kind: { group: 'example.com', version: 'v1', kind: 'Deployment' }, object: { spec: { template: { spec: podSpec } } } };
    assert.deepEqual(other.violations({ review, parameters: {} }), []);
    assert.equal(other.calls.length, 0);
  });
});
