import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  checkDocuments,
  ConfigError,
  loadConfigFromDocuments,
  loadConfigFromFiles,
  type SecretReference,
  type SecretResolver,
  type SourceDocument,
} from '../../../provider/src/config/index.js';
import { issueYaml, rejectsWith, removeTempDirs, tempDir, testMaterial, writeFiles } from './helpers.js';

const API = 'config.signgate.dev/v1alpha1';
const basic = (user: string): { auth: string } => ({ auth: Buffer.from(`${user}:pw`).toString('base64') });

/** The issue's KMP + Verifier + Policy documents (parsed from issueYaml), with `store` in place of its Store. */
async function documents(store: Record<string, unknown>): Promise<SourceDocument[]> {
  const { pki } = await testMaterial();
  const values = parseAllDocuments(issueYaml(pki.root.pem)).map((d) => d.toJS() as Record<string, unknown>);
  return [...values.filter((v) => v.kind !== 'Store'), store].map((value, i) => ({ file: `kubernetes ${String(value.kind)}`, document: i + 1, value }));
}

function store(authProvider: Record<string, unknown>, extra: Record<string, unknown> = {}, namespace?: string): Record<string, unknown> {
  return {
    apiVersion: API,
    kind: namespace === undefined ? 'Store' : 'NamespacedStore',
    metadata: namespace === undefined ? { name: 'oras' } : { name: 'oras', namespace },
    spec: { type: 'oras', parameters: { authProvider, ...extra } },
  };
}

/** A resolver over in-memory Secrets (`ns/name` -> type and .dockerconfigjson text) that records what was asked. */
function fakeSecrets(secrets: Record<string, { type: string; json: string }>): { resolve: SecretResolver; asked: SecretReference[] } {
  const asked: SecretReference[] = [];
  const resolve: SecretResolver = (ref) => {
    asked.push(ref);
    const s = secrets[`${ref.namespace}/${ref.name}`];
    if (!s) return Promise.reject(new Error(`Secret ${ref.namespace}/${ref.name} does not exist`));
    if (ref.type !== undefined && s.type !== ref.type) return Promise.reject(new Error(`Secret ${ref.namespace}/${ref.name} is of type ${s.type}; it must be of type ${ref.type}`));
    return Promise.resolve([{ key: '.dockerconfigjson', bytes: new TextEncoder().encode(s.json) }]);
  };
  return { resolve, asked };
}

