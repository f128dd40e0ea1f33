/**
 * What an operator sees of `signgate serve` against the real docker-registry: the decision log (one line per key, by
 * trace id), registry lines carrying the trace id of the request that caused them, and /metrics after a registry
 * outage (requests that got no status counted as status="error"), plus the standard process_* and nodejs_* metrics.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { startProvider, type RunningProvider } from '../../provider/src/cli/serve.js';
import { parseServeArgs } from '../../provider/src/cli/serveArgs.js';
import { Registry, type FetchLike } from '../../provider/src/oci/index.js';
import { traceMixin } from '../../provider/src/server/index.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { LogSink, type LogLine } from '../support/logSink.js';
import { requireComponent } from '../support/requirements.js';
import { AT, TempDirs, pushImage, signImage, testPki } from '../unit/verify/fixtures.js';

interface Answer {
  readonly traceID: string;
  readonly items: { key: string; value?: { isSuccess: boolean }; error?: string }[];
}

function ask(provider: RunningProvider, keys: string[]): Promise<Answer> {
  const body = JSON.stringify({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys } });
  const u = new URL('/ratify/gatekeeper/v1/verify', provider.server.url);
  return new Promise((resolve, reject) => {
    const req = https.request(
      { hostname: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent: false, ca: provider.server.devCertificate?.caPem, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ traceID: String(res.headers['x-trace-id']), items: (JSON.parse(text) as { response: { items: Answer['items'] } }).response.items }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const decisionOf = (lines: LogLine[], key: string): LogLine | undefined => lines.find((l) => l.key === key && typeof l.outcome === 'string');

describe('serve operations: decision log, trace ids and metrics (real docker-registry)', function () {
  let registry: RunningRegistry | undefined;
  let provider: RunningProvider | undefined;
  let silent: net.Server | undefined;
  const log = new LogSink();
  const dirs = new TempDirs();
  let signedDigest = '';
  const sockets = new Set<net.Socket>();

  before(async function () {
    requireComponent(this, 'docker-registry');
    registry = await startRegistry();
    const pki = await testPki();
    const repo = new Registry({ fetch: fetch as FetchLike, clock: () => AT }).repository(`${registry.host}/ops/app`);
    const signed = await pushImage(repo, 'signed');
    signedDigest = signed.digest;
    await signImage(repo, signed, pki);
    await pushImage(repo, 'unsigned');
    // a "registry" that accepts connections and never answers: the deadline decides
    silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((r) => silent?.listen(0, '127.0.0.1', r));
    const dir = await dirs.make();
    const config = join(dir, 'signgate.yaml');
    await writeFile(
      config,
      [
        'apiVersion: config.signgate.dev/v1alpha1',
        'kind: KeyManagementProvider',
        'metadata: {name: certs}',
        `spec: {type: inline, parameters: {contentType: certificate, value: ${JSON.stringify(pki.root.pem)}}}`,
        '---',
        'apiVersion: config.signgate.dev/v1alpha1',
        'kind: Verifier',
        'metadata: {name: notation-ops}',
        'spec:',
        '  type: notation',
        '  artifactTypes: [application/vnd.cncf.notary.signature]',
        '  parameters:',
        '    verificationCertStores: {ca: {store: [certs]}}',
        '    trustPolicyDoc: {version: "1.0", trustPolicies: [{name: default, registryScopes: ["*"], signatureVerification: {level: strict}, trustStores: ["ca:store"], trustedIdentities: ["*"]}]}',
        '',
      ].join('\n'),
    );
    const settings = parseServeArgs(['--config', config, '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0', '--verify-timeout', '1500ms'], {}, () => config);
    assert.ok(settings !== 'help');
    provider = await startProvider(settings, pino({ level: 'debug', mixin: traceMixin }, log), { clock: () => AT });
  });

  after(async function () {
    await provider?.close();
    await registry?.stop();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((r) => (silent ? silent.close(() => r()) : r()));
    await dirs.cleanup();
  });

  it('logs one info line per decided key: traceID, key, canonical subject@digest, outcome, reason, verifier, cache, ms', async function () {
    assert.ok(provider && registry);
    const signedKey = `${registry.host}/ops/app:signed`;
    const unsignedKey = `${registry.host}/ops/app:unsigned`;
    const first = await ask(provider, [signedKey, unsignedKey]);
    assert.deepEqual(first.items.map((i) => i.value?.isSuccess), [true, false]);
    const lines = log.of(first.traceID);
    const pass = decisionOf(lines, signedKey);
    assert.ok(pass, `no decision line for ${signedKey} in ${JSON.stringify(lines)}`);
    assert.equal(pass.level, 30, 'info');
    assert.equal(pass.route, 'verify');
    assert.equal(pass.subject, `${registry.host}/ops/app@${signedDigest}`);
    assert.equal(pass.outcome, 'pass');
    assert.equal(pass.verifier, 'notation-ops');
    assert.equal(pass.cache, 'miss');
    assert.equal(typeof pass.ms, 'number');
    assert.equal(pass.reason, undefined);
    const fail = decisionOf(lines, unsignedKey);
    assert.ok(fail);
    assert.equal(fail.level, 30);
    assert.equal(fail.outcome, 'fail');
    assert.equal(fail.reason, 'SIGNATURE_NOT_FOUND');
    assert.match(fail.msg, /no signature/i);
    assert.match(String(fail.subject), new RegExp(`^${registry.host}/ops/app@sha256:[0-9a-f]{64}$`));
    // the registry requests this request caused carry its trace id
    const registryLines = lines.filter((l) => l.msg === 'registry request');
    assert.ok(registryLines.length > 0, 'registry lines with the trace id');
    assert.ok(registryLines.every((l) => (l.registry as { url: string }).url.startsWith(`http://${registry?.host}/v2/ops/app/`)));
    const summary = lines.find((l) => l.msg === 'verify answered');
    assert.deepEqual([summary?.keys, summary?.pass, summary?.fail, summary?.error, summary?.timeout], [2, 1, 1, 0, 0]);

    const second = await ask(provider, [signedKey]);
    const again = decisionOf(log.of(second.traceID), signedKey);
    assert.equal(again?.cache, 'hit', 'the second answer comes from the verdict cache');
    assert.equal(again?.subject, pass.subject);
  });

  it('a key past the deadline is a warn line with outcome timeout and DEADLINE_EXCEEDED', async function () {
    assert.ok(provider && silent);
    const key = `127.0.0.1:${(silent.address() as net.AddressInfo).port}/slow/app:v1`;
    const answer = await ask(provider, [key]);
    assert.equal(answer.items[0]?.error, 'timed out after 1500ms');
    const line = decisionOf(log.of(answer.traceID), key);
    assert.equal(line?.level, 40, 'warn');
    assert.deepEqual([line?.outcome, line?.reason, line?.msg, line?.ms], ['timeout', 'DEADLINE_EXCEEDED', 'timed out after 1500ms', 1500]);
  });

  it('after the registry goes down: item errors at warn without a stack (stack at debug, same trace id), and status="error" in /metrics', async function () {
    assert.ok(provider && registry);
    const host = registry.host;
    await registry.stop();
    registry = undefined;
    const key = `${host}/ops/app:other`;
    const answer = await ask(provider, [key]);
    assert.match(answer.items[0]?.error ?? '', /could not verify .*ECONNREFUSED/);
    const lines = log.of(answer.traceID);
    const line = decisionOf(lines, key);
    assert.ok(line, JSON.stringify(lines));
    assert.equal(line.level, 40, 'warn');
    assert.deepEqual([line.outcome, line.reason, line.subject], ['error', 'REGISTRY_UNREACHABLE', `${host}/ops/app:other`]);
    assert.match(line.msg, /ECONNREFUSED; check that the registry is running/);
    assert.equal(JSON.stringify(line).includes('"stack"'), false, 'no stack on the warn line');
    const detail = lines.find((l) => l.msg === 'could not decide: error detail');
    assert.equal(detail?.level, 20, 'debug');
    assert.match(String((detail?.err as { stack?: string } | undefined)?.stack), /OciError/);
    const failed = lines.filter((l) => l.msg === 'registry request' && (l.registry as { status?: number }).status === undefined);
    assert.ok(failed.length > 0, 'the refused registry request is logged with the trace id');
    assert.equal((failed[0]?.registry as { error?: string }).error, 'ECONNREFUSED');

    const metrics = await (await fetch(`${provider.server.metricsUrl}/metrics`)).text();
    const refused = new RegExp(`signgate_registry_requests_total\\{host="${host.replace(/\./g, '\\.')}",status="error"\\} (\\d+)`).exec(metrics);
    assert.ok(refused && Number(refused[1]) >= 1, `status="error" counted for ${host}:\n${metrics.split('\n').filter((l) => l.includes('registry_requests')).join('\n')}`);
    assert.match(metrics, /signgate_items_total\{route="verify",outcome="pass"\} [1-9]/);
    assert.match(metrics, /signgate_items_total\{route="verify",outcome="fail"\} [1-9]/);
    assert.match(metrics, /signgate_items_total\{route="verify",outcome="error"\} [1-9]/);
    assert.match(metrics, /signgate_items_total\{route="verify",outcome="timeout"\} [1-9]/);
    assert.doesNotMatch(metrics, /result="value"/);
    assert.match(metrics, /^process_cpu_user_seconds_total \d/m);
    assert.match(metrics, /^process_resident_memory_bytes \d/m);
    assert.match(metrics, /^nodejs_eventloop_lag_seconds \d/m);
    assert.match(metrics, /^nodejs_heap_size_used_bytes \d/m);
  });
});
