/**
 * The verification policy defaults (issue 10, section 4): Notation signatures `any`, other artifact types `all`,
 * wherever a Policy is silent; an explicit table (Ratify's `default: all` included) is honoured as written; the
 * embedded default config and `signgate verify` decide like the built-in default.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DEFAULT_POLICY, defaultConfigPath, loadConfigFromFiles, type PolicyConfig } from '../../../provider/src/config/index.js';
import { policyFor } from '../../../provider/src/verify/index.js';
import { issueYaml, removeTempDirs, tempDir, testMaterial, writeFiles } from './helpers.js';

const NOTARY = 'application/vnd.cncf.notary.signature';
const SBOM = 'application/spdx+json';

/** The issue's YAML with its Policy replaced by `policy` (a YAML flow mapping), or without a Policy when undefined. */
async function policyOf(policy: string | undefined): Promise<PolicyConfig> {
  const { pki } = await testMaterial();
  const base = issueYaml(pki.root.pem);
  const withoutPolicy = base.slice(0, base.lastIndexOf('---\n'));
  const yaml =
    policy === undefined
      ? withoutPolicy
      : `${withoutPolicy}---\napiVersion: config.signgate.dev/v1alpha1\nkind: Policy\nmetadata: {name: default}\n` +
        `spec: {type: config-policy, parameters: {artifactVerificationPolicies: ${policy}}}\n`;
  const dir = await tempDir();
  await writeFiles(dir, { 'signgate.yaml': yaml });
  const config = await loadConfigFromFiles([join(dir, 'signgate.yaml')], { generation: 1 });
  assert.ok(config.cluster, 'the cluster-wide scope is configured');
  return config.cluster.policy;
}

const modes = (policy: PolicyConfig): Record<string, string> => ({ notary: policyFor(policy, NOTARY), sbom: policyFor(policy, SBOM) });

describe('config: verification policy defaults', function () {
  this.timeout(30_000);
  after(removeTempDirs);

  it('without a Policy: Notation signatures any, other artifact types all', async () => {
    assert.deepEqual(modes(await policyOf(undefined)), { notary: 'any', sbom: 'all' });
    assert.deepEqual(modes(DEFAULT_POLICY), { notary: 'any', sbom: 'all' });
  });

  it("Ratify's chart default `default: all` is honoured for Notation signatures too", async () => {
    assert.deepEqual(modes(await policyOf('{default: all}')), { notary: 'all', sbom: 'all' });
  });

  it('a Policy that names only other types keeps the built-in entries where it is silent', async () => {
    const policy = await policyOf(`{"${SBOM}": any}`);
    assert.deepEqual(modes(policy), { notary: 'any', sbom: 'any' });
    assert.equal(policyFor(policy, 'application/vnd.example.other'), 'all');
  });

  it('an explicit entry for Notation signatures wins over the built-in any', async () => {
    assert.deepEqual(modes(await policyOf(`{"${NOTARY}": all}`)), { notary: 'all', sbom: 'all' });
    assert.deepEqual(modes(await policyOf('{default: any}')), { notary: 'any', sbom: 'any' });
  });

  it('an empty table (the chart\'s default values) means the built-in defaults', async () => {
    assert.deepEqual(modes(await policyOf('{}')), { notary: 'any', sbom: 'all' });
  });

  it('the embedded default config decides like the built-in default', async () => {
    const config = await loadConfigFromFiles([defaultConfigPath()], { generation: 1 });
    assert.ok(config.cluster);
    assert.deepEqual(modes(config.cluster.policy), modes(DEFAULT_POLICY));
  });

  it('a hand-made table without the type or a default fails closed to all', () => {
    assert.equal(policyFor({ name: 'x', artifactVerificationPolicies: {} }, NOTARY), 'all');
  });
});
