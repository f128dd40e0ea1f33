import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ConfigError, loadConfigFromFiles, type ConfigErrorCode } from '../../../provider/src/config/index.js';
import { issueYaml, rejectsWith, removeTempDirs, tempDir, testMaterial, writeFiles } from './helpers.js';

const HEAD = 'apiVersion: config.signgate.dev/v1alpha1\n';

function verifierYaml(stores: string, trustStores: string): string {
  return `${HEAD}kind: Verifier
metadata: {name: other}
spec:
  type: notation
  parameters:
    verificationCertStores: ${stores}
    trustPolicyDoc: {version: "1.0", trustPolicies: [{name: p, registryScopes: ["*"], signatureVerification: {level: strict}, trustStores: ${trustStores}, trustedIdentities: ["*"]}]}
`;
}

interface Case {
  readonly title: string;
  /** A document appended to the valid issue YAML (so everything else is fine). */
  readonly doc: (pem: { root: string; leaf: string; intermediate: string }) => string;
  readonly code: ConfigErrorCode;
  readonly path: string;
  readonly reason: RegExp;
  /** Line of the reported field, counted inside the appended document (1-based). */
  readonly line?: number;
}

const CASES: readonly Case[] = [
  {
    title: 'an unknown kind',
    doc: () => `${HEAD}kind: CertificateStore\nmetadata: {name: x}\nspec: {}\n`,
    code: 'CONFIG_SCHEMA',
    path: 'kind',
    reason: /"CertificateStore" is not a kind signgate reads; one of .*KeyManagementProvider/,
    line: 2,
  },
  {
    title: 'a wrong apiVersion (a Ratify resource)',
    doc: () => 'apiVersion: config.ratify.deislabs.io/v1beta1\nkind: Store\nmetadata: {name: s}\nspec: {type: oras}\n',
    code: 'CONFIG_SCHEMA',
    path: 'apiVersion',
    reason: /must be config\.signgate\.dev\/v1alpha1, got the string "config\.ratify\.deislabs\.io\/v1beta1" \(a Ratify resource/,
    line: 1,
  },
  {
    title: 'a missing spec.type',
    doc: () => `${HEAD}kind: Policy\nmetadata: {name: p2}\nspec:\n  parameters: {}\n`,
    code: 'CONFIG_SCHEMA',
    path: 'spec.type',
    reason: /^is required: Policy type/,
    line: 4,
  },
  {
    title: 'a field of the wrong type (no coercion of "10")',
    doc: () => `${HEAD}kind: NamespacedStore\nmetadata: {name: s, namespace: ns}\nspec:\n  type: oras\n  parameters:\n    ttl: "10"\n`,
    code: 'CONFIG_SCHEMA',
    path: 'spec.parameters.ttl',
    reason: /must be an integer, got the string "10"/,
    line: 7,
  },
  {
    title: 'an unknown field where the schema lists the fields (Ratify\'s spec.name)',
    doc: () => `${HEAD}kind: Verifier\nmetadata: {name: v2}\nspec:\n  name: notation\n  type: notation\n  parameters: {trustPolicyDoc: {version: "1.0", trustPolicies: []}}\n`,
    code: 'CONFIG_SCHEMA',
    path: 'spec.name',
    reason: /is not a known field; the fields allowed here are: type, artifactTypes, parameters/,
    line: 5,
  },
  {
    title: 'an enum value out of range',
    doc: () => `${HEAD}kind: Policy\nmetadata: {name: p3}\nspec: {type: configpolicy}\n`,
    code: 'CONFIG_SCHEMA',
    path: 'spec.type',
    reason: /must be one of "config-policy", got the string "configpolicy"/,
  },
  {
    title: 'a reference to a KeyManagementProvider that does not exist',
    doc: () => verifierYaml('{ca: {my-store: [my-certs, missing-certs]}}', '["ca:my-store"]'),
    code: 'CONFIG_REFERENCE',
    path: 'spec.parameters.verificationCertStores.ca.my-store[1]',
    reason: /names KeyManagementProvider "missing-certs", which is not defined/,
  },
  {
    title: 'a trust policy naming a store verificationCertStores does not define',
    doc: () => verifierYaml('{ca: {my-store: [my-certs]}}', '["ca:my-store", "ca:nowhere"]'),
    code: 'CONFIG_REFERENCE',
    path: 'spec.parameters.trustPolicyDoc.trustPolicies[0].trustStores[1]',
    reason: /names trust store "ca:nowhere", which verificationCertStores does not define/,
  },
  {
    title: 'a trust policy document that breaks a Notation rule',
    doc: () =>
      `${HEAD}kind: Verifier\nmetadata: {name: wild}\nspec:\n  type: notation\n  parameters:\n    verificationCertStores: {ca: {my-store: [my-certs]}}\n` +
      '    trustPolicyDoc: {version: "1.0", trustPolicies: [{name: p, registryScopes: ["*", "registry.example/app"], ' +
      'signatureVerification: {level: strict}, trustStores: ["ca:my-store"], trustedIdentities: ["*"]}]}\n',
    code: 'CONFIG_TRUST_POLICY',
    path: 'spec.parameters.trustPolicyDoc',
    reason: /wildcard/i,
  },
  {
    title: 'an inline value that is not PEM',
    doc: () => `${HEAD}kind: KeyManagementProvider\nmetadata: {name: broken}\nspec: {type: inline, parameters: {value: "-----BEGIN CERTIFICATE-----\\n!!!\\n-----END CERTIFICATE-----\\n"}}\n`,
    code: 'CONFIG_CERTIFICATE',
    path: 'spec.parameters.value',
    reason: /not valid base64/,
    line: 4,
  },
  {
    title: 'an inline leaf certificate (neither CA nor self-signed)',
    doc: (pem) => `${HEAD}kind: KeyManagementProvider\nmetadata: {name: leafy}\nspec: {type: inline, parameters: {value: ${JSON.stringify(pem.leaf)}}}\n`,
    code: 'CONFIG_CERTIFICATE',
    path: 'spec.parameters.value',
    reason: /neither a CA certificate nor self-signed/,
  },
  {
    title: 'a tsa store holding an intermediate CA',
    doc: (pem) =>
      `${HEAD}kind: KeyManagementProvider\nmetadata: {name: mid}\nspec: {type: inline, parameters: {value: ${JSON.stringify(pem.intermediate)}}}\n---\n` +
      verifierYaml('{ca: {my-store: [my-certs]}, tsa: {ts: [mid]}}', '["ca:my-store", "tsa:ts"]'),
    code: 'CONFIG_CERTIFICATE',
    path: 'spec.parameters.verificationCertStores',
    reason: /trust store "tsa:ts" has certificate .* not a root CA certificate/,
  },
  {
    title: 'parameters of another KeyManagementProvider type',
    doc: () => `${HEAD}kind: KeyManagementProvider\nmetadata: {name: mixed}\nspec: {type: inline, parameters: {value: x, paths: [a.pem]}}\n`,
    code: 'CONFIG_INVALID',
    path: 'spec.parameters.paths',
    reason: /is not a parameter of type inline; it takes value/,
  },
  {
    title: 'a file KeyManagementProvider without paths or trustStorePath',
    doc: () => `${HEAD}kind: KeyManagementProvider\nmetadata: {name: nothing}\nspec: {type: file}\n`,
    code: 'CONFIG_INVALID',
    path: 'spec.parameters',
    reason: /type file needs paths .* or trustStorePath/,
  },
  {
    title: 'a secret KeyManagementProvider outside Kubernetes',
    doc: () => `${HEAD}kind: KeyManagementProvider\nmetadata: {name: sec}\nspec: {type: secret, parameters: {secretRef: {name: s, namespace: n}}}\n`,
    code: 'CONFIG_INVALID',
    path: 'spec.type',
    reason: /works with `signgate serve --kubernetes` only/,
  },
  {
    title: 'a second Store in the cluster scope',
    doc: () => `${HEAD}kind: Store\nmetadata: {name: second}\nspec: {type: oras}\n`,
    code: 'CONFIG_INVALID',
    path: 'metadata.name',
    reason: /is a second Store cluster-wide; signgate uses one Store per scope \(the first is "oras" in .*:\d+\)/,
  },
  {
    title: 'a resource defined twice',
    doc: () => `${HEAD}kind: Policy\nmetadata: {name: default}\nspec: {type: config-policy}\n`,
    code: 'CONFIG_INVALID',
    path: 'metadata.name',
    reason: /Policy "default" is defined twice; the other one is in /,
  },
  {
    title: 'a Namespaced kind without namespace',
    doc: () => `${HEAD}kind: NamespacedPolicy\nmetadata: {name: p}\nspec: {type: config-policy}\n`,
    code: 'CONFIG_SCHEMA',
    path: 'metadata.namespace',
    reason: /is required for NamespacedPolicy/,
  },
  {
    title: 'a cluster-wide kind with a namespace',
    doc: () => `${HEAD}kind: Policy\nmetadata: {name: p, namespace: team}\nspec: {type: config-policy}\n`,
    code: 'CONFIG_SCHEMA',
    path: 'metadata.namespace',
    reason: /Policy is cluster-wide; remove it, or use NamespacedPolicy/,
  },
  {
    title: 'a metadata.name that is not a DNS name',
    doc: () => `${HEAD}kind: Policy\nmetadata: {name: My_Policy}\nspec: {type: config-policy}\n`,
    code: 'CONFIG_SCHEMA',
    path: 'metadata.name',
    reason: /must be a lowercase DNS subdomain name/,
  },
  {
    title: 'a document that is not a mapping',
    doc: () => '- just\n- a list\n',
    code: 'CONFIG_SCHEMA',
    path: '',
    reason: /must be a mapping with apiVersion, kind, metadata and spec, got a list/,
  },
  {
    title: 'YAML that does not parse',
    doc: () => `${HEAD}kind: Store\nmetadata: {name: [oops\nspec: {}\n`,
    code: 'CONFIG_SYNTAX',
    path: '',
    reason: /is not valid YAML/,
  },
  {
    title: 'a duplicate key',
    doc: () => `${HEAD}kind: Store\nkind: Policy\nmetadata: {name: d}\nspec: {type: oras}\n`,
    code: 'CONFIG_SYNTAX',
    path: '',
    reason: /Map keys must be unique/,
    line: 3,
  },
  {
    title: 'an alias bomb',
    doc: () =>
      'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n' +
      `d: [${Array(120).fill('*c').join(', ')}]\n`,
    code: 'CONFIG_LIMIT',
    path: '',
    reason: /cannot be expanded: Excessive alias count/,
  },
  {
    title: 'nesting deeper than the bound',
    doc: () => `${HEAD}kind: Store\nmetadata: {name: deep}\nspec: {type: oras, parameters: {plainHttp: ${'['.repeat(80)}${']'.repeat(80)}}}\n`,
    code: 'CONFIG_LIMIT',
    path: '',
    reason: /nests lists and mappings deeper than 64 levels/,
  },
];

describe('config loader: invalid documents are rejected with file, line, document, resource, path and reason', function () {
  this.timeout(30_000);
  let pem: { root: string; leaf: string; intermediate: string };
  let base: string;

  before(async () => {
    const { pki } = await testMaterial();
    pem = { root: pki.root.pem, leaf: pki.leaf.pem, intermediate: pki.intermediate.pem };
    base = issueYaml(pki.root.pem);
  });
  after(removeTempDirs);

  for (const c of CASES) {
    it(`rejects ${c.title} (${c.code} at ${c.path || 'the document'})`, async () => {
      const dir = await tempDir();
      const file = join(dir, 'config.yaml');
      await writeFiles(dir, { 'config.yaml': `${base}---\n${c.doc(pem)}` });
      const issue = await rejectsWith(loadConfigFromFiles([file], { generation: 1 }), c.code, c.path);
      assert.equal(issue.file, file);
      assert.ok(issue.document !== undefined && issue.document >= 5, `document number ${String(issue.document)}`);
      assert.match(issue.reason, c.reason);
      if (c.line !== undefined) {
        const firstLine = base.split('\n').length + 1; // the appended document starts after base and "---"
        assert.equal(issue.line, firstLine + c.line - 1);
      }
    });
  }

  it('collects every problem of every file before failing, in file and document order', async () => {
    const dir = await tempDir();
    await writeFiles(dir, {
      'a.yaml': `${HEAD}kind: Store\nmetadata: {name: s}\nspec:\n  type: oras\n  parameters:\n    ttl: -1\n    cacheEnabled: "yes"\n`,
      'b.yaml': `${HEAD}kind: Nope\nmetadata: {name: n}\n---\n${HEAD}kind: Policy\nmetadata: {name: p}\nspec: {type: config-policy, parameters: {artifactVerificationPolicies: {default: some}}}\n`,
    });
    await assert.rejects(loadConfigFromFiles([dir], { generation: 1 }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.code, 'CONFIG_SCHEMA');
      assert.deepEqual(
        err.issues.map((i) => [i.file.slice(dir.length + 1), i.document, i.kind, i.name, i.path]),
        [
          ['a.yaml', 1, 'Store', 's', 'spec.parameters.ttl'],
          ['a.yaml', 1, 'Store', 's', 'spec.parameters.cacheEnabled'],
          ['b.yaml', 1, 'Nope', 'n', 'kind'],
          ['b.yaml', 2, 'Policy', 'p', 'spec.parameters.artifactVerificationPolicies.default'],
        ],
      );
      assert.match(err.message, /^configuration rejected, 4 problems/);
      assert.ok(err.message.includes(`${join(dir, 'a.yaml')}:7 (document 1, Store "s"): spec.parameters.ttl: must be >= 0, got the integer -1`), err.message);
      return true;
    });
  });

  it('rejects a config path that does not exist, a file over the size bound, and too many documents', async () => {
    const dir = await tempDir();
    await rejectsWith(loadConfigFromFiles([join(dir, 'missing.yaml')], { generation: 1 }), 'CONFIG_UNREADABLE', '');
    await writeFiles(dir, { 'big.yaml': `# ${'x'.repeat(1024 * 1024)}\n` });
    const issue = await rejectsWith(loadConfigFromFiles([join(dir, 'big.yaml')], { generation: 1 }), 'CONFIG_LIMIT', '');
    assert.match(issue.reason, /more than the 1048576-byte limit/);
    await writeFiles(dir, { 'many.yaml': '---\na: 1\n'.repeat(501) });
    const many = await rejectsWith(loadConfigFromFiles([join(dir, 'many.yaml')], { generation: 1 }), 'CONFIG_LIMIT', '');
    assert.match(many.reason, /has 501 YAML documents, more than the 500 allowed/);
  });

  it('reports a broken crds/ folder as an installation problem', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'c.yaml': base, 'crds/x.yaml': 'kind: ConfigMap\n' });
    const issue = await rejectsWith(loadConfigFromFiles([join(dir, 'c.yaml')], { generation: 1, crdsDir: join(dir, 'crds') }), 'CRDS_UNAVAILABLE', '');
    assert.match(issue.reason, /is not a CustomResourceDefinition of group config\.signgate\.dev; signgate's installation is incomplete/);
  });
});
