/** The key flags of `signgate sign`: which door they name, the plugin folder, and the plugin's minimal environment. */
import assert from 'node:assert/strict';
import { UsageError } from '../../../provider/src/cli/io.js';
import { defaultPluginDir, keySourceFromArgs } from '../../../provider/src/cli/keyArgs.js';

const ENV = { PATH: '/usr/bin', HOME: '/home/u', LANG: 'C.UTF-8', AWS_PROFILE: 'signer', SECRET_TOKEN: 'do-not-pass', SIGNGATE_PKCS11_MODULE: '/opt/hsm/lib.so' };

describe('cli key flags', () => {
  it('the plugin folder is Notation\'s: $XDG_CONFIG_HOME/notation/plugins, else ~/.config/notation/plugins', () => {
    assert.equal(defaultPluginDir({ XDG_CONFIG_HOME: '/xdg', HOME: '/home/u' }), '/xdg/notation/plugins');
    assert.equal(defaultPluginDir({ HOME: '/home/u' }), '/home/u/.config/notation/plugins');
  });

  it('a plugin gets only PATH, HOME, TMPDIR, LANG and the variables --plugin-env names', async () => {
    const source = await keySourceFromArgs({ plugin: 'com.example.kms', id: 'k1', 'plugin-config': ['region=eu', 'a=b=c'], 'plugin-env': ['AWS_PROFILE'] }, ENV, 5000);
    assert.equal(source.kind, 'plugin');
    if (source.kind !== 'plugin') return;
    assert.deepEqual(source.env, { PATH: '/usr/bin', HOME: '/home/u', LANG: 'C.UTF-8', AWS_PROFILE: 'signer' });
    assert.deepEqual(source.pluginConfig, { region: 'eu', a: 'b=c' });
    assert.equal(source.pluginDir, '/home/u/.config/notation/plugins');
    assert.equal(source.timeoutMs, 5000);
  });

  it('a pkcs11: key takes its module default from SIGNGATE_PKCS11_MODULE and needs no --cert', async () => {
    const source = await keySourceFromArgs({ key: 'pkcs11:token=T;object=K' }, ENV, 5000);
    assert.deepEqual(source, { kind: 'pkcs11', uri: 'pkcs11:token=T;object=K', defaultModulePath: '/opt/hsm/lib.so' });
  });

  it('refuses an environment variable name that is not one', async () => {
    await assert.rejects(keySourceFromArgs({ plugin: 'p', id: 'k', 'plugin-env': ['A=B'] }, ENV, 1), (e: unknown) => e instanceof UsageError && /--plugin-env "A=B" is not an environment variable name/.test(e.message));
  });
});
