import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cli } from '../../support/cli.js';
import { createPki } from '../../support/pki.js';
import { writeSignerFiles, type SignerFiles } from '../../support/signerFiles.js';
import { TempDirs } from '../verify/fixtures.js';

const SAMPLE = join(import.meta.dirname, '..', '..', '..', 'crds', 'samples', 'signingrule-team-a.yaml');

describe('cli: signgate signer serve listener flags', () => {
  const dirs = new TempDirs();
  let files: SignerFiles;
  before(async () => {
    files = await writeSignerFiles(await dirs.make('signgate-signer-listen-'), 'registry.example', await createPki({ at: new Date() }), [{ name: 'team-a', namespace: 'team-a' }]);
  });
  after(() => dirs.cleanup());

  it('exits 2 naming the flag for each bad listener flag, before any key is opened', async () => {
    const serve = ['signer', 'serve', '--config', SAMPLE, '--token-file', 'x'];
    const cases: readonly [readonly string[], RegExp][] = [
      [['--headers-timeout', 'soon'], /--headers-timeout "soon" is not a whole number of milliseconds or seconds, such as 10s or 500ms/],
      [['--request-timeout', '0s'], /--request-timeout "0s" is not a whole number/],
      [['--keep-alive-timeout', '1.5ms'], /--keep-alive-timeout "1\.5ms" is not a whole number/],
      [['--max-connections', '0'], /--max-connections must be a whole number from 1 to 1000000, not "0"/],
      [['--max-concurrent-requests', 'many'], /--max-concurrent-requests must be a whole number from 1 to 100000, not "many"/],
      [['--insecure-listen', '127.0.0.1:0', '--tls-cert', 'c.pem', '--tls-key', 'k.pem'], /--insecure-listen serves plain HTTP: it takes no --listen, --tls-cert or --tls-key/],
      [['--tls-cert', 'c.pem'], /--tls-cert and --tls-key go together/],
    ];
    for (const [flags, message] of cases) {
      const run = await cli(...serve, ...flags);
      assert.equal(run.code, 2, `${flags.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message, flags.join(' '));
      assert.doesNotMatch(run.stderr, /key\.pem/, 'refused before the rule key is read');
    }
  });

  it('exits 2 when the headers timeout is longer than the request timeout (the listener refuses it)', async () => {
    const run = await cli('signer', 'serve', ...files.args, '--insecure-listen', '127.0.0.1:0', '--headers-timeout', '60s', '--request-timeout', '30s');
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /the headers timeout \(60000ms\) is longer than the request timeout \(30000ms\), which includes the headers; lower --headers-timeout or raise --request-timeout/);
  });
});
