/**
 * charts/signgate rendered by test/support/helmTemplate.ts (no helm binary here): the renderer's Go-template
 * semantics on small cases, the templates it renders in full, and what those manifests say — the Assigns and the
 * Constraint exclude Gatekeeper's namespace (gatekeeper.namespace) and the release namespace, not fixed names.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse, parseAllDocuments } from 'yaml';
import { ChartTemplates, loadChart, TemplateError, type ChartContext } from '../../support/helmTemplate.js';

const CHART = join(import.meta.dirname, '..', '..', '..', 'charts', 'signgate');
/** Every template the e2e and unit tests render in full; the renderer must cover each construct they use. */
const RENDERED = ['deployment.yaml', 'config.yaml', 'policies.yaml', 'constraint.yaml'];

function context(values: Record<string, unknown>): ChartContext {
  return { Values: values, Release: { Name: 'r', Namespace: 'ns', Service: 'Helm' }, Chart: { Name: 'c', Version: '1.0.0', AppVersion: '1.0.0' }, Files: { Get: (p: string) => `file ${p}` } };
}

const render = (text: string, values: Record<string, unknown> = {}): string => new ChartTemplates({ 't.yaml': text }).render('t.yaml', context(values));

describe('test/support/helmTemplate: the Go-template subset of charts/signgate', () => {
  it('trims around {{- and -}}, drops comments, and prints a missing value as nothing (as Helm does)', () => {
    assert.equal(render('a  \n  {{- /* note */ -}}  \n  b'), 'ab');
    assert.equal(render('x={{ .Values.missing }};'), 'x=;');
    assert.equal(render('{{ .Values.n }} {{ .Values.b }}', { n: 2, b: false }), '2 false');
  });

  it('if / else if / else, with, range over lists and maps, and variables scoped as in Go', () => {
    const t = '{{- if eq .Values.m "a" }}A{{- else if eq .Values.m "b" }}B{{- else }}C{{- end }}';
    assert.deepEqual(['a', 'b', 'z'].map((m) => render(t, { m })), ['A', 'B', 'C']);
    assert.equal(render('{{ with .Values.o }}{{ .k }}{{ else }}none{{ end }}', { o: { k: 'v' } }), 'v');
    assert.equal(render('{{ with .Values.o }}{{ .k }}{{ else }}none{{ end }}', { o: {} }), 'none');
    assert.equal(render('{{ range $i, $v := .Values.l }}{{ $i }}={{ $v }};{{ end }}', { l: ['x', 'y'] }), '0=x;1=y;');
    assert.equal(render('{{ range $k, $v := .Values.m }}{{ $k }}:{{ $v }},{{ end }}', { m: { b: 2, a: 1 } }), 'a:1,b:2,');
    assert.equal(render('{{ range .Values.l }}{{ . }}{{ else }}empty{{ end }}', { l: [] }), 'empty');
    // `=` assigns to the variable declared outside the block (the readableSecrets helper relies on it)
    assert.equal(render('{{- $n := list -}}{{- range .Values.l }}{{- $n = append $n . -}}{{- end -}}{{ toJson $n }}', { l: ['a', 'b'] }), '["a","b"]');
    assert.equal(render('{{ $.Release.Namespace }}/{{ (dict "k" "v").k }}'), 'ns/v');
  });

  it('define/include, pipelines and the sprig functions the chart uses', () => {
    const t = new ChartTemplates({ '_h.tpl': '{{- define "n" -}}{{ .Release.Name }}-{{ .Chart.Name }}{{- end -}}', 't.yaml': 'a:{{- include "n" . | nindent 2 }}\n{{ printf "%s-%d" "x" 3 | quote }} {{ "abc-" | trimSuffix "-" | trunc 2 }}' });
    assert.equal(t.render('t.yaml', context({})), 'a:\n  r-c\n"x-3" ab');
    assert.equal(render('{{ .Values.t | default "d" }} {{ .Values.u | default "d" }}', { t: '', u: 'u' }), 'd u');
    assert.equal(render('{{ toYaml .Values.o | nindent 2 }}', { o: { a: [1] } }), '\n  a:\n    - 1');
    assert.equal(render('{{ concat (list "a") (list "b" "a") | uniq | toJson }}'), '["a","b"]');
    assert.equal(render('{{ $d := fromYaml "k: 1" }}{{ $_ := set $d "j" 2 }}{{ toJson $d }}'), '{"k":1,"j":2}');
    assert.equal(render('{{ .Files.Get "x.txt" }}'), 'file x.txt');
    assert.equal(render('{{ "x" | sha256sum }}'), '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881');
  });

  it('refuses what it does not implement instead of rendering it wrongly', () => {
    assert.throws(() => render('{{ randAlphaNum 8 }}'), (e: unknown) => e instanceof TemplateError && /function "randAlphaNum" is not supported/.test(e.message));
    assert.throws(() => render('{{ template "x" . }}'), (e: unknown) => e instanceof TemplateError && /"template" is not supported/.test(e.message));
    assert.throws(() => render('{{ if true }}x'), (e: unknown) => e instanceof TemplateError && /missing \{\{ end \}\}/.test(e.message));
    assert.throws(() => render('{{ .Values.a.b }}'), (e: unknown) => e instanceof TemplateError && /nil pointer evaluating \.Values\.a\.b/.test(e.message));
    assert.throws(() => render('{{ required "set x" .Values.x }}'), (e: unknown) => e instanceof TemplateError && e.message === 'set x');
  });

  for (const file of RENDERED) {
    it(`renders templates/${file} with the default values into valid YAML documents`, () => {
      const chart = loadChart(CHART, { name: 'signgate', namespace: 'signgate-system' }, RENDERED);
      const docs = chart.documents(file);
      assert.ok(docs.length > 0);
      for (const d of docs) assert.ok(typeof d.apiVersion === 'string' && typeof d.kind === 'string', `${file}: ${JSON.stringify(d).slice(0, 200)}`);
    });
  }
});

