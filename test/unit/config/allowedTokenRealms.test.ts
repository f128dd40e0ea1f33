import assert from 'node:assert/strict';
import { checkDocuments, loadConfigFromFiles } from '../../../provider/src/config/index.js';
import { issueYaml, rejectsWith, removeTempDirs, tempDir, testMaterial, writeFiles } from './helpers.js';

const STORE_LINE = 'spec: {type: oras, parameters: {cacheEnabled: true, ttl: 10}}';

/** The test config with its Store's parameters extended by `extra` (YAML flow text). */
async function configWith(extra: string): Promise<string> {
  const { pki } = await testMaterial();
  const yaml = issueYaml(pki.root.pem);
  assert.ok(yaml.includes(STORE_LINE));
  const dir = await tempDir();
  await writeFiles(dir, { 'signgate.yaml': yaml.replace(STORE_LINE, `spec: {type: oras, parameters: {ttl: 10, ${extra}}}`) });
  return `${dir}/signgate.yaml`;
}

function storeDocument(kind: 'Store' | 'NamespacedStore', allowedTokenRealms: unknown): unknown {
  return {
    apiVersion: 'config.signgate.dev/v1alpha1',
    kind,
    metadata: { name: 'oras', ...(kind === 'NamespacedStore' ? { namespace: 'team-a' } : {}) },
    spec: { type: 'oras', parameters: { allowedTokenRealms } },
  };
}

describe('config: Store allowedTokenRealms (token realm hosts that may receive registry credentials)', function () {
  after(removeTempDirs);

  it('keeps the hosts in canonical form, once each', async function () {
    const file = await configWith('allowedTokenRealms: [Auth.Example.NET, "auth.example.net:0443", "10.0.0.7:08443", "[2001:DB8::7]:443", tokenhost]');
    const store = (await loadConfigFromFiles([file], { generation: 1 })).cluster?.store;
    assert.deepEqual(store?.allowedTokenRealms, ['auth.example.net', '10.0.0.7:8443', '[2001:db8::7]', 'tokenhost']);
    assert.ok(Object.isFrozen(store?.allowedTokenRealms));
  });

  it('is absent when the Store lists none', async function () {
    const store = (await loadConfigFromFiles([await configWith('cacheEnabled: true')], { generation: 1 })).cluster?.store;
    assert.ok(store !== undefined && !('allowedTokenRealms' in store));
  });

  it('rejects a host without a canonical form, naming the entry and why', async function () {
    const port = await rejectsWith(
      loadConfigFromFiles([await configWith('allowedTokenRealms: [auth.example.net, "auth.example.net:99999"]')], { generation: 1 }),
      'CONFIG_INVALID',
      'spec.parameters.allowedTokenRealms[1]',
    );
    assert.match(port.reason, /port 99999 .* is out of range \(1 to 65535\)/);
    const label = await rejectsWith(loadConfigFromFiles([await configWith('allowedTokenRealms: [auth..example.net]')], { generation: 1 }), 'CONFIG_INVALID', 'spec.parameters.allowedTokenRealms[0]');
    assert.match(label.reason, /is not a valid host name/);
  });

  it('the CRD schema (Store and NamespacedStore) refuses URLs, empty entries and overlong lists', async function () {
    for (const kind of ['Store', 'NamespacedStore'] as const) {
      const check = async (value: unknown): Promise<string[][]> =>
        (await checkDocuments([{ file: 'store.yaml', document: 1, value: storeDocument(kind, value) }])).map((i) => [i.code, i.path, i.reason]);
      const url = await check(['https://auth.example.net/token']);
      assert.deepEqual(url.map(([c, p]) => [c, p]), [['CONFIG_SCHEMA', 'spec.parameters.allowedTokenRealms[0]']], kind);
      assert.match(url[0]?.[2] ?? '', /pattern/);
      const empty = await check(['']);
      assert.ok(empty.length > 0 && empty.every(([c, p]) => c === 'CONFIG_SCHEMA' && p === 'spec.parameters.allowedTokenRealms[0]'), JSON.stringify(empty));
      assert.deepEqual((await check('auth.example.net')).map(([c, p]) => [c, p]), [['CONFIG_SCHEMA', 'spec.parameters.allowedTokenRealms']], kind);
      const many = await check(Array.from({ length: 65 }, (_, i) => `auth${i}.example.net`));
      assert.deepEqual(many.map(([c, p]) => [c, p]), [['CONFIG_SCHEMA', 'spec.parameters.allowedTokenRealms']], kind);
      assert.match(many[0]?.[2] ?? '', /64/);
      assert.deepEqual(await check(['auth.example.net', '10.0.0.7:8443']), [], kind);
    }
  });
});
