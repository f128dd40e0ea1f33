/**
 * `signgate serve` fails fast when its configuration FILES cannot load: exit 2 with every problem listed, no listener,
 * and never the running server's "the last good configuration keeps serving" (there is none).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { serveCommand, startProvider } from '../../../provider/src/cli/serve.js';
import { parseServeArgs } from '../../../provider/src/cli/serveArgs.js';
import { UsageError } from '../../../provider/src/cli/io.js';
import { TempDirs } from '../verify/fixtures.js';

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  return {
    stream: new Writable({
      write(chunk: Buffer, _e, cb) {
        text += chunk.toString();
        cb();
      },
    }),
    text: () => text,
  };
}

/** Two problems in two documents: a Store ttl given as a string, and a Verifier naming a KeyManagementProvider that does not exist. */
const BROKEN = [
  'apiVersion: config.signgate.dev/v1alpha1',
  'kind: Store',
  'metadata: {name: oras}',
  'spec: {type: oras, parameters: {ttl: "10"}}',
  '---',
  'apiVersion: config.signgate.dev/v1alpha1',
  'kind: Verifier',
  'metadata: {name: notation}',
  'spec:',
  '  type: notation',
  '  artifactTypes: [application/vnd.cncf.notary.signature]',
  '  parameters:',
  '    verificationCertStores: {ca: {store: [missing-kmp]}}',
  '    trustPolicyDoc: {version: "1.0", trustPolicies: [{name: default, registryScopes: ["*"], signatureVerification: {level: strict}, trustStores: ["ca:store"], trustedIdentities: ["*"]}]}',
  '',
].join('\n');

describe('cli/serve: fails fast when the initial configuration files do not load', function () {
  const dirs = new TempDirs();
  after(() => dirs.cleanup());

  it('exits 2 listing every problem with file and line, and says what to do', async function () {
    const dir = await dirs.make();
    const file = join(dir, 'signgate.yaml');
    await writeFile(file, BROKEN);
    const err = sink();
    const out = sink();
    const code = await serveCommand(['--config', file, '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0'], { stdout: out.stream, stderr: err.stream }, { SIGNGATE_LOG_LEVEL: 'silent' });
    assert.equal(code, 2, err.text());
    const text = err.text();
    assert.match(text, /^signgate serve: the configuration .*signgate\.yaml does not load \(2 problems\), so there is nothing to serve:/);
    assert.match(text, /\n {2}- .*signgate\.yaml:4 \(document 1, Store "oras"\): spec\.parameters\.ttl: .*integer/);
    assert.match(text, /\n {2}- .*signgate\.yaml:\d+ \(document 2, Verifier "notation"\): .*missing-kmp/);
    assert.match(text, /fix them and start again/);
    assert.doesNotMatch(text, /keeps serving|listening on/);
  });

  it('a missing file exits 2 too, naming it', async function () {
    const dir = await dirs.make();
    const err = sink();
    const code = await serveCommand(['--config', join(dir, 'nope.yaml'), '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0'], { stdout: sink().stream, stderr: err.stream }, { SIGNGATE_LOG_LEVEL: 'silent' });
    assert.equal(code, 2);
    assert.match(err.text(), /nope\.yaml does not load \(1 problem\).*\n {2}- .*nope\.yaml/s);
  });

  it('startProvider throws a UsageError and logs no "last good configuration" line (none exists)', async function () {
    const dir = await dirs.make();
    const file = join(dir, 'signgate.yaml');
    await writeFile(file, BROKEN);
    const log = sink();
    const settings = parseServeArgs(['--config', file, '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0'], {}, () => file);
    assert.ok(settings !== 'help');
    await assert.rejects(startProvider(settings, pino({ level: 'debug' }, log.stream)), (e: unknown) => e instanceof UsageError && /2 problems/.test(e.message));
    assert.doesNotMatch(log.text(), /keeps serving/);
    assert.doesNotMatch(log.text(), /"msg":"listening"/);
  });
});
