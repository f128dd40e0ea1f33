import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../../support/cli.js';

describe('cli: signgate signer serve --kubernetes (usage)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'signgate-signer-kube-cli-'));
    await writeFile(join(dir, 'token'), 'a-token-of-enough-length');
    // a key file from a Secret, in a rule file: only --kubernetes reads Secrets
    await writeFile(
      join(dir, 'rules.yaml'),
      'apiVersion: config.signgate.dev/v1alpha1\nkind: SigningRule\nmetadata: {name: team-a}\nspec:\n  registry: registry.example.com\n  namespace: team-a\n  key: {file: {secretName: team-a-key, key: tls.key, certificateChain: tls.crt}}\n',
    );
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 2 naming the mistake: file-mode flags with --kubernetes, cluster flags without it or on other sub-commands', async () => {
    const token = join(dir, 'token');
    const cases: readonly [readonly string[], RegExp][] = [
      [['signer', 'serve', '--kubernetes', '--config', dir, '--token-file', token], /--kubernetes reads the SigningRules from the cluster and keeps baselines in ConfigMaps: it takes no --config or --state-dir/],
      [['signer', 'serve', '--kubernetes', '--state-dir', dir, '--token-file', token], /it takes no --config or --state-dir/],
      [['signer', 'serve', '--namespace', 'x', '--config', dir, '--token-file', token], /--namespace and --lease-name apply only with --kubernetes/],
      [['signer', 'backfill', 'team-a', '--kubernetes', '--config', dir], /--kubernetes, --namespace and --lease-name apply to signer serve only; backfill reads rule files/],
      [['signer', 'serve', '--kubernetes'], /--token-file FILE is required/],
      [['signer', 'serve', '--kubernetes', '--token-file', token, '--insecure-listen', '127.0.0.1:0'], /--kubernetes needs the signer's namespace .*give --namespace NS, or set POD_NAMESPACE from the downward API/],
    ];
    for (const [argv, message] of cases) {
      const run = await cli(...argv);
      assert.equal(run.code, 2, `${argv.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message, argv.join(' '));
    }
  });

  it('a rule file naming a key Secret is refused with the way out (mount the Secret and give paths)', async () => {
    const run = await cli('signer', 'backfill', 'team-a', '--config', join(dir, 'rules.yaml'), '--state-dir', dir);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /SigningRule team-a: its key is in Secret team-a-key \(spec.key.file.secretName\), which only signgate signer serve --kubernetes reads; in a config file mount the Secret and give the paths/);
  });

  it('lists --kubernetes, --namespace and --lease-name in its help', async () => {
    const run = await cli('signer', '--help');
    assert.match(run.stdout, /signgate signer serve --kubernetes \[--namespace NS\] \[--lease-name NAME\]/);
    assert.match(run.stdout, /--namespace NS +the signer's namespace/);
  });
});
