import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ConfigError, loadConfigFromFiles } from '../../../provider/src/config/index.js';
import { trustConfigYaml } from '../../support/configYaml.js';
import { removeTempDirs, tempDir, testMaterial, writeFiles } from './helpers.js';

/** The trust config with `line` added to the Verifier's spec.parameters. */
async function load(line: string | undefined) {
  const { pki } = await testMaterial();
  const yaml = trustConfigYaml(pki.root.pem);
  const dir = await tempDir();
  await writeFiles(dir, { 'c.yaml': line === undefined ? yaml : yaml.replace('    trustPolicyDoc:', `    ${line}\n    trustPolicyDoc:`) });
  return loadConfigFromFiles([join(dir, 'c.yaml')], { generation: 1 });
}

describe('config: Verifier spec.parameters.verifyTag', () => {
  after(removeTempDirs);

  it('is off when absent, on with true, and a part of the verifier and scope digests (verdicts of the two never share a key)', async () => {
    const off = (await load(undefined)).cluster;
    const on = (await load('verifyTag: true')).cluster;
    const no = (await load('verifyTag: false')).cluster;
    assert.equal(off?.verifiers[0]?.verifyTag, undefined);
    assert.equal(no?.verifiers[0]?.verifyTag, undefined);
    assert.equal(on?.verifiers[0]?.verifyTag, true);
    assert.notEqual(on?.digest, off?.digest);
    assert.notEqual(on?.verifiers[0]?.digest, off?.verifiers[0]?.digest);
    assert.equal(no?.digest, off?.digest, 'false is the default: same configuration, same digest');
  });

  it('refuses a value that is not a boolean, naming the field', async () => {
    await assert.rejects(load('verifyTag: "yes"'), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.code, 'CONFIG_SCHEMA');
      assert.equal(err.issues[0]?.path, 'spec.parameters.verifyTag');
      assert.match(err.message, /spec\.parameters\.verifyTag: must be a boolean/);
      return true;
    });
  });
});
