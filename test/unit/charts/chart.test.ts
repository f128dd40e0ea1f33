/**
 * Structural checks of charts/signgate that need no helm binary and no cluster (neither exists here): Chart.yaml, the
 * values against values.schema.json, every .Values path used by a template, every template as YAML once its
 * actions are replaced by placeholders, the security settings of the Deployment, and the copies of crds/ and
 * policies/ (sync.mjs --check).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse, parseAllDocuments } from 'yaml';
import { checkDocuments } from '../../../provider/src/config/index.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const CHART = join(ROOT, 'charts', 'signgate');
const read = (p: string): string => readFileSync(join(CHART, p), 'utf8');
const templates = readdirSync(join(CHART, 'templates')).filter((f) => f.endsWith('.yaml'));
const values = parse(read('values.yaml')) as Record<string, unknown>;
const schema = JSON.parse(read('values.schema.json')) as Record<string, unknown>;

function validator(): (v: unknown) => boolean {
  const ajv = new Ajv({ allErrors: true, strict: false });
  return ajv.compile(schema);
}

/** `.Values.a.b` paths (and `$x.c` where `$x := .Values.a`) used in a template. */
function valuePaths(text: string): string[] {
  const aliases = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (/\brange\b/.test(line)) continue; // range variables are elements, not the value itself
    for (const m of line.matchAll(/\$(\w+)\s*:=\s*\.Values\.([\w.]+)/g)) aliases.set(m[1] as string, (m[2] as string).replace(/\.$/, ''));
  }
  const out = [...text.matchAll(/\.Values\.([\w.]+)/g)].map((m) => (m[1] as string).replace(/\.$/, ''));
  for (const [alias, prefix] of aliases) for (const m of text.matchAll(new RegExp(`\\$${alias}\\.([\\w.]+)`, 'g'))) out.push(`${prefix}.${(m[1] as string).replace(/\.$/, '')}`);
  return [...new Set(out)];
}

function inValues(path: string): boolean {
  let node: unknown = values;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null || !(part in node)) return false;
    node = (node as Record<string, unknown>)[part];
  }
  return true;
}

function inSchema(path: string): boolean {
  let node = schema;
  for (const part of path.split('.')) {
    const props = node.properties as Record<string, Record<string, unknown>> | undefined;
    const next = props?.[part];
    if (!next) return false;
    node = next;
  }
  return true;
}

/** The template with control-only lines dropped and every other action replaced by a placeholder scalar. */
function placeholders(text: string): string {
  return text
    .replace(/\{\{-?\s*\/\*[\s\S]*?\*\/\s*-?\}\}/g, '')
    .split('\n')
    .filter((line) => line.replace(/\{\{[\s\S]*?\}\}/g, '').trim() !== '' || !line.includes('{{'))
    .map((line) => line.replace(/\{\{[^}]*\}\}/g, 'PLACEHOLDER'))
    .join('\n');
}

