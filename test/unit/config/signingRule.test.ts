import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ConfigError, loadConfigFromFiles, type ConfigIssue } from '../../../provider/src/config/index.js';
import { removeTempDirs, tempDir, writeFiles } from './helpers.js';

const HEAD = 'apiVersion: config.signgate.dev/v1alpha1\nkind: SigningRule\n';

function rule(name: string, spec: string): string {
  return `${HEAD}metadata: {name: ${name}}\nspec:\n${spec}`;
}

const FILE_KEY = '  key: {file: {key: keys/k.pem, certificateChain: keys/chain.pem}}\n';

async function load(yaml: string): Promise<{ dir: string; result: Awaited<ReturnType<typeof loadConfigFromFiles>> }> {
  const dir = await tempDir();
  await writeFiles(dir, { 'rules.yaml': yaml });
  return { dir, result: await loadConfigFromFiles([join(dir, 'rules.yaml')], { generation: 1 }) };
}

async function issuesOf(yaml: string): Promise<readonly ConfigIssue[]> {
  const dir = await tempDir();
  await writeFiles(dir, { 'rules.yaml': yaml });
  try {
    await loadConfigFromFiles([join(dir, 'rules.yaml')], { generation: 1 });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.issues;
  }
  assert.fail('the config was accepted');
}

describe('config: SigningRule', () => {
  after(removeTempDirs);

  it('reads a rule with defaults: canonical registry, paths relative to the file, Default jws Automatic enabled', async () => {
    const { dir, result } = await load(rule('team-a', `  registry: Registry.Example.COM:443\n  namespace: team-a\n${FILE_KEY}`));
    assert.equal(result.cluster, undefined);
    assert.deepEqual(result.signingRules, [
      {
        name: 'team-a',
        registry: 'registry.example.com',
        namespace: 'team-a',
        key: { door: 'file', keyPath: join(dir, 'keys/k.pem'), certificateChainPath: join(dir, 'keys/chain.pem') },
        signatureType: 'Default',
        envelope: 'jws',
        trigger: 'Automatic',
        enabled: true,
        removeSignaturesOnDelete: false,
        plainHttp: false,
      },
    ]);
  });

  it('reads the other doors and options', async () => {
    const yaml = [
      rule('hsm', '  registry: r.example\n  namespace: a/b\n  key: {pkcs11: {uri: "pkcs11:token=t;object=k"}}\n  signatureType: Simple\n  envelope: cose\n  expiry: 30d\n  trigger: Manual\n  enabled: false\n'),
      rule('plug', '  registry: r.example\n  namespace: cc\n  key: {plugin: {name: kms, id: key-1, config: {region: eu}}}\n  registryCredentials: {plainHttp: true, dockerConfig: /etc/docker.json}\n'),
    ].join('---\n');
    const { result } = await load(yaml);
    const [hsm, plug] = result.signingRules;
    assert.deepEqual(hsm?.key, { door: 'pkcs11', uri: 'pkcs11:token=t;object=k' });
    assert.deepEqual([hsm?.signatureType, hsm?.envelope, hsm?.expirySeconds, hsm?.trigger, hsm?.enabled], ['Simple', 'cose', 30 * 86400, 'Manual', false]);
    assert.deepEqual(plug?.key, { door: 'plugin', name: 'kms', keyId: 'key-1', pluginConfig: { region: 'eu' } });
    assert.deepEqual([plug?.plainHttp, plug?.dockerConfigPath], [true, '/etc/docker.json']);
  });

  it('rejects a second rule for the same or an overlapping namespace, naming the first', async () => {
    const issues = await issuesOf(
      [
        rule('first', `  registry: r.example\n  namespace: team\n${FILE_KEY}`),
        rule('second', `  registry: R.EXAMPLE:443\n  namespace: team/sub\n${FILE_KEY}`),
        rule('elsewhere', `  registry: other.example\n  namespace: team\n${FILE_KEY}`),
      ].join('---\n'),
    );
    assert.equal(issues.length, 1);
    assert.equal(issues[0]?.code, 'CONFIG_INVALID');
    assert.equal(issues[0]?.name, 'second');
    assert.equal(issues[0]?.path, 'spec.namespace');
    assert.match(issues[0]?.reason ?? '', /r\.example\/team\/sub is already covered by SigningRule "first" \(r\.example\/team, in .*rules\.yaml:1\); one rule per registry namespace/);
  });

  it('rejects namespaces against TCR\'s naming rule, key doors other than exactly one, and bad registries', async () => {
    const cases: readonly [string, string, RegExp][] = [
      [`  registry: r.example\n  namespace: a\n${FILE_KEY}`, 'spec.namespace', /fewer than 2 characters/],
      [`  registry: r.example\n  namespace: -team\n${FILE_KEY}`, 'spec.namespace', /pattern/],
      [`  registry: r.example\n  namespace: team//x\n${FILE_KEY}`, 'spec.namespace', /pattern/],
      [`  registry: r.example\n  namespace: Team\n${FILE_KEY}`, 'spec.namespace', /pattern/],
      [`  registry: r.example\n  namespace: ${'a'.repeat(51)}\n${FILE_KEY}`, 'spec.namespace', /more than 50 characters/],
      ['  registry: r.example\n  namespace: team\n  key: {}\n', 'spec.key', /needs one of file, pkcs11 or plugin/],
      ['  registry: r.example\n  namespace: team\n  key: {pkcs11: {uri: "pkcs11:x=y"}, plugin: {name: p, id: i}}\n', 'spec.key', /sets pkcs11 and plugin; give exactly one/],
      [`  registry: "r.example:99999"\n  namespace: team\n${FILE_KEY}`, 'spec.registry', /port 99999/],
      [`  registry: r.example\n  namespace: team\n  signatureType: Full\n${FILE_KEY}`, 'spec.signatureType', /Default, Simple|one of/],
      [`  registry: r.example\n  namespace: team\n  expiry: 10y\n${FILE_KEY}`, 'spec.expiry', /pattern/],
    ];
    for (const [spec, path, reason] of cases) {
      const issues = await issuesOf(rule('r', spec));
      const issue = issues.find((i) => i.path === path);
      assert.ok(issue, `${path} reported for:\n${spec}\ngot ${JSON.stringify(issues)}`);
      assert.match(issue.reason, reason);
    }
  });
});
