import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../../support/cli.js';

const SAMPLE = join(import.meta.dirname, '..', '..', '..', 'crds', 'samples', 'signingrule-team-a.yaml');

describe('cli: signgate signer', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'signgate-signer-cli-'));
    await writeFile(join(dir, 'token'), 'a-token-of-enough-length');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints its help within 100 columns, from main and from the command', async () => {
    for (const argv of [['signer', '--help'], ['help', 'signer'], ['signer', 'serve', '--help']]) {
      const run = await cli(...argv);
      assert.equal(run.code, 0, argv.join(' '));
      assert.match(run.stdout, /usage: signgate signer serve --config PATH\.\.\. --token-file FILE/);
      for (const line of run.stdout.split('\n')) assert.ok(line.length <= 100, `${argv.join(' ')}: "${line}" is longer than 100`);
    }
    assert.match((await cli('--help')).stdout, /signer serve\|backfill\|status/);
  });

  it('exits 2 with the problem in words for each usage mistake', async () => {
    const cases: readonly [readonly string[], RegExp][] = [
      [['signer'], /usage: signgate signer/],
      [['signer', 'sign'], /unknown sub-command "sign"; one of serve, backfill, status/],
      [['signer', 'serve', '--token-file', 'x'], /--config PATH is required/],
      [['signer', 'serve', '--config', SAMPLE], /--token-file FILE is required/],
      [['signer', 'serve', '--config', SAMPLE, '--token-file', 'x', '--insecure-listen', '0.0.0.0:8080'], /0\.0\.0\.0:8080 is not a loopback address; plain HTTP is accepted only on 127\.0\.0\.0\/8/],
      [['signer', 'serve', '--config', SAMPLE, '--token-file', 'x', '--resync-interval', 'soon'], /--resync-interval "soon" is not a duration/],
      [['signer', 'serve', '--config', join(dir, 'missing.yaml'), '--token-file', 'x'], /missing\.yaml: does not exist/],
      [['signer', 'backfill', '--config', SAMPLE], /expected exactly one SigningRule name/],
      [['signer', 'backfill', 'nope', '--config', SAMPLE, '--state-dir', dir], /no SigningRule "nope" in .*signingrule-team-a\.yaml; the rules are: team-a/],
      [['signer', 'status', 'Not A Scope', '--config', SAMPLE], /repository name "Not A Scope" is invalid/],
      [['signer', 'status', 'r.example/team', '--config', SAMPLE, '--output', 'yaml'], /--output must be json, not "yaml"/],
      [['signer', 'serve', '--config', SAMPLE, '--token-file', 'x', '--concurrency', '0'], /--concurrency must be a whole number from 1 to 64, not "0"/],
    ];
    for (const [argv, message] of cases) {
      const run = await cli(...argv);
      assert.equal(run.code, 2, `${argv.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message, argv.join(' '));
    }
  });

  it('names the rule whose key file cannot be read (exit 2)', async () => {
    const run = await cli('signer', 'backfill', 'team-a', '--config', SAMPLE, '--state-dir', dir);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /SigningRule team-a: cannot read key \/etc\/signgate\/signing\/key\.pem: ENOENT/);
  });
});
