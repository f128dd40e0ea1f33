/**
 * `signgate --help` and every `signgate X --help` (issue 17, items 3 and 5): each answers on stdout with exit 0,
 * wraps within 100 columns, and loads only what it needs (checked on the real process's module list).
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { VERIFY_HELP } from '../../../provider/src/cli/help.js';
import { main } from '../../../provider/src/cli/main.js';
import { DEFAULT_POLICY } from '../../../provider/src/config/index.js';
import { ARTIFACT_TYPE_SIGNATURE } from '../../../provider/src/notation/index.js';
import { policyFor } from '../../../provider/src/verify/index.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../../..');

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks: [Buffer[], Buffer[]] = [[], []];
  out.on('data', (c: Buffer) => chunks[0].push(c));
  err.on('data', (c: Buffer) => chunks[1].push(c));
  const code = await main(argv, { stdout: out, stderr: err });
  return { code, stdout: Buffer.concat(chunks[0]).toString(), stderr: Buffer.concat(chunks[1]).toString() };
}

const HELP_CALLS: readonly (readonly string[])[] = [
  ['--help'],
  ['-h'],
  ['help'],
  ['verify', '--help'],
  ['verify', '-h'],
  ['help', 'verify'],
  ['resolve', '--help'],
  ['sign', '--help'],
  ['serve', '--help'],
  ['signer', '--help'],
  ['policy', '--help'],
  ['policy', 'test', '--help'],
  ['help', 'policy', 'test'],
];

describe('signgate help', function () {
  this.timeout(60_000);

  for (const argv of HELP_CALLS) {
    it(`signgate ${argv.join(' ')}: exit 0, usage on stdout, no line over 100 columns`, async () => {
      const r = await cli(...argv);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.match(r.stdout, /^usage: signgate /);
      const wide = r.stdout.split('\n').filter((line) => line.length > 100);
      assert.deepEqual(wide, [], `lines wider than 100 columns:\n${wide.join('\n')}`);
    });
  }

  it('each command describes itself, not the overview', async () => {
    assert.match((await cli('verify', '--help')).stdout, /--cert FILE/);
    assert.match((await cli('policy', '--help')).stdout, /test PATH\.\.\./);
    assert.match((await cli('policy', 'test', '--help')).stdout, /--engine builtin\|wasm/);
    assert.match((await cli('serve', '--help')).stdout, /signgate serve/);
  });

  it('a missing or unknown command is a usage error (2) that shows the overview on stderr', async () => {
    for (const [argv, message] of [
      [[], /^usage: signgate <command>/],
      [['bogus'], /^signgate: unknown command "bogus"\n\nusage: signgate <command>/],
      [['policy'], /^signgate policy: a sub-command is required\n\nusage: signgate policy test/],
      [['policy', 'tset'], /^signgate policy: unknown sub-command "tset"/],
    ] as const) {
      const r = await cli(...argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.equal(r.stdout, '');
      assert.match(r.stderr, message);
    }
  });

  it("states verify's real default --verification-policy", () => {
    assert.ok(VERIFY_HELP.replace(/\s+/g, ' ').includes(`Default ${policyFor(DEFAULT_POLICY, ARTIFACT_TYPE_SIGNATURE)}, the provider's default`));
  });
});

describe('signgate loads only what a command needs', function () {
  this.timeout(60_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'signgate-modules-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  /** The provider/src modules and packages a real `signgate ...` process imported. */
  async function modulesOf(...argv: string[]): Promise<string[]> {
    const log = join(dir, `${argv.join('_').replace(/[^a-z0-9_]/gi, '')}.log`);
    await run(process.execPath, ['--import', 'tsx', '--import', './test/support/moduleLog.mjs', 'provider/src/cli/main.ts', ...argv], {
      cwd: ROOT,
      env: { ...process.env, SIGNGATE_TEST_MODULE_LOG: log },
    }).catch((err: { code?: number }) => {
      if (typeof err.code !== 'number') throw err;
    });
    return (await readFile(log, 'utf8')).split('\n').filter((line) => line !== '');
  }

  const layer = (name: string) => new RegExp(`/provider/src/${name}/`);
  const HEAVY = [layer('oci'), layer('notation'), layer('verify'), layer('config'), layer('server'), layer('k8s'), layer('rego'), /node_modules/];

  for (const argv of [['--help'], ['verify', '--help'], ['resolve', '--help'], ['serve', '--help'], ['signer', '--help'], ['policy', 'test', '--help']]) {
    it(`signgate ${argv.join(' ')} imports no layer below cli/ and no package`, async () => {
      const modules = await modulesOf(...argv);
      assert.ok(modules.some((m) => m.endsWith('/provider/src/cli/main.ts')), 'the module log is empty: the check would prove nothing');
      const loaded = modules.filter((m) => HEAVY.some((h) => h.test(m)));
      assert.deepEqual(loaded, []);
    });
  }

  it('an idle serve on files loads neither the Kubernetes client nor the Rego engine', async () => {
    const log = join(dir, 'serve.log');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--import', './test/support/moduleLog.mjs', 'provider/src/cli/main.ts', 'serve', '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0'],
      { cwd: ROOT, env: { ...process.env, SIGNGATE_TEST_MODULE_LOG: log }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    const exited = once(child, 'exit');
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('listening on')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`serve exited with ${String(code)} before listening: ${stderr}`)));
    });
    child.kill('SIGTERM');
    await exited;
    const modules = (await readFile(log, 'utf8')).split('\n');
    assert.ok(modules.some((m) => layer('server').test(m)), 'serve did not load server/: the module log misses imports');
    assert.deepEqual(modules.filter((m) => /@kubernetes\/client-node|opa-wasm|\/provider\/src\/(k8s|rego|policytest)\//.test(m)), []);
  });

  it('a command that runs loads its layers, but neither the Kubernetes client nor the Rego engine', async () => {
    const modules = await modulesOf('resolve', '127.0.0.1:1/app:v1', '--timeout', '1s');
    assert.ok(modules.some((m) => layer('oci').test(m)), 'resolve did not load oci/: the module log misses imports');
    assert.deepEqual(modules.filter((m) => /@kubernetes\/client-node|opa-wasm|\/provider\/src\/(k8s|rego)\//.test(m)), []);
  });
});
