import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { defaultConfigPath, loadConfigFromFiles } from '../../../provider/src/config/index.js';
import { NotationError, signEnvelope, verifySignature, type Descriptor } from '../../../provider/src/notation/index.js';
import { AT, issueYaml, rejectsWith, removeTempDirs, tempDir, testMaterial, writeFiles } from './helpers.js';

const SUBJECT: Descriptor = {
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: `sha256:${'cd'.repeat(32)}`,
  size: 321,
};

const fingerprint = (der: Uint8Array): string => createHash('sha256').update(der).digest('hex');

describe('config loader: the issue YAML and the embedded default', function () {
  this.timeout(30_000);
  after(removeTempDirs);

  it('loads the YAML of the issue as written into the expected Config', async () => {
    const { pki, otherRoot } = await testMaterial();
    const dir = await tempDir();
    await writeFiles(dir, { 'signgate.yaml': issueYaml(pki.root.pem + otherRoot.pem) });

    const config = await loadConfigFromFiles([join(dir, 'signgate.yaml')], { generation: 7 });

    assert.equal(config.generation, 7);
    assert.equal(config.namespaces.size, 0);
    const cluster = config.cluster;
    assert.ok(cluster);
    assert.equal(cluster.verifiers.length, 1);
    const verifier = cluster.verifiers[0];
    assert.ok(verifier);
    assert.equal(verifier.name, 'notation');
    assert.equal(verifier.type, 'notation');
    assert.deepEqual(verifier.artifactTypes, ['application/vnd.cncf.notary.signature']);
    assert.equal(verifier.certificateCount, 2);
    assert.deepEqual(
      verifier.trustPolicy.trustPolicies.map((s) => [s.name, s.registryScopes, s.signatureVerification.level, s.trustStores, s.trustedIdentities]),
      [['default', ['*'], 'strict', [{ type: 'ca', name: 'my-store' }], ['*']]],
    );
    const certs = await verifier.trustStore.getCertificates('ca', 'my-store');
    assert.deepEqual(certs.map((c) => c.fingerprint256).sort(), [fingerprint(pki.root.der), fingerprint(otherRoot.der)].sort());
    assert.deepEqual(cluster.store, {
      name: 'oras',
      cacheEnabled: true,
      ttlSeconds: 10,
      plainHttpHosts: [],
      maxBlobBytes: 1024 * 1024,
    });
    assert.deepEqual(cluster.policy, { name: 'default', artifactVerificationPolicies: { default: 'all' } });
    assert.ok(Object.isFrozen(config) && Object.isFrozen(cluster) && Object.isFrozen(verifier) && Object.isFrozen(cluster.store));
  });

  it('gives a Verifier whose trust store and policy verify a signature of that PKI (and refuse another)', async () => {
    const { pki, otherRoot } = await testMaterial();
    const dir = await tempDir();
    await writeFiles(dir, { 'a.yaml': issueYaml(pki.root.pem), 'b.yaml': issueYaml(otherRoot.pem) });
    const signed = await signEnvelope({
      format: 'jws',
      payload: { targetArtifact: SUBJECT },
      privateKey: pki.leaf.key.privateKey,
      certificateChain: pki.chain,
      signingScheme: 'notary.x509',
      signingTime: new Date(AT.getTime() - 60_000),
    });
    const outcomes = [];
    for (const file of ['a.yaml', 'b.yaml']) {
      const verifier = (await loadConfigFromFiles([join(dir, file)], { generation: 1 })).cluster?.verifiers[0];
      assert.ok(verifier);
      const statement = verifier.trustPolicy.trustPolicies[0];
      assert.ok(statement);
      outcomes.push(
        await verifySignature({
          envelope: { mediaType: signed.mediaType, bytes: signed.envelope },
          subject: SUBJECT,
          artifactReference: `registry.example/app@${SUBJECT.digest}`,
          statement,
          trustStore: verifier.trustStore,
          clock: () => AT,
        }),
      );
    }
    assert.equal(outcomes[0]?.error, undefined);
    assert.equal(outcomes[1]?.error?.code, 'UNTRUSTED_SIGNER');
  });

  it('loads the embedded default: one strict "*" policy on ca:default, no certificate, and says where to add one', async () => {
    const config = await loadConfigFromFiles([defaultConfigPath()], { generation: 1 });
    const cluster = config.cluster;
    assert.ok(cluster);
    const verifier = cluster.verifiers[0];
    assert.ok(verifier);
    assert.equal(verifier.name, 'notation');
    assert.equal(verifier.certificateCount, 0);
    const statement = verifier.trustPolicy.trustPolicies[0];
    assert.deepEqual(statement?.registryScopes, ['*']);
    assert.equal(statement?.signatureVerification.level, 'strict');
    assert.deepEqual(statement?.trustStores, [{ type: 'ca', name: 'default' }]);
    assert.equal(cluster.store.name, 'oras');
    assert.equal(cluster.store.ttlSeconds, 10);
    assert.deepEqual(cluster.policy.artifactVerificationPolicies, { 'application/vnd.cncf.notary.signature': 'any', default: 'all' });

    await assert.rejects(verifier.trustStore.getCertificates('ca', 'default'), (err: unknown) => {
      assert.ok(err instanceof NotationError);
      assert.equal(err.code, 'TRUST_STORE_INVALID');
      assert.match(err.message, /has no certificates/);
      assert.ok(err.message.includes(join('config', 'certs')), err.message);
      return true;
    });
  });

  it('reads a folder of YAML files in name order, ignoring other files', async () => {
    const { pki } = await testMaterial();
    const dir = await tempDir();
    const [kmp = '', ...rest] = issueYaml(pki.root.pem).split('---\n');
    await writeFiles(dir, {
      'conf/10-kmp.yaml': kmp,
      'conf/20-rest.yml': rest.join('---\n'),
      'conf/README.md': 'not: [yaml',
      'conf/.hidden.yaml': 'not: [yaml',
    });
    const config = await loadConfigFromFiles([join(dir, 'conf')], { generation: 3 });
    assert.equal(config.cluster?.verifiers[0]?.certificateCount, 1);
  });

  it('loads a config without Verifier as having no cluster scope, with empty documents skipped', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'store.yaml': '# a Store only\n---\n---\napiVersion: config.signgate.dev/v1alpha1\nkind: Store\nmetadata: {name: s}\nspec: {type: oras}\n' });
    const config = await loadConfigFromFiles([join(dir, 'store.yaml')], { generation: 1 });
    assert.equal(config.cluster, undefined);
    assert.equal(config.namespaces.size, 0);
  });

  it('rejects config files without any resource (as a half-written file looks)', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'empty.yaml': '# nothing yet\n---\n' });
    const issue = await rejectsWith(loadConfigFromFiles([join(dir, 'empty.yaml')], { generation: 1 }), 'CONFIG_INVALID', '');
    assert.match(issue.reason, /holds no resource/);
  });
});
