import assert from 'node:assert/strict';
import { join } from 'node:path';
import { checkDocuments, loadConfigFromDocuments, loadConfigFromFiles, type SecretReference, type SecretResolver, type SourceDocument } from '../../../provider/src/config/index.js';
import { rejectsWith, removeTempDirs, tempDir, writeFiles } from './helpers.js';

const API = 'config.signgate.dev/v1alpha1';
const DOCKER_CONFIG_TYPE = 'kubernetes.io/dockerconfigjson';
const SECRET_KEY = { file: { secretName: 'team-a-key', key: 'tls.key', certificateChain: 'tls.crt' } };
const basic = (user: string): { auth: string } => ({ auth: Buffer.from(`${user}:pw`).toString('base64') });

function rule(registryCredentials: Record<string, unknown>): SourceDocument {
  const value = { apiVersion: API, kind: 'SigningRule', metadata: { name: 'team-a' }, spec: { registry: 'registry.example', namespace: 'team-a', key: SECRET_KEY, registryCredentials } };
  return { file: 'kubernetes signingrules/team-a', document: 1, value };
}

/** In-memory Secrets (`ns/name` -> type and auths); records what was asked. */
function secrets(known: Record<string, { type: string; auths: Record<string, unknown> }>): { resolveSecret: SecretResolver; asked: SecretReference[] } {
  const asked: SecretReference[] = [];
  const resolveSecret: SecretResolver = (ref) => {
    asked.push(ref);
    const s = known[`${ref.namespace}/${ref.name}`];
    if (s === undefined) return Promise.reject(new Error(`Secret ${ref.namespace}/${ref.name} does not exist`));
    if (ref.type !== undefined && s.type !== ref.type) return Promise.reject(new Error(`Secret ${ref.namespace}/${ref.name} is of type ${s.type}; it must be of type ${ref.type}`));
    return Promise.resolve([{ key: '.dockerconfigjson', bytes: new TextEncoder().encode(JSON.stringify({ auths: s.auths })) }]);
  };
  return { resolveSecret, asked };
}

