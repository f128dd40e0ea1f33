/**
 * The README quickstart, steps 1 to 6, run as written (issue 17, item 6): its `sh` blocks are taken from README.md
 * and run in one bash, with only these substitutions, each asserted to apply: a free port for 127.0.0.1:5000, a temp
 * folder for $QS, and the CLI from source (tsx) instead of the built dist. Real docker-registry, skopeo and openssl.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** The `sh` blocks of the README's quickstart section, dedented to their fence, the one-time setup block left out. */
function quickstartBlocks(readme: string): string[] {
  const start = readme.indexOf('## Quickstart');
  assert.ok(start >= 0, 'README.md has no "## Quickstart" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const blocks: string[] = [];
  for (const m of section.matchAll(/^( *)```sh\n([\s\S]*?)^\1```$/gm)) {
    const indent = (m[1] ?? '').length;
    const body = (m[2] ?? '').split('\n').map((line) => line.slice(Math.min(indent, line.length - line.trimStart().length))).join('\n');
    if (!body.startsWith('# setup')) blocks.push(body);
  }
  return blocks;
}

function substitute(script: string, from: string, to: string): string {
  assert.ok(script.includes(from), `the quickstart no longer contains ${JSON.stringify(from)}; update this test with it`);
  return script.split(from).join(to);
}

describe('README quickstart (steps 1 to 6, as written)', function () {
  this.timeout(120_000);
  let dir: string;

  before(function () {
    for (const component of ['docker-registry', 'openssl', 'skopeo'] as const) requireComponent(this, component);
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'signgate-quickstart-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('reaches VERIFIED with --cert root.pem and with the trust policy and trust store it shows how to write', async () => {
    const blocks = quickstartBlocks(await readFile(join(ROOT, 'README.md'), 'utf8'));
    assert.ok(blocks.length >= 7, `expected the alias block and steps 1 to 6, found ${blocks.length} sh blocks`);
    const port = await freePort();
    let script = blocks.join('\n');
    script = substitute(script, 'alias signgate="node $PWD/dist/provider/src/cli/main.js"', `alias signgate="node --import tsx ${ROOT}/provider/src/cli/main.ts"`);
    script = substitute(script, 'QS=/tmp/signgate-quickstart', `QS=${dir}`);
    script = substitute(script, '127.0.0.1:5000', `127.0.0.1:${port}`);
    const child = spawn('bash', ['-c', `set -euo pipefail\nshopt -s expand_aliases\n${script}`], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    try {
      process.kill(-(child.pid as number), 'SIGTERM'); // the registry step 1 started in the background
    } catch {
      // already gone
    }
    assert.equal(code, 0, `the quickstart failed:\n${stdout}\n${stderr}`);
    const verified = stdout.match(new RegExp(`^VERIFIED: 127\\.0\\.0\\.1:${port}/demo/app@sha256:[0-9a-f]{64}$`, 'gm')) ?? [];
    assert.equal(verified.length, 2, `expected two VERIFIED verdicts (--cert, then the trust policy):\n${stdout}`);
    assert.match(stdout, new RegExp(`^127\\.0\\.0\\.1:${port}/demo/app@sha256:[0-9a-f]{64}$`, 'm'), 'signgate sign printed the signed digest reference');
  });
});
