import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry, type FetchLike } from '../../../provider/src/oci/index.js';
import { serveCommand, startProvider } from '../../../provider/src/cli/serve.js';
import { parseServeArgs, SERVE_FLAGS } from '../../../provider/src/cli/serveArgs.js';
import { UsageError } from '../../../provider/src/cli/io.js';
import { writeAtomically } from '../../support/files.js';
import { OciTestServer } from '../../support/ociServer.js';
import { startRegistry } from '../../support/registry.js';
import { requireComponent } from '../../support/requirements.js';
import { waitFor } from '../../support/waitFor.js';
import { AT, TempDirs, pushImage, signImage, testPki } from '../verify/fixtures.js';
import { httpsCall } from './tlsClient.js';
import { trustConfigYaml } from '../../support/configYaml.js';

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

const defaults = (): string => '/embedded/default.yaml';

describe('cli/serve: flags, environment and the wired provider', function () {
  it('--help lists every flag with its SIGNGATE_* variable', async function () {
    const out = sink();
    assert.equal(await serveCommand(['--help'], { stdout: out.stream, stderr: sink().stream }, {}), 0);
    for (const f of SERVE_FLAGS) {
      assert.match(out.text(), new RegExp(`--${f.name} `));
      assert.match(out.text(), new RegExp(f.env));
    }
  });

  it('reads defaults, then environment, then flags (the flag wins)', function () {
    const d = parseServeArgs([], {}, defaults);
    assert.ok(d !== 'help');
    assert.deepEqual([d.address, d.metricsAddress, d.verifyTimeoutMs, d.mutateTimeoutMs, d.configPaths], ['127.0.0.1:6001', '127.0.0.1:8888', 4900, 1950, ['/embedded/default.yaml']]);
    const env = { SIGNGATE_ADDRESS: '0.0.0.0:7000', SIGNGATE_VERIFY_TIMEOUT: '3s', SIGNGATE_CONFIG: 'a.yaml, b.yaml', SIGNGATE_DROP_TAG: 'true' };
    const e = parseServeArgs([], env, defaults);
    assert.ok(e !== 'help');
    assert.deepEqual([e.address, e.verifyTimeoutMs, e.configPaths, e.dropTag], ['0.0.0.0:7000', 3000, ['a.yaml', 'b.yaml'], true]);
    const f = parseServeArgs(['--address', '127.0.0.1:9', '--verify-timeout', '250ms', '--config', 'c.yaml', '--verdict-cache-ttl', '5s'], env, defaults);
    assert.ok(f !== 'help');
    assert.deepEqual([f.address, f.verifyTimeoutMs, f.configPaths, f.verdictCacheTtlMs], ['127.0.0.1:9', 250, ['c.yaml'], 5000]);
  });

  it('refuses bad values with a usage error naming the flag', function () {
    assert.throws(() => parseServeArgs(['--verify-timeout', 'soon'], {}, defaults), (e: unknown) => e instanceof UsageError && /--verify-timeout must be a duration/.test(e.message));
    assert.throws(() => parseServeArgs(['--tls-cert', 'x.crt'], {}, defaults), (e: unknown) => e instanceof UsageError && /--tls-cert and --tls-key go together/.test(e.message));
    assert.throws(() => parseServeArgs(['--bogus'], {}, defaults), UsageError);
    assert.throws(() => parseServeArgs([], { SIGNGATE_VERDICT_CACHE_SIZE: '-1' }, defaults), /--verdict-cache-size must be a whole number/);
  });

  it('serves verdicts from a config file, and a rewritten file (another certificate) flips the verdict', async function () {
    requireComponent(this, 'docker-registry');
    const dirs = new TempDirs();
    const registry = await startRegistry();
    const pki = await testPki();
    const other = await testPki('CN=other');
    try {
      const client = new Registry({ fetch: fetch as FetchLike, clock: () => AT });
      const repo = client.repository(`${registry.host}/serve/app`);
      const image = await pushImage(repo, 'v1');
      await signImage(repo, image, pki);
      const dir = await dirs.make();
      const file = join(dir, 'signgate.yaml');
      await writeFile(file, trustConfigYaml(pki.root.pem));
      const settings = parseServeArgs(['--config', file, '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0'], {}, defaults);
      assert.ok(settings !== 'help');
      const provider = await startProvider(settings, pino({ level: 'silent' }), { clock: () => AT });
      try {
        const ask = async (): Promise<{ isSuccess: boolean; verifierReports: { errorReason: string }[] }> => {
          const body = JSON.stringify({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys: [`${registry.host}/serve/app:v1`] } });
          const res = await httpsCall(provider.server.url, { method: 'POST', path: '/v1/verify', body, ca: provider.server.devCertificate?.caPem ?? '' });
          const item = (JSON.parse(res.body) as { response: { items: { value?: { isSuccess: boolean; verifierReports: { errorReason: string }[] }; error?: string }[] } }).response.items[0];
          assert.ok(item?.value, JSON.stringify(item));
          return item.value;
        };
        const first = await ask();
        assert.equal(first.isSuccess, true, JSON.stringify(first));
        const generation = provider.configSource.current()?.generation ?? 0;
        await writeAtomically(file, trustConfigYaml(other.root.pem));
        await waitFor(
          () => (provider.configSource.current()?.generation ?? 0) > generation,
          `the configuration reload (last error: ${provider.configSource.lastError() ?? 'none'})`,
        );
        const second = await ask();
        assert.equal(second.isSuccess, false);
        assert.equal(second.verifierReports[0]?.errorReason, 'UNTRUSTED_SIGNER');
        const metrics = await (await fetch(`${provider.server.metricsUrl}/metrics`)).text();
        assert.match(metrics, /signgate_registry_requests_total\{host="127.0.0.1:\d+",status="200"\}/);
        // registry and verdict cache counts reach /metrics (the registry ones through the pool)
        assert.match(metrics, /signgate_cache_misses_total\{cache="tags"\} [1-9]/);
        assert.match(metrics, /signgate_cache_misses_total\{cache="verdict"\} [1-9]/);
      } finally {
        await provider.close();
      }
    } finally {
      await registry.stop();
      await dirs.cleanup();
    }
  });

  it('--verdict-cache-ttl / SIGNGATE_VERDICT_CACHE_TTL set how long a decided verdict is reused (default 60s)', async function () {
    const d = parseServeArgs([], {}, defaults);
    const e = parseServeArgs([], { SIGNGATE_VERDICT_CACHE_TTL: '15s' }, defaults);
    const f = parseServeArgs(['--verdict-cache-ttl', '500ms'], { SIGNGATE_VERDICT_CACHE_TTL: '15s' }, defaults);
    assert.ok(d !== 'help' && e !== 'help' && f !== 'help');
    assert.deepEqual([d.verdictCacheTtlMs, e.verdictCacheTtlMs, f.verdictCacheTtlMs], [60_000, 15_000, 500]);
    assert.throws(() => parseServeArgs([], { SIGNGATE_VERDICT_CACHE_TTL: '1m' }, defaults), (x: unknown) => x instanceof UsageError && /--verdict-cache-ttl must be a duration/.test(x.message));
    const out = sink();
    await serveCommand(['--help'], { stdout: out.stream, stderr: sink().stream }, {});
    // the help is wrapped to 100 columns: compare with the line breaks and continuation indents folded
    assert.match(out.text().replace(/\s+/g, ' '), /--verdict-cache-ttl DURATION how long a decided verdict .* a newly signed image is seen after at most the Store ttl \+ this \(default: 60s\)/);
  });

  it('--settings FILE (env SIGNGATE_SETTINGS) names the runtime settings file; --help explains it', async function () {
    const f = parseServeArgs(['--settings', '/etc/signgate/settings.yaml'], { SIGNGATE_SETTINGS: '/env.yaml' }, defaults);
    assert.ok(f !== 'help');
    assert.equal(f.settingsFile, '/etc/signgate/settings.yaml');
    const e = parseServeArgs([], { SIGNGATE_SETTINGS: '/env.yaml' }, defaults);
    assert.ok(e !== 'help');
    assert.equal(e.settingsFile, '/env.yaml');
    const d = parseServeArgs([], {}, defaults);
    assert.ok(d !== 'help');
    assert.equal(d.settingsFile, undefined);
    const out = sink();
    await serveCommand(['--help'], { stdout: out.stream, stderr: sink().stream }, {});
    assert.match(out.text(), /settings file \(--settings\): a YAML or JSON mapping/);
    assert.match(out.text(), /verifyTimeout: 4900ms +# overrides --verify-timeout/);
  });

  it('a rewritten --settings file changes the verify deadline of the next request, without a restart', async function () {
    const dirs = new TempDirs();
    const registry = await new OciTestServer().start(); // the protocol-level server: its fault injection makes the registry slow
    const pki = await testPki();
    try {
      const dir = await dirs.make();
      await writeFile(join(dir, 'signgate.yaml'), trustConfigYaml(pki.root.pem));
      const settingsFile = join(dir, 'settings.yaml');
      await writeFile(settingsFile, 'verifyTimeout: 300ms\n');
      const settings = parseServeArgs(['--config', join(dir, 'signgate.yaml'), '--settings', settingsFile, '--verify-timeout', '4900ms', '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0'], {}, defaults);
      assert.ok(settings !== 'help');
      const provider = await startProvider(settings, pino({ level: 'silent' }), { clock: () => AT });
      registry.fault = () => ({ kind: 'slow', delayMs: 1500 });
      try {
        const ask = async (): Promise<string | undefined> => {
          const body = JSON.stringify({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys: [`${registry.host}/slow/app:v1`] } });
          const res = await httpsCall(provider.server.url, { method: 'POST', path: '/v1/verify', body, ca: provider.server.devCertificate?.caPem ?? '' });
          return (JSON.parse(res.body) as { response: { items: { error?: string }[] } }).response.items[0]?.error;
        };
        const deadlines = (): { verifyMs: number; mutateMs: number } => ({ ...provider.deadlines });
        assert.deepEqual(deadlines(), { verifyMs: 300, mutateMs: 1950 }, 'the file overrides the flag at start');
        assert.equal(await ask(), 'timed out after 300ms');
        await writeAtomically(settingsFile, 'verifyTimeout: 150ms\nmutateTimeout: 100ms\n');
        await waitFor(() => deadlines().verifyMs === 150, 'the rewritten settings file to apply');
        assert.deepEqual(deadlines(), { verifyMs: 150, mutateMs: 100 });
        assert.equal(await ask(), 'timed out after 150ms');
        await writeAtomically(settingsFile, 'verifyTimeout: fast\n');
        assert.equal(await provider.settingsFile?.reload(), false);
        assert.match(provider.settingsFile?.lastError() ?? '', /settings\.yaml: verifyTimeout: must be a duration/);
        assert.equal(await ask(), 'timed out after 150ms', 'an invalid file keeps the last good deadline');
      } finally {
        registry.fault = undefined;
        await provider.close();
      }
    } finally {
      await registry.stop();
      await dirs.cleanup();
    }
  });

  it('refuses to start on an invalid --settings file, naming the file and the field', async function () {
    const dirs = new TempDirs();
    try {
      const dir = await dirs.make();
      const settingsFile = join(dir, 'settings.yaml');
      await writeFile(settingsFile, 'verifyTimeout: 5\n');
      const err = sink();
      const code = await serveCommand(['--settings', settingsFile, '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0'], { stdout: sink().stream, stderr: err.stream }, { SIGNGATE_LOG_LEVEL: 'silent' });
      assert.equal(code, 2, 'an invalid settings file is a configuration problem: exit 2');
      assert.match(err.text(), /signgate serve: settings file .*settings\.yaml: verifyTimeout: must be a duration with a unit, like 4900ms or 2s, got the number 5/);
    } finally {
      await dirs.cleanup();
    }
  });
});
