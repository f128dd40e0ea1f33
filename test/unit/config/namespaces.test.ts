import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { loadConfigFromFiles, type Config } from '../../../provider/src/config/index.js';
import { rejectsWith, removeTempDirs, tempDir, testMaterial, writeFiles } from './helpers.js';

const HEAD = 'apiVersion: config.signgate.dev/v1alpha1\n';
const fingerprint = (der: Uint8Array): string => createHash('sha256').update(der).digest('hex');

function kmp(kind: string, name: string, ns: string | undefined, pem: string): string {
  const meta = ns === undefined ? `{name: ${name}}` : `{name: ${name}, namespace: ${ns}}`;
  return `${HEAD}kind: ${kind}\nmetadata: ${meta}\nspec: {type: inline, parameters: {value: ${JSON.stringify(pem)}}}\n---\n`;
}

function verifier(kind: string, name: string, ns: string | undefined, kmps: string): string {
  const meta = ns === undefined ? `{name: ${name}}` : `{name: ${name}, namespace: ${ns}}`;
  return `${HEAD}kind: ${kind}
metadata: ${meta}
spec:
  type: notation
  parameters:
    verificationCertStores: {ca: {s: ${kmps}}}
    trustPolicyDoc: {version: "1.0", trustPolicies: [{name: p, registryScopes: ["*"], signatureVerification: {level: strict}, trustStores: ["ca:s"], trustedIdentities: ["*"]}]}
---
`;
}

async function load(text: string): Promise<Config> {
  const dir = await tempDir();
  await writeFiles(dir, { 'c.yaml': text.replace(/---\n$/, '') });
  return loadConfigFromFiles([join(dir, 'c.yaml')], { generation: 2 });
}

async function storeFingerprints(config: Config, namespace: string | undefined, verifierName: string): Promise<string[]> {
  const scope = namespace === undefined ? config.cluster : config.namespaces.get(namespace);
  const v = scope?.verifiers.find((x) => x.name === verifierName);
  assert.ok(v, `verifier ${verifierName} in ${namespace ?? 'cluster'}`);
  return (await v.trustStore.getCertificates('ca', 's')).map((c) => c.fingerprint256);
}

describe('config namespaces: Namespaced* resources over the cluster-wide ones', function () {
  this.timeout(30_000);
  let clusterPem: string;
  let teamPem: string;
  let clusterFp: string;
  let teamFp: string;

  before(async () => {
    const { pki, otherRoot } = await testMaterial();
    [clusterPem, teamPem] = [pki.root.pem, otherRoot.pem];
    [clusterFp, teamFp] = [fingerprint(pki.root.der), fingerprint(otherRoot.der)];
  });
  after(removeTempDirs);

  it('a NamespacedVerifier of the same name replaces the cluster one in its namespace only; Store and Policy fall back or override', async () => {
    const config = await load(
      kmp('KeyManagementProvider', 'certs', undefined, clusterPem) +
        verifier('Verifier', 'notation', undefined, '[certs]') +
        `${HEAD}kind: Store\nmetadata: {name: oras}\nspec: {type: oras, parameters: {ttl: 15}}\n---\n` +
        kmp('NamespacedKeyManagementProvider', 'team-certs', 'team-a', teamPem) +
        verifier('NamespacedVerifier', 'notation', 'team-a', '[team-certs]') +
        `${HEAD}kind: NamespacedPolicy\nmetadata: {name: team, namespace: team-a}\nspec: {type: config-policy, parameters: {artifactVerificationPolicies: {default: any}}}\n`,
    );
    assert.deepEqual(await storeFingerprints(config, undefined, 'notation'), [clusterFp]);
    assert.deepEqual([...config.namespaces.keys()], ['team-a']);
    const team = config.namespaces.get('team-a');
    assert.ok(team);
    assert.equal(team.verifiers.length, 1);
    assert.deepEqual(await storeFingerprints(config, 'team-a', 'notation'), [teamFp]);
    assert.equal(team.store.ttlSeconds, 15, 'the cluster Store applies');
    assert.deepEqual(team.policy.artifactVerificationPolicies, { default: 'any' });
    assert.deepEqual(
      config.cluster?.policy.artifactVerificationPolicies,
      { 'application/vnd.cncf.notary.signature': 'any', default: 'all' },
      'the cluster keeps the default Policy',
    );
  });

  it('a NamespacedVerifier of another name adds to the cluster verifiers, and finds cluster KeyManagementProviders by name', async () => {
    const config = await load(
      kmp('KeyManagementProvider', 'certs', undefined, clusterPem) +
        kmp('KeyManagementProvider', 'shared', undefined, teamPem) +
        verifier('Verifier', 'notation', undefined, '[certs]') +
        verifier('NamespacedVerifier', 'extra', 'team-b', '[shared]') +
        `${HEAD}kind: NamespacedStore\nmetadata: {name: s, namespace: team-c}\nspec: {type: oras, parameters: {plainHttp: [registry.team-c]}}\n`,
    );
    const teamB = config.namespaces.get('team-b');
    assert.deepEqual(teamB?.verifiers.map((v) => v.name), ['notation', 'extra']);
    assert.deepEqual(await storeFingerprints(config, 'team-b', 'extra'), [teamFp]);
    const teamC = config.namespaces.get('team-c');
    assert.deepEqual(teamC?.verifiers.map((v) => v.name), ['notation'], 'a namespace with only a Store keeps the cluster verifiers');
    assert.deepEqual(teamC?.store.plainHttpHosts, ['registry.team-c']);
    assert.equal(config.cluster?.store.plainHttpHosts.length, 0);
  });

  it('a namespace KeyManagementProvider shadows a cluster one of the same name for that namespace\'s verifiers', async () => {
    const config = await load(
      kmp('KeyManagementProvider', 'certs', undefined, clusterPem) +
        kmp('NamespacedKeyManagementProvider', 'certs', 'team-a', teamPem) +
        verifier('Verifier', 'notation', undefined, '[certs]') +
        verifier('NamespacedVerifier', 'notation', 'team-a', '[certs]'),
    );
    assert.deepEqual(await storeFingerprints(config, undefined, 'notation'), [clusterFp]);
    assert.deepEqual(await storeFingerprints(config, 'team-a', 'notation'), [teamFp]);
  });

  it('rejects a cluster Verifier naming a NamespacedKeyManagementProvider, and a second Policy in one namespace', async () => {
    const dir = await tempDir();
    await writeFiles(dir, {
      'c.yaml':
        kmp('NamespacedKeyManagementProvider', 'team-certs', 'team-a', teamPem) +
        verifier('Verifier', 'notation', undefined, '[team-certs]').replace(/---\n$/, ''),
      'd.yaml':
        `${HEAD}kind: NamespacedPolicy\nmetadata: {name: one, namespace: team-a}\nspec: {type: config-policy}\n---\n` +
        `${HEAD}kind: NamespacedPolicy\nmetadata: {name: two, namespace: team-a}\nspec: {type: config-policy}\n`,
    });
    const ref = await rejectsWith(loadConfigFromFiles([dir], { generation: 1 }), 'CONFIG_REFERENCE', 'spec.parameters.verificationCertStores.ca.s[0]');
    assert.match(ref.reason, /KeyManagementProvider "team-certs", which is not defined/);
    const second = await rejectsWith(loadConfigFromFiles([dir], { generation: 1 }), 'CONFIG_INVALID', 'metadata.name');
    assert.equal(second.name, 'two');
    assert.equal(second.namespace, 'team-a');
    assert.match(second.reason, /is a second Policy in namespace team-a/);
  });
});
