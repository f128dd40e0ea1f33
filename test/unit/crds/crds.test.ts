import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { checkDocuments, crdsDirectory, type SourceDocument } from '../../../provider/src/config/index.js';

type Node = Record<string, unknown>;
const GROUP = 'config.signgate.dev';
const KINDS = ['KeyManagementProvider', 'Verifier', 'Store', 'Policy'];
const dir = crdsDirectory();

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function crdFiles(): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
}

function readCrd(file: string): Node {
  const value: unknown = parse(readFileSync(join(dir, file), 'utf8'));
  assert.ok(isNode(value));
  return value;
}

function get(node: unknown, ...path: (string | number)[]): unknown {
  let v = node;
  for (const p of path) v = isNode(v) || Array.isArray(v) ? (v as Record<string | number, unknown>)[p] : undefined;
  return v;
}

/** Kubernetes structural schema rules that matter here: every value node typed; properties and additionalProperties never together. */
function structuralProblems(schema: Node, path = 'openAPIV3Schema'): string[] {
  const problems: string[] = [];
  const typed = typeof schema.type === 'string' || schema['x-kubernetes-int-or-string'] === true || schema['x-kubernetes-preserve-unknown-fields'] === true;
  if (!typed) problems.push(`${path} has no type`);
  if (schema.properties !== undefined && schema.additionalProperties !== undefined) problems.push(`${path} has properties and additionalProperties`);
  if ('$ref' in schema) problems.push(`${path} uses $ref`);
  if (Array.isArray(schema.enum) && schema.enum.some((v) => typeof v !== schema.type)) problems.push(`${path} has an enum value of another type`);
  if (isNode(schema.properties)) {
    for (const [k, v] of Object.entries(schema.properties)) if (isNode(v)) problems.push(...structuralProblems(v, `${path}.${k}`));
  }
  if (isNode(schema.items)) problems.push(...structuralProblems(schema.items, `${path}[]`));
  if (isNode(schema.additionalProperties)) problems.push(...structuralProblems(schema.additionalProperties, `${path}{}`));
  return problems;
}

function sampleDocuments(): SourceDocument[] {
  const samples = join(dir, 'samples');
  const out: SourceDocument[] = [];
  for (const name of readdirSync(samples).filter((f) => f.endsWith('.yaml')).sort()) {
    const file = join(samples, name);
    for (const [i, doc] of parseAllDocuments(readFileSync(file, 'utf8')).entries()) {
      assert.deepEqual(doc.errors, [], `${name} parses`);
      out.push({ file, document: i + 1, value: doc.toJS() });
    }
  }
  return out;
}

