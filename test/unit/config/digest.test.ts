/**
 * The configuration's content hash (config/digest.ts): equal for equal content wherever and whenever it was read (two
 * replicas, other paths, other file times, a certificate inline or from a file), different when anything a verdict
 * depends on differs: a certificate, the trust policy, the verifier, the Store, the Policy, a namespace's configuration.
 */
import assert from 'node:assert/strict';
import { utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfigFromFiles, type Config } from '../../../provider/src/config/index.js';
import { issueYaml, removeTempDirs, tempDir, testMaterial, writeFiles } from './helpers.js';

async function load(yaml: string, extra: Readonly<Record<string, string>> = {}): Promise<Config> {
  const dir = await tempDir();
  await writeFiles(dir, { 'signgate.yaml': yaml, ...extra });
  return loadConfigFromFiles([join(dir, 'signgate.yaml')], { generation: 1 });
}

const NAMESPACED_POLICY = `
---
apiVersion: config.signgate.dev/v1alpha1
kind: NamespacedPolicy
metadata: {name: default, namespace: team-a}
spec: {type: config-policy, parameters: {artifactVerificationPolicies: {default: any}}}
`;

describe('config/digest: the content hash verdict cache keys are made of', function () {
  after(removeTempDirs);

  it('is equal for the same content loaded twice from other folders at other times, and is 64 hex digits', async function () {
    const { pki } = await testMaterial();
    const a = await load(issueYaml(pki.root.pem));
    const dir = await tempDir();
    await writeFiles(dir, { 'other-name.yaml': issueYaml(pki.root.pem) });
    await utimes(join(dir, 'other-name.yaml'), new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
    const b = await loadConfigFromFiles([join(dir, 'other-name.yaml')], { generation: 7 });
    assert.match(a.digest, /^[0-9a-f]{64}$/);
    assert.equal(b.digest, a.digest);
    assert.equal(b.cluster?.digest, a.cluster?.digest);
    assert.notEqual(b.generation, a.generation, 'the generation stays a per-process counter');
  });

  it('a certificate from a file has the digest of the same certificate inline (content, not where it came from)', async function () {
    const { pki } = await testMaterial();
    const inline = await load(issueYaml(pki.root.pem));
    const fromFile = await load(
      issueYaml(pki.root.pem).replace(/spec: \{type: inline, parameters: \{contentType: certificate, value: "[^"]*"\}\}/, 'spec: {type: file, parameters: {paths: [certs/root.pem]}}'),
      { 'certs/root.pem': pki.root.pem },
    );
    assert.equal(fromFile.cluster?.verifiers[0]?.certificateCount, 1);
    assert.equal(fromFile.digest, inline.digest);
  });

  it('differs when a certificate, the trust policy, the verifier, the Store, the Policy or a namespace differs', async function () {
    const { pki, otherRoot } = await testMaterial();
    const base = issueYaml(pki.root.pem);
    const reference = await load(base);
    const variants: Record<string, string> = {
      'another certificate': issueYaml(otherRoot.pem),
      'a tighter trusted identity': base.replace('trustedIdentities: ["*"]', 'trustedIdentities: ["x509.subject: CN=someone,O=example,ST=WA,C=US"]'),
      'another verification level': base.replace('signatureVerification: {level: strict}', 'signatureVerification: {level: permissive}'),
      'another verifier name': base.replace('metadata: {name: notation}', 'metadata: {name: notation-2}'),
      'another Store ttl': base.replace('ttl: 10', 'ttl: 20'),
      'another Policy mode': base.replace('{default: all}', '{default: any}'),
      'a namespaced Policy': base + NAMESPACED_POLICY,
    };
    const seen = new Map<string, string>([[reference.digest, 'the reference']]);
    for (const [what, yaml] of Object.entries(variants)) {
      const config = await load(yaml);
      assert.ok(!seen.has(config.digest), `${what}: digest equals that of ${seen.get(config.digest) ?? ''}`);
      seen.set(config.digest, what);
    }
  });

  it('a namespace change leaves the cluster scope digest (and so its cached verdicts) as it was', async function () {
    const { pki } = await testMaterial();
    const base = await load(issueYaml(pki.root.pem));
    const namespaced = await load(issueYaml(pki.root.pem) + NAMESPACED_POLICY);
    assert.equal(namespaced.cluster?.digest, base.cluster?.digest);
    const teamA = namespaced.namespaces.get('team-a');
    assert.ok(teamA !== undefined);
    assert.notEqual(teamA.digest, base.cluster?.digest);
  });
});