describe('config: SigningRule spec.registryCredentials.authProvider (the Store\'s k8Secrets)', () => {
  after(removeTempDirs);

  it('reads the Secrets through the resolver (namespace defaulting to the signer\'s), merges their auths and takes the written file as dockerConfigPath', async () => {
    const { resolveSecret, asked } = secrets({
      'signgate-system/push': { type: DOCKER_CONFIG_TYPE, auths: { 'registry.example': basic('first') } },
      'mirrors/other': { type: DOCKER_CONFIG_TYPE, auths: { 'registry.example': basic('second'), 'mirror.example': basic('m') } },
    });
    const written: string[] = [];
    const authProvider = { name: 'k8Secrets', secrets: [{ secretName: 'push' }, { secretName: 'other', namespace: 'mirrors' }] };
    const config = await loadConfigFromDocuments([rule({ authProvider, plainHttp: true })], {
      generation: 1,
      resolveSecret,
      writeDockerConfig: (json) => Promise.resolve(`/state/docker-config-${written.push(json)}.json`),
      signerNamespace: 'signgate-system',
    });
    assert.deepEqual(
      asked.map((a) => [a.namespace, a.name, a.type]),
      [
        ['signgate-system', 'push', DOCKER_CONFIG_TYPE],
        ['mirrors', 'other', DOCKER_CONFIG_TYPE],
      ],
    );
    assert.deepEqual(JSON.parse(written[0] ?? ''), { auths: { 'registry.example': basic('first'), 'mirror.example': basic('m') } });
    assert.equal(config.signingRules[0]?.dockerConfigPath, '/state/docker-config-1.json');
    assert.equal(config.signingRules[0]?.plainHttp, true);
  });

  it('a Secret of the wrong type rejects the rule at its secrets[i] with the Secret and the type it must have', async () => {
    const { resolveSecret } = secrets({ 'signgate-system/push': { type: 'Opaque', auths: {} } });
    const options = { generation: 1, resolveSecret, writeDockerConfig: () => Promise.resolve('/unused'), signerNamespace: 'signgate-system' };
    const issue = await rejectsWith(loadConfigFromDocuments([rule({ authProvider: { name: 'k8Secrets', secrets: [{ secretName: 'push' }] } })], options), 'CONFIG_UNREADABLE', 'spec.registryCredentials.authProvider.secrets[0]');
    assert.equal(issue.kind, 'SigningRule');
    assert.equal(issue.name, 'team-a');
    assert.match(issue.reason, /Secret signgate-system\/push is of type Opaque; it must be of type kubernetes\.io\/dockerconfigjson/);
  });

  it('in a rule file (no Kubernetes) it is refused at its field path, saying to mount the Secret and use dockerConfig', async () => {
    const dir = await tempDir();
    const yaml = [
      `apiVersion: ${API}`,
      'kind: SigningRule',
      'metadata: {name: team-a}',
      'spec:',
      '  registry: registry.example',
      '  namespace: team-a',
      '  key: {file: {key: /keys/k.pem, certificateChain: /keys/chain.pem}}',
      '  registryCredentials: {authProvider: {name: k8Secrets, secrets: [{secretName: push}]}}',
      '',
    ].join('\n');
    await writeFiles(dir, { 'rules.yaml': yaml });
    const issue = await rejectsWith(loadConfigFromFiles([join(dir, 'rules.yaml')], { generation: 1 }), 'CONFIG_INVALID', 'spec.registryCredentials.authProvider');
    assert.equal(issue.file, join(dir, 'rules.yaml'));
    assert.equal(issue.kind, 'SigningRule');
    assert.match(issue.reason, /works only with --kubernetes \(.*signgate signer serve --kubernetes\)/);
    assert.match(issue.reason, /in a file use dockerConfig.*mount the Secret/);
  });

  it('dockerConfig and authProvider together are refused at authProvider; serviceAccountName as on a Store', async () => {
    const both = await checkDocuments([rule({ dockerConfig: '/etc/docker/config.json', authProvider: { name: 'k8Secrets', secrets: [{ secretName: 'push' }] } })]);
    assert.deepEqual(
      both.map((i) => [i.code, i.path, i.reason]),
      [['CONFIG_INVALID', 'spec.registryCredentials.authProvider', 'cannot be combined with dockerConfig; use one of them']],
    );
    const account = await checkDocuments([rule({ authProvider: { name: 'k8Secrets', serviceAccountName: 'default', secrets: [{ secretName: 'push' }] } })]);
    assert.deepEqual(account.map((i) => [i.code, i.path]), [['CONFIG_INVALID', 'spec.registryCredentials.authProvider.serviceAccountName']]);
    assert.match(account[0]?.reason ?? '', /is not supported: .*list those Secrets under secrets/);
  });

  it('the CRD schema holds the Store\'s shape: provider name, at least one Secret, Secret names and namespaces', async () => {
    const issues = await checkDocuments([
      rule({ authProvider: { name: 'docker', secrets: [] } }),
      { ...rule({ authProvider: { name: 'k8Secrets', secrets: [{ secretName: 'Bad_Name', namespace: 'Not A Namespace' }] } }), document: 2 },
      { ...rule({ authProvider: { name: 'k8Secrets' } }), document: 3 },
    ]);
    const paths = issues.map((i) => `${i.code} ${i.path}`);
    for (const expected of [
      'CONFIG_SCHEMA spec.registryCredentials.authProvider.name',
      'CONFIG_SCHEMA spec.registryCredentials.authProvider.secrets',
      'CONFIG_SCHEMA spec.registryCredentials.authProvider.secrets[0].secretName',
      'CONFIG_SCHEMA spec.registryCredentials.authProvider.secrets[0].namespace',
    ]) {
      assert.ok(paths.includes(expected), `${expected} in:\n${paths.join('\n')}`);
    }
    assert.equal(issues.filter((i) => i.path === 'spec.registryCredentials.authProvider.secrets').length, 2, 'empty and missing secrets');
  });
});