describe('crds: the CustomResourceDefinitions of config.signgate.dev/v1alpha1', () => {
  it('defines the four kinds cluster-wide and their Namespaced twins, and SigningRule, with status, printer columns and categories', () => {
    const byKind = new Map(crdFiles().map((f) => [get(readCrd(f), 'spec', 'names', 'kind'), { file: f, crd: readCrd(f) }]));
    const expected = [...KINDS.flatMap((k) => [k, `Namespaced${k}`]), 'SigningRule'];
    assert.deepEqual([...byKind.keys()].sort(), [...expected].sort());
    for (const kind of expected) {
      const entry = byKind.get(kind);
      assert.ok(entry);
      const { crd, file } = entry;
      const plural = get(crd, 'spec', 'names', 'plural');
      assert.equal(crd.apiVersion, 'apiextensions.k8s.io/v1');
      assert.equal(get(crd, 'metadata', 'name'), `${String(plural)}.${GROUP}`);
      assert.equal(file, `${GROUP}_${String(plural)}.yaml`);
      assert.equal(get(crd, 'spec', 'group'), GROUP);
      assert.equal(get(crd, 'spec', 'scope'), kind.startsWith('Namespaced') ? 'Namespaced' : 'Cluster');
      assert.deepEqual(get(crd, 'spec', 'names', 'categories'), ['signgate']);
      const version = get(crd, 'spec', 'versions', 0);
      assert.equal(get(crd, 'spec', 'versions', 'length'), 1);
      assert.deepEqual([get(version, 'name'), get(version, 'served'), get(version, 'storage')], ['v1alpha1', true, true]);
      assert.deepEqual(get(version, 'subresources'), { status: {} });
      const columns = get(version, 'additionalPrinterColumns') as Node[];
      const byName = new Map(columns.map((c) => [c.name, c]));
      assert.equal(byName.get('Ready')?.jsonPath, '.status.conditions[?(@.type=="Ready")].status');
      assert.equal(byName.get('Reason')?.jsonPath, '.status.conditions[?(@.type=="Ready")].reason');
      assert.deepEqual(byName.get('Age'), { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' });
      const condition = get(version, 'schema', 'openAPIV3Schema', 'properties', 'status', 'properties', 'conditions');
      assert.deepEqual(get(condition, 'x-kubernetes-list-map-keys'), ['type']);
      assert.deepEqual(get(condition, 'items', 'required'), ['type', 'status', 'lastTransitionTime', 'reason', 'message']);
      assert.deepEqual(get(condition, 'items', 'properties', 'status', 'enum'), ['True', 'False', 'Unknown']);
      assert.ok(get(condition, 'items', 'properties', 'observedGeneration'));
    }
  });

  it('has structural schemas that read the same under YAML 1.1 (as Kubernetes tooling reads them)', () => {
    for (const file of crdFiles()) {
      const text = readFileSync(join(dir, file), 'utf8');
      assert.deepEqual(parse(text, { version: '1.1' }), parse(text), `${file}: no value changes meaning under YAML 1.1`);
      const schema = get(readCrd(file), 'spec', 'versions', 0, 'schema', 'openAPIV3Schema');
      assert.ok(isNode(schema));
      assert.deepEqual(structuralProblems(schema), [], file);
      assert.deepEqual(get(schema, 'properties', 'metadata'), { type: 'object' }, `${file}: metadata is left to Kubernetes`);
    }
  });

  it('keeps each Namespaced twin\'s schema identical to its cluster-wide kind', () => {
    for (const kind of KINDS) {
      const plural = get(readCrd(crdFiles().find((f) => get(readCrd(f), 'spec', 'names', 'kind') === kind) ?? ''), 'spec', 'names', 'plural');
      const schema = (file: string): Node => {
        const s = get(readCrd(file), 'spec', 'versions', 0, 'schema', 'openAPIV3Schema') as Node;
        return { ...s, description: '' };
      };
      assert.deepEqual(schema(`${GROUP}_namespaced${String(plural)}.yaml`), schema(`${GROUP}_${String(plural)}.yaml`), kind);
    }
  });

  it('accepts every sample in crds/samples, and covers every kind with them', async () => {
    const documents = sampleDocuments();
    assert.deepEqual(await checkDocuments(documents), []);
    const kinds = new Set(documents.map((d) => get(d.value, 'kind')));
    for (const kind of KINDS.flatMap((k) => [k, `Namespaced${k}`])) assert.ok(kinds.has(kind), `a sample of ${kind}`);
    const kmpTypes = new Set(documents.filter((d) => get(d.value, 'kind') === 'KeyManagementProvider').map((d) => get(d.value, 'spec', 'type')));
    assert.deepEqual([...kmpTypes].sort(), ['file', 'inline', 'secret']);
  });

  it('validates status as the controller writes it: standard conditions accepted, malformed ones rejected with their path', async () => {
    const base = {
      apiVersion: `${GROUP}/v1alpha1`,
      kind: 'Policy',
      metadata: { name: 'default', generation: 2, creationTimestamp: '2025-11-01T00:00:00Z' },
      spec: { type: 'config-policy' },
    };
    const ready = { type: 'Ready', status: 'False', reason: 'InvalidSpec', message: 'spec.type: ...', lastTransitionTime: '2025-11-01T00:00:00Z', observedGeneration: 2 };
    const good = { ...base, status: { observedGeneration: 2, conditions: [ready] } };
    assert.deepEqual(await checkDocuments([{ file: 'policy', document: 1, value: good }]), []);
    const bad = { ...base, status: { conditions: [{ ...ready, status: 'Yes', lastTransitionTime: 'yesterday' }] } };
    const issues = await checkDocuments([{ file: 'policy', document: 1, value: bad }]);
    assert.deepEqual(
      issues.map((i) => [i.code, i.path]),
      [
        ['CONFIG_SCHEMA', 'status.conditions[0].status'],
        ['CONFIG_SCHEMA', 'status.conditions[0].lastTransitionTime'],
      ],
    );
  });
});