describe('charts/signgate (structural; no helm binary or cluster here)', () => {
  it('Chart.yaml is a Helm 3 application chart whose appVersion is the package version', () => {
    const chart = parse(read('Chart.yaml')) as Record<string, unknown>;
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(chart.apiVersion, 'v2');
    assert.equal(chart.name, 'signgate');
    assert.equal(chart.type, 'application');
    assert.match(String(chart.version), /^\d+\.\d+\.\d+$/);
    assert.equal(chart.appVersion, pkg.version);
  });

  it('the default values satisfy values.schema.json, and wrong values do not', () => {
    const validate = validator();
    assert.equal(validate(values), true);
    const bad = (patch: (v: Record<string, unknown>) => void): boolean => {
      const copy = structuredClone(values);
      patch(copy);
      return validate(copy);
    };
    assert.equal(bad((v) => ((v.tls as Record<string, unknown>).mode = 'self')), false);
    assert.equal(bad((v) => (v.replicas = 0)), false);
    assert.equal(bad((v) => (v.unknownValue = 1)), false);
    assert.equal(bad((v) => ((v.config as Record<string, unknown>).notationCerts = ['not a pem'])), false);
    assert.equal(bad((v) => ((v.policy as { constraint: Record<string, unknown> }).constraint.enforcementAction = 'block')), false);
  });

  it('values.schema.json covers every value in values.yaml', () => {
    const missing: string[] = [];
    const walk = (node: unknown, path: string[], schemaNode: Record<string, unknown> | undefined): void => {
      if (!schemaNode) return void missing.push(path.join('.'));
      if (typeof node !== 'object' || node === null || Array.isArray(node)) return;
      const props = schemaNode.properties as Record<string, Record<string, unknown>> | undefined;
      if (!props) return; // free-form maps (resources, affinity, ...) are typed as objects
      for (const [k, v] of Object.entries(node)) walk(v, [...path, k], props[k]);
    };
    walk(values, [], schema);
    assert.deepEqual(missing, []);
  });

  for (const file of [...templates, 'NOTES.txt', '_helpers.tpl']) {
    it(`templates/${file}: every .Values path exists in values.yaml and values.schema.json`, () => {
      const paths = valuePaths(read(join('templates', file)));
      assert.deepEqual(paths.filter((p) => !inValues(p)), [], 'not in values.yaml');
      assert.deepEqual(paths.filter((p) => !inSchema(p)), [], 'not in values.schema.json');
    });
  }

  for (const file of templates) {
    it(`templates/${file} is valid YAML with its actions replaced by placeholders`, () => {
      const docs = parseAllDocuments(placeholders(read(join('templates', file))), { uniqueKeys: false });
      for (const doc of docs) {
        assert.deepEqual(doc.errors.map((e) => e.message), []);
        const value: unknown = doc.toJS();
        if (value === null || typeof value !== 'object') continue; // a bare placeholder (e.g. .Files.Get)
        const object = value as Record<string, unknown>;
        assert.ok(object.apiVersion && object.kind, `${file}: a document without apiVersion/kind`);
      }
    });
  }

  it('the Deployment runs non-root on a read-only root filesystem, without privilege escalation, seccomp RuntimeDefault, probed on /healthz and /readyz', () => {
    const d = parse(placeholders(read('templates/deployment.yaml')), { uniqueKeys: false }) as {
      spec: { template: { spec: { securityContext: Record<string, unknown>; containers: Record<string, Record<string, unknown>>[] } } };
    };
    const pod = d.spec.template.spec;
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(typeof pod.securityContext.runAsUser, 'number');
    assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' });
    const c = pod.containers[0] as Record<string, Record<string, unknown>>;
    assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext?.allowPrivilegeEscalation, false);
    assert.deepEqual(c.securityContext?.capabilities, { drop: ['ALL'] });
    assert.equal((c.livenessProbe?.httpGet as Record<string, unknown>).path, '/healthz');
    assert.equal((c.readinessProbe?.httpGet as Record<string, unknown>).path, '/readyz');
    assert.ok((c.args as unknown as string[]).includes('--kubernetes'));
  });

  it('RBAC grants no cluster-wide Secret access; Secrets only by name', () => {
    const text = read('templates/rbac.yaml');
    const docs = parseAllDocuments(placeholders(text), { uniqueKeys: false }).map((d) => d.toJS() as { kind: string; rules?: { resources: string[]; resourceNames?: unknown }[] });
    const clusterRole = docs.find((d) => d.kind === 'ClusterRole');
    assert.ok(clusterRole?.rules?.every((r) => !r.resources.includes('secrets')));
    for (const role of docs.filter((d) => d.kind === 'Role')) assert.ok(role.rules?.every((r) => !r.resources.includes('secrets') || r.resourceNames !== undefined));
  });

  it('the Store names the registry credential Secrets in spec.parameters.authProvider (k8Secrets), the same names RBAC lets signgate read', async () => {
    const text = read('templates/config.yaml');
    assert.ok(!templates.some((f) => read(join('templates', f)).includes('docker-config-secrets')), 'no template uses the old annotation');
    const docs = parseAllDocuments(placeholders(text), { uniqueKeys: false }).map((d) => d.toJS() as { kind: string; metadata: Record<string, unknown>; spec: { parameters: Record<string, unknown> } });
    const store = docs.find((d) => d.kind === 'Store');
    assert.ok(store);
    assert.equal(store.metadata.annotations, undefined);
    const slot = { secretName: 'PLACEHOLDER', namespace: 'PLACEHOLDER' };
    // one entry for the chart's own Secret (dockerConfigJson), one per existingSecrets element
    assert.deepEqual(store.spec.parameters.authProvider, { name: 'k8Secrets', secrets: [slot, slot] });
    assert.match(text, /- secretName: \{\{ include "signgate\.registrySecretName" \. \| quote \}\}\n\s+namespace: \{\{ \.Release\.Namespace \| quote \}\}/);
    assert.match(text, /range \$c\.registryCredentials\.existingSecrets \}\}\n\s+- secretName: \{\{ \. \| quote \}\}\n\s+namespace: \{\{ \$\.Release\.Namespace \| quote \}\}/);
    const helpers = read('templates/_helpers.tpl');
    const readable = helpers.slice(helpers.indexOf('define "signgate.readableSecrets"'));
    assert.match(readable, /include "signgate\.registrySecretName"/);
    assert.match(readable, /range \.Values\.config\.registryCredentials\.existingSecrets/);
    // the Store as rendered for release namespace signgate-system satisfies the Store CRD and signgate's checks
    const rendered = {
      apiVersion: 'config.signgate.dev/v1alpha1',
      kind: 'Store',
      metadata: { name: 'oras' },
      spec: {
        type: 'oras',
        parameters: {
          cacheEnabled: true,
          ttl: 10,
          plainHttp: [],
          authProvider: { name: 'k8Secrets', secrets: [{ secretName: 'signgate-registry', namespace: 'signgate-system' }, { secretName: 'team-pull', namespace: 'signgate-system' }] },
        },
      },
    };
    assert.deepEqual(await checkDocuments([{ file: 'config.yaml', document: 3, value: rendered }]), []);
    // values.schema.json only admits Secret names the CRD accepts
    const validate = validator();
    const withSecrets = (names: unknown[]): boolean => {
      const copy = structuredClone(values) as { config: { registryCredentials: Record<string, unknown> } };
      copy.config.registryCredentials.existingSecrets = names;
      return validate(copy);
    };
    assert.equal(withSecrets(['team-pull', 'mirror.pull']), true);
    assert.equal(withSecrets(['Team_Pull']), false);
    assert.equal(withSecrets(['a', 'a']), false);
  });

  it("the chart's copies of crds/ and policies/ match their sources (node charts/signgate/sync.mjs)", async () => {
    const sync = (await import(join(CHART, 'sync.mjs'))) as { drift(): string[] };
    assert.deepEqual(sync.drift(), []);
  });
});
