/**
 * Structure of every manifest in policies/: the fields Gatekeeper requires of ConstraintTemplates, Constraints,
 * Assign mutations and Providers, and the choices the bundle promises (all workload kinds, system namespaces
 * excluded, failurePolicy Fail, HTTPS providers, no http.send or status_code in Rego).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const POLICIES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../policies');

type Obj = Record<string, unknown>;
interface Doc { readonly file: string; readonly doc: Obj }

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function obj(v: unknown, where: string): Obj {
  assert.ok(isObj(v), `${where} must be a mapping`);
  return v;
}

function list(v: unknown, where: string): unknown[] {
  assert.ok(Array.isArray(v) && v.length > 0, `${where} must be a non-empty list`);
  return v;
}

function str(v: unknown, where: string): string {
  assert.ok(typeof v === 'string' && v !== '', `${where} must be a non-empty string`);
  return v;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(n) ? [p] : [];
  });
}

/** Every manifest of the bundle; suite inputs under tests/objects are admission objects, not manifests. */
function manifests(): Doc[] {
  return yamlFiles(POLICIES)
    .filter((f) => !relative(POLICIES, f).includes('tests/objects/'))
    .flatMap((file) => parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
      assert.equal(d.errors.length, 0, `${file}: ${d.errors[0]?.message ?? ''}`);
      return { file: relative(POLICIES, file), doc: obj(d.toJS(), file) };
    }));
}

const byKind = (kind: string): Doc[] => manifests().filter((m) => m.doc['kind'] === kind);

/** Every (apiGroup, kind) a constraint or Assign must cover. */
const WORKLOADS = ['/Pod', '/ReplicationController', 'apps/Deployment', 'apps/StatefulSet', 'apps/DaemonSet', 'apps/ReplicaSet', 'batch/Job', 'batch/CronJob'];
const SYSTEM_NAMESPACES = ['kube-system', 'gatekeeper-system', 'signgate-system'];

function matchedKinds(kinds: unknown, where: string): string[] {
  return list(kinds, where).flatMap((k, i) => {
    const e = obj(k, `${where}[${i}]`);
    const groups = list(e['apiGroups'] ?? e['groups'], `${where}[${i}].apiGroups`) as string[];
    return groups.flatMap((g) => (list(e['kinds'], `${where}[${i}].kinds`) as string[]).map((kind) => `${g}/${kind}`));
  });
}