describe('config Store authProvider (k8Secrets): registry credentials from Secrets', function () {
  this.timeout(30_000);
  after(removeTempDirs);

  it('in a plain file (no Kubernetes) the Store is rejected: file, field path, "only with --kubernetes"', async () => {
    const { pki } = await testMaterial();
    const dir = await tempDir();
    const text = issueYaml(pki.root.pem).replace(
      'spec: {type: oras, parameters: {cacheEnabled: true, ttl: 10}}',
      'spec: {type: oras, parameters: {authProvider: {name: k8Secrets, secrets: [{secretName: pull, namespace: signgate-system}]}}}',
    );
    await writeFiles(dir, { 'signgate.yaml': text });
    const issue = await rejectsWith(loadConfigFromFiles([join(dir, 'signgate.yaml')], { generation: 1 }), 'CONFIG_INVALID', 'spec.parameters.authProvider');
    assert.equal(issue.file, join(dir, 'signgate.yaml'));
    assert.equal(issue.kind, 'Store');
    assert.match(issue.reason, /^k8Secrets reads Kubernetes Secrets and works only with --kubernetes .*in a file use dockerConfig/);
  });

  it('merges the auths of kubernetes.io/dockerconfigjson Secrets (first Secret wins per registry) into the Store Docker config', async () => {
    const { resolve, asked } = fakeSecrets({
      'signgate-system/pull': { type: 'kubernetes.io/dockerconfigjson', json: JSON.stringify({ auths: { 'registry.example': basic('first'), 'ghcr.io': basic('gh') } }) },
      'mirrors/mirror': { type: 'kubernetes.io/dockerconfigjson', json: JSON.stringify({ auths: { 'registry.example': basic('second'), 'mirror.example:5000': basic('m') } }) },
    });
    const written: string[] = [];
    const config = await loadConfigFromDocuments(
      await documents(store({ name: 'k8Secrets', secrets: [{ secretName: 'pull', namespace: 'signgate-system' }, { secretName: 'mirror', namespace: 'mirrors' }] })),
      { generation: 3, resolveSecret: resolve, writeDockerConfig: (json) => Promise.resolve(`/state/docker-config-${written.push(json)}.json`) },
    );
    assert.equal(config.cluster?.store.dockerConfigPath, '/state/docker-config-1.json');
    assert.deepEqual(JSON.parse(written[0] ?? ''), {
      auths: { 'registry.example': basic('first'), 'ghcr.io': basic('gh'), 'mirror.example:5000': basic('m') },
    });
    assert.deepEqual(asked, [
      { namespace: 'signgate-system', name: 'pull', keys: ['.dockerconfigjson'], type: 'kubernetes.io/dockerconfigjson' },
      { namespace: 'mirrors', name: 'mirror', keys: ['.dockerconfigjson'], type: 'kubernetes.io/dockerconfigjson' },
    ]);
  });

  it("a NamespacedStore's Secrets default to its own namespace", async () => {
    const { resolve, asked } = fakeSecrets({ 'team-a/pull': { type: 'kubernetes.io/dockerconfigjson', json: JSON.stringify({ auths: { 'r.example': basic('a') } }) } });
    const docs = await documents(store({ name: 'k8Secrets', secrets: [{ secretName: 'pull' }] }, {}, 'team-a'));
    const verifier = docs.find((d) => (d.value as { kind: string }).kind === 'Verifier');
    assert.ok(verifier);
    docs.push({ file: 'kubernetes NamespacedVerifier', document: 9, value: { ...(verifier.value as object), kind: 'NamespacedVerifier', metadata: { name: 'team', namespace: 'team-a' } } });
    const config = await loadConfigFromDocuments(docs, { generation: 1, resolveSecret: resolve, writeDockerConfig: () => Promise.resolve('/state/a.json') });
    assert.equal(config.namespaces.get('team-a')?.store.dockerConfigPath, '/state/a.json');
    assert.equal(config.cluster?.store.dockerConfigPath, undefined);
    assert.deepEqual(asked.map((r) => `${r.namespace}/${r.name}`), ['team-a/pull']);
  });

  it('a Secret of another type, missing, not JSON or without auths is an issue on its entry in secrets, saying what to do', async () => {
    const { resolve } = fakeSecrets({
      'ns/opaque': { type: 'Opaque', json: '{}' },
      'ns/garbled': { type: 'kubernetes.io/dockerconfigjson', json: 'not json' },
      'ns/empty': { type: 'kubernetes.io/dockerconfigjson', json: JSON.stringify({ credsStore: 'desktop' }) },
    });
    const names = ['opaque', 'absent', 'garbled', 'empty'];
    let caught: unknown;
    try {
      await loadConfigFromDocuments(await documents(store({ name: 'k8Secrets', secrets: names.map((secretName) => ({ secretName, namespace: 'ns' })) })), {
        generation: 1,
        resolveSecret: resolve,
        writeDockerConfig: () => assert.fail('nothing is written when a Secret fails'),
      });
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof ConfigError);
    assert.equal(caught.code, 'CONFIG_UNREADABLE');
    assert.deepEqual(
      caught.issues.map((i) => [i.code, i.path]),
      names.map((_, i) => ['CONFIG_UNREADABLE', `spec.parameters.authProvider.secrets[${i}]`]),
    );
    const reasons = caught.issues.map((i) => i.reason);
    assert.match(reasons[0] ?? '', /Secret ns\/opaque is of type Opaque; it must be of type kubernetes\.io\/dockerconfigjson/);
    assert.match(reasons[1] ?? '', /Secret ns\/absent does not exist/);
    assert.match(reasons[2] ?? '', /Secret ns\/garbled key \.dockerconfigjson is not JSON; recreate it with kubectl create secret docker-registry/);
    assert.match(reasons[3] ?? '', /Secret ns\/empty key \.dockerconfigjson holds no "auths" mapping/);
  });

  it('rejects what the schema cannot: serviceAccountName, a missing or foreign namespace, dockerConfig beside authProvider', async () => {
    const check = async (value: Record<string, unknown>): Promise<[string, string, string][]> =>
      (await checkDocuments([{ file: 'store.yaml', document: 1, value }])).map((i) => [i.code, i.path, i.reason]);
    const sa = await check(store({ name: 'k8Secrets', serviceAccountName: 'ratify-admin', secrets: [{ secretName: 'pull', namespace: 'ns' }] }));
    assert.deepEqual(sa.map(([c, p]) => [c, p]), [['CONFIG_INVALID', 'spec.parameters.authProvider.serviceAccountName']]);
    assert.match(sa[0]?.[2] ?? '', /is not supported: .*imagePullSecrets.*list those Secrets under secrets/);

    const noNamespace = await check(store({ name: 'k8Secrets', secrets: [{ secretName: 'pull' }] }));
    assert.deepEqual(noNamespace, [['CONFIG_INVALID', 'spec.parameters.authProvider.secrets[0].namespace', 'is required on a cluster-wide Store: name the namespace of Secret "pull"']]);

    const foreign = await check(store({ name: 'k8Secrets', secrets: [{ secretName: 'pull', namespace: 'team-b' }] }, {}, 'team-a'));
    assert.deepEqual(foreign.map(([c, p]) => [c, p]), [['CONFIG_INVALID', 'spec.parameters.authProvider.secrets[0].namespace']]);
    assert.match(foreign[0]?.[2] ?? '', /a NamespacedStore reads Secrets of its own namespace \(team-a\) only/);

    const both = await check(store({ name: 'k8Secrets', secrets: [{ secretName: 'pull', namespace: 'ns' }] }, { dockerConfig: '/etc/docker/config.json' }));
    assert.deepEqual(both, [['CONFIG_INVALID', 'spec.parameters.authProvider', 'cannot be combined with dockerConfig; use one of them']]);
  });
});