describe('charts/signgate: namespaces excluded from mutation and verification', () => {
  const source = parseAllDocuments(readFileSync(join(CHART, 'files', 'policies', 'mutation', 'assign-image-digest.yaml'), 'utf8'))
    .map((d) => d.toJS() as Record<string, unknown> | null)
    .filter((d): d is Record<string, unknown> => d !== null);

  type Assign = { kind: string; metadata: { name: string }; spec: { match: { excludedNamespaces: string[] } } };

  it('every Assign excludes policy.mutation.excludedNamespaces, gatekeeper.namespace and the release namespace; nothing else of it changes', () => {
    const chart = loadChart(CHART, { name: 'guard', namespace: 'sg-prod', values: { gatekeeper: { namespace: 'opa-gk' } } }, ['policies.yaml']);
    const assigns = chart.documents('policies.yaml').filter((d) => d.kind === 'Assign') as unknown as Assign[];
    assert.equal(assigns.length, source.length, 'every Assign of the policy bundle is installed');
    for (const [i, a] of assigns.entries()) {
      assert.deepEqual(a.spec.match.excludedNamespaces, ['kube-system', 'opa-gk', 'sg-prod'], a.metadata.name);
      const expected = structuredClone(source[i]) as unknown as Assign;
      expected.spec.match.excludedNamespaces = a.spec.match.excludedNamespaces;
      assert.deepEqual(a, expected);
    }
    assert.doesNotMatch(chart.render('policies.yaml'), /gatekeeper-system|signgate-system/);
  });

  it('policy.mutation.excludedNamespaces adds namespaces (duplicates once); mutation.enabled=false installs no Assign', () => {
    const more = loadChart(CHART, { name: 'signgate', namespace: 'signgate-system', values: { policy: { mutation: { excludedNamespaces: ['kube-system', 'batch-jobs', 'signgate-system'] } } } }, ['policies.yaml']);
    const first = more.documents('policies.yaml').find((d) => d.kind === 'Assign') as unknown as Assign;
    assert.deepEqual(first.spec.match.excludedNamespaces, ['kube-system', 'batch-jobs', 'signgate-system', 'gatekeeper-system']);
    const off = loadChart(CHART, { name: 'signgate', namespace: 'signgate-system', values: { policy: { mutation: { enabled: false } } } }, ['policies.yaml']);
    assert.equal(off.documents('policies.yaml').filter((d) => d.kind === 'Assign').length, 0);
  });

  it('the Constraint excludes gatekeeper.namespace and the release namespace beside policy.constraint.excludedNamespaces', () => {
    const chart = loadChart(CHART, { name: 'guard', namespace: 'sg-prod', values: { gatekeeper: { namespace: 'opa-gk' } } }, ['constraint.yaml']);
    const [constraint] = chart.documents('constraint.yaml') as unknown as Assign[];
    assert.deepEqual(constraint?.spec.match.excludedNamespaces, ['kube-system', 'kube-public', 'kube-node-lease', 'opa-gk', 'sg-prod']);
  });

  it('values.schema.json admits only namespace names in policy.mutation.excludedNamespaces', () => {
    const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as Record<string, unknown>;
    const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as { policy: { mutation: Record<string, unknown> } };
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    const withExcluded = (names: unknown): boolean => {
      const copy = structuredClone(values);
      copy.policy.mutation.excludedNamespaces = names;
      return validate(copy);
    };
    assert.equal(withExcluded(['kube-system', 'team-a']), true);
    assert.equal(withExcluded(['Kube_System']), false);
    assert.equal(withExcluded(['a', 'a']), false);
    assert.equal(withExcluded('kube-system'), false);
  });
});