describe('policy bundle manifests (policies/)', () => {
  it('contains only known kinds, each document named', () => {
    const known = new Set(['ConstraintTemplate', 'SignGateVerification', 'Assign', 'Provider', 'Suite']);
    const docs = manifests();
    assert.ok(docs.length >= 20, `only ${docs.length} manifests`);
    for (const { file, doc } of docs) {
      assert.ok(known.has(String(doc['kind'])), `${file}: unexpected kind ${String(doc['kind'])}`);
      str(obj(doc['metadata'], `${file} metadata`)['name'], `${file} metadata.name`);
    }
  });

  it('ConstraintTemplate: v1, name = lowercase kind, typed parameters, admission target with Gatekeeper-safe Rego', () => {
    const [t, ...rest] = byKind('ConstraintTemplate');
    assert.ok(t && rest.length === 0, 'exactly one ConstraintTemplate');
    const { file, doc } = t;
    assert.equal(doc['apiVersion'], 'templates.gatekeeper.sh/v1', file);
    const crd = obj(obj(obj(doc['spec'], 'spec')['crd'], 'spec.crd')['spec'], 'spec.crd.spec');
    const kind = str(obj(crd['names'], 'names')['kind'], 'names.kind');
    assert.equal(kind, 'SignGateVerification');
    assert.equal(obj(doc['metadata'], 'metadata')['name'], kind.toLowerCase());
    const schema = obj(obj(crd['validation'], 'validation')['openAPIV3Schema'], 'openAPIV3Schema');
    const props = obj(schema['properties'], 'properties');
    assert.deepEqual(Object.keys(props).sort(), ['exemptImages', 'exemptRepositories', 'namespacedKeys', 'onProviderError', 'provider']);
    assert.equal(obj(props['provider'], 'provider')['type'], 'string');
    assert.equal(obj(props['provider'], 'provider')['default'], 'signgate-verify');
    assert.deepEqual(obj(props['exemptImages'], 'exemptImages')['items'], { type: 'string' });
    const repositories = obj(props['exemptRepositories'], 'exemptRepositories');
    assert.equal(repositories['type'], 'array');
    const repositoryItems = obj(repositories['items'], 'exemptRepositories.items');
    assert.equal(repositoryItems['type'], 'string');
    assert.match(str(repositoryItems['pattern'], 'exemptRepositories.items.pattern'), /^\^.*\$$/, 'an anchored pattern (the API server does not anchor it)');
    assert.equal(obj(props['namespacedKeys'], 'namespacedKeys')['type'], 'boolean');
    assert.deepEqual(obj(props['onProviderError'], 'onProviderError')['enum'], ['deny', 'allow']);
    assert.equal(obj(props['onProviderError'], 'onProviderError')['default'], 'deny');
    const [target, ...more] = list(obj(doc['spec'], 'spec')['targets'], 'targets');
    assert.equal(more.length, 0);
    const tgt = obj(target, 'targets[0]');
    assert.equal(tgt['target'], 'admission.k8s.gatekeeper.sh');
    const rego = str(tgt['rego'], 'rego');
    assert.match(rego, /^package signgateverification$/m);
    assert.match(rego, /^violation\[\{"msg": msg, "details": details\}\] \{$/m);
    assert.doesNotMatch(rego, /http\.send|opa\.runtime|net\.lookup/, 'builtins Gatekeeper does not allow');
    assert.doesNotMatch(rego, /status_code/, 'the template must never read status_code (0 for cached answers)');
    assert.doesNotMatch(rego, /^import rego\.v1|future\.keywords|\bif\b|\bcontains\b\s*\{/m, 'Rego v0 syntax only');
    assert.equal((rego.match(/external_data\(/g) ?? []).length, 1, 'one external_data call site');
    for (const ref of rego.match(/\bdata\.[A-Za-z_]+/g) ?? []) assert.match(ref, /^data\.(inventory|lib)$/);
  });

  it('Constraints: the template kind, every workload kind, system namespaces excluded, valid parameters', () => {
    const constraints = byKind('SignGateVerification');
    assert.ok(constraints.length >= 3);
    for (const { file, doc } of constraints) {
      assert.match(String(doc['apiVersion']), /^constraints\.gatekeeper\.sh\/v1(beta1)?$/, file);
      const spec = obj(doc['spec'], `${file} spec`);
      const match = obj(spec['match'], `${file} spec.match`);
      assert.deepEqual(matchedKinds(match['kinds'], `${file} match.kinds`).sort(), [...WORKLOADS].sort(), file);
      if (spec['enforcementAction'] !== undefined) assert.ok(['deny', 'warn', 'dryrun'].includes(String(spec['enforcementAction'])), file);
      const params = spec['parameters'] === undefined ? {} : obj(spec['parameters'], `${file} parameters`);
      if (params['onProviderError'] !== undefined && !file.includes('/bad-')) assert.ok(['deny', 'allow'].includes(String(params['onProviderError'])), file);
    }
    const samples = constraints.filter((c) => c.file.startsWith('verification/constraints/'));
    const actions = samples.map((c) => obj(c.doc['spec'], 'spec')['enforcementAction']).sort();
    assert.deepEqual(actions, ['deny', 'deny', 'warn']);
    for (const { file, doc } of samples) {
      const match = obj(obj(doc['spec'], 'spec')['match'], 'match');
      const scoped = Array.isArray(match['namespaces']);
      if (!scoped) for (const ns of SYSTEM_NAMESPACES) assert.ok((match['excludedNamespaces'] as string[]).includes(ns), `${file} must exclude ${ns}`);
      const params = obj(obj(doc['spec'], 'spec')['parameters'], `${file} parameters`);
      assert.equal(params['onProviderError'], 'deny', `${file}: samples fail closed`);
      if (scoped) assert.equal(params['namespacedKeys'], true, `${file}: a namespace-scoped sample uses namespaced keys`);
    }
  });

  it('Assign: v1, signgate-mutate with failurePolicy Fail, system namespaces excluded, every kind and container list', () => {
    const assigns = byKind('Assign');
    const covered = new Set<string>();
    for (const { file, doc } of assigns) {
      const name = str(obj(doc['metadata'], 'metadata')['name'], 'name');
      assert.equal(doc['apiVersion'], 'mutations.gatekeeper.sh/v1', name);
      const spec = obj(doc['spec'], `${name} spec`);
      for (const [i, a] of list(spec['applyTo'], `${name} applyTo`).entries()) {
        const e = obj(a, `${name} applyTo[${i}]`);
        list(e['groups'], 'groups'); list(e['kinds'], 'kinds'); assert.deepEqual(e['versions'], ['v1'], name);
      }
      const applied = matchedKinds(spec['applyTo'], `${name} applyTo`).sort();
      const match = obj(spec['match'], `${name} match`);
      assert.deepEqual(matchedKinds(match['kinds'], `${name} match.kinds`).sort(), applied, `${name}: match.kinds = applyTo`);
      for (const ns of SYSTEM_NAMESPACES) assert.ok((match['excludedNamespaces'] as string[]).includes(ns), `${name} must exclude ${ns}`);
      const location = str(spec['location'], `${name} location`);
      const m = /^(spec|spec\.template\.spec|spec\.jobTemplate\.spec\.template\.spec)\.(containers|initContainers|ephemeralContainers)\[name:\*\]\.image$/.exec(location);
      assert.ok(m, `${name}: unexpected location ${location}`);
      const base = { 'spec': 'pod', 'spec.template.spec': 'template', 'spec.jobTemplate.spec.template.spec': 'cronjob' }[m[1] as string];
      assert.deepEqual(applied, base === 'pod' ? ['/Pod'] : base === 'cronjob' ? ['batch/CronJob'] : WORKLOADS.filter((k) => k !== '/Pod' && k !== 'batch/CronJob').sort(), `${name} (${file})`);
      const ext = obj(obj(obj(spec['parameters'], 'parameters')['assign'], 'assign')['externalData'], `${name} externalData`);
      assert.deepEqual(ext, { provider: 'signgate-mutate', dataSource: 'ValueAtLocation', failurePolicy: 'Fail' }, name);
      for (const k of applied) covered.add(`${k} ${m[2] as string}`);
    }
    for (const k of WORKLOADS) for (const l of ['containers', 'initContainers']) assert.ok(covered.has(`${k} ${l}`), `no Assign for ${k} ${l}`);
    assert.ok(covered.has('/Pod ephemeralContainers'));
    assert.equal(assigns.length, 7);
  });

  it('Providers: v1beta1, HTTPS to the signgate routes, timeouts above the provider deadlines, a caBundle', () => {
    const providers = new Map(byKind('Provider').map(({ doc }) => [String(obj(doc['metadata'], 'metadata')['name']), doc]));
    assert.deepEqual([...providers.keys()].sort(), ['signgate-mutate', 'signgate-verify']);
    for (const [name, doc] of providers) {
      assert.equal(doc['apiVersion'], 'externaldata.gatekeeper.sh/v1beta1', name);
      const spec = obj(doc['spec'], `${name} spec`);
      const url = new URL(str(spec['url'], `${name} url`));
      assert.equal(url.protocol, 'https:', name);
      assert.equal(url.pathname, `/ratify/gatekeeper/v1/${name === 'signgate-verify' ? 'verify' : 'mutate'}`);
      assert.ok(Number.isInteger(spec['timeout']), `${name} timeout must be whole seconds`);
      // Above signgate's own deadlines (4900 ms verify, 1950 ms mutate), so unfinished keys come back as item errors.
      assert.ok((spec['timeout'] as number) * 1000 > (name === 'signgate-verify' ? 4900 : 1950), name);
      str(spec['caBundle'], `${name} caBundle`);
    }
  });

  it('Suites: gator Suite files whose tests name existing templates and constraints', () => {
    const suites = byKind('Suite');
    assert.ok(suites.length >= 1);
    for (const { file, doc } of suites) {
      assert.equal(doc['apiVersion'], 'test.gatekeeper.sh/v1alpha1');
      for (const t of list(doc['tests'], `${file} tests`)) {
        const test = obj(t, 'test');
        for (const k of ['template', 'constraint']) statSync(join(POLICIES, dirname(file), str(test[k], `${file} ${String(test['name'])}.${k}`)));
      }
    }
  });
});
