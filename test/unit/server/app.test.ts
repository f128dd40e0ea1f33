import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createApp, ProviderMetrics, type Deadlines } from '../../../provider/src/server/index.js';
import { makeVerdict, type ItemContext, type ItemResult, type ProviderExecutor, type Verdict } from '../../../provider/src/verify/index.js';
import type { Config } from '../../../provider/src/config/types.js';
import { inject } from './inject.js';
import { waitFor } from '../../support/waitFor.js';

const CONFIG: Config = { generation: 7, digest: 'test', cluster: undefined, namespaces: new Map(), signingRules: [] };
const V1BETA1 = 'externaldata.gatekeeper.sh/v1beta1';

function verdict(ok: boolean, traceID: string): Verdict {
  return makeVerdict({ isSuccess: ok, traceID, now: new Date('2025-11-01T00:00:00.000Z'), verifierReports: [] });
}

/**
 * A fake executor: keys containing "slow" wait until the test calls release() (so they outlast any deadline without a
 * timer), "bad" are item errors, "throw" throws, "unsigned" fail.
 */
class FakeExecutor implements ProviderExecutor {
  readonly seen: { key: string; ctx: ItemContext }[] = [];
  finished = 0;
  release: () => void = () => {};
  private readonly slow = new Promise<void>((resolve) => {
    this.release = resolve;
  });
  async verify(key: string, ctx: ItemContext): Promise<ItemResult<Verdict>> {
    this.seen.push({ key, ctx });
    if (key.includes('slow')) await this.slow;
    this.finished++;
    if (key.includes('throw')) throw new Error('boom: secret stack detail');
    if (key.includes('bad')) return { error: `could not verify "${key}": registry unreachable` };
    return { value: verdict(!key.includes('unsigned'), ctx.traceID) };
  }
  async mutate(key: string): Promise<ItemResult<string>> {
    if (key.includes('slow')) await this.slow;
    return { value: `${key}@sha256:${'a'.repeat(64)}` };
  }
  stats() {
    return { verdictCache: { hits: 0, misses: 0, entries: 0, bytes: 0 }, inFlight: 0 };
  }
}

const logger = pino({ level: 'silent' });
const req = (keys: unknown, apiVersion = V1BETA1, kind = 'ProviderRequest') => JSON.stringify({ apiVersion, kind, request: { keys } });

describe('server/app: the external data contract', function () {
  let executor: FakeExecutor;
  let deadlines: Deadlines;
  let metrics: ProviderMetrics;
  let app: ReturnType<typeof createApp>;
  let traces = 0;
  beforeEach(function () {
    executor = new FakeExecutor();
    deadlines = { verifyMs: 4900, mutateMs: 1950 };
    metrics = new ProviderMetrics({ inFlight: () => 3, caches: () => ({ verdict: { hits: 5, misses: 2 } }) });
    app = createApp({ configSource: { current: () => CONFIG, lastError: () => undefined }, executor, logger, metrics, deadlines, traceId: () => `trace-${++traces}` });
  });
  afterEach(function () {
    executor.release(); // no slow key outlives its test
  });

  for (const path of ['/ratify/gatekeeper/v1/verify', '/v1/verify']) {
    it(`POST ${path} answers one item per key in request order with the request's apiVersion`, async function () {
      const res = await inject(app, { path, body: req(['a/b:1', 'x/unsigned:2', '[ns]c/d:3'], 'externaldata.gatekeeper.sh/v1alpha1') });
      assert.equal(res.status, 200);
      const body = res.json<{ apiVersion: string; kind: string; response: { items: { key: string; value: Verdict }[] } }>();
      assert.equal(body.apiVersion, 'externaldata.gatekeeper.sh/v1alpha1');
      assert.equal(body.kind, 'ProviderResponse');
      assert.deepEqual(body.response.items.map((i) => [i.key, i.value.isSuccess]), [['a/b:1', true], ['x/unsigned:2', false], ['[ns]c/d:3', true]]);
      const trace = res.headers['x-trace-id'];
      assert.ok(body.response.items.every((i) => i.value.traceID === trace), 'every verdict carries the request trace id');
      assert.equal(executor.seen[0]?.ctx.config?.generation, 7);
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(res.text, JSON.stringify(body), 'the body is plain JSON.stringify output');
    });
  }

  it('turns could-not-decide into item errors, never values, and hides thrown errors', async function () {
    const res = await inject(app, { path: '/v1/verify', body: req(['ok/a:1', 'bad/b:1', 'throw/c:1']) });
    const items = res.json<{ response: { items: { key: string; error?: string; value?: unknown }[] } }>().response.items;
    assert.equal(items[0]?.error, undefined);
    assert.match(items[1]?.error ?? '', /registry unreachable/);
    assert.equal(items[1]?.value, undefined);
    assert.match(items[2]?.error ?? '', /internal error; see the server log \(trace id trace-\d+\)/);
    assert.doesNotMatch(res.text, /boom|secret|at .*\.ts/);
  });

  it('answers finished keys at the deadline and times out the rest, letting late work finish', async function () {
    deadlines.verifyMs = 100; // changed at run time, no restart
    const res = await inject(app, { path: '/v1/verify', body: req(['fast/a:1', 'slow/b:1']) });
    const items = res.json<{ response: { items: { key: string; error?: string; value?: Verdict }[] } }>().response.items;
    assert.equal(items[0]?.value?.isSuccess, true);
    assert.equal(items[1]?.error, 'timed out after 100ms');
    assert.equal(executor.finished, 1);
    executor.release();
    await waitFor(() => executor.finished === 2, 'the late key to finish in the background after the response');
  });

  it('mutate answers tag@digest values with idempotent true, under its own deadline', async function () {
    const res = await inject(app, { path: '/ratify/gatekeeper/v1/mutate', body: req(['r/a:1']) });
    const body = res.json<{ response: { idempotent: boolean; items: { key: string; value: string }[] } }>();
    assert.equal(body.response.idempotent, true);
    assert.equal(body.response.items[0]?.value, `r/a:1@sha256:${'a'.repeat(64)}`);
    deadlines.mutateMs = 50;
    const late = await inject(app, { path: '/v1/mutate', body: req(['slow/a:1']) });
    assert.equal(late.json<{ response: { items: { error: string }[] } }>().response.items[0]?.error, 'timed out after 50ms');
  });

  it('answers an empty key list with no items', async function () {
    const res = await inject(app, { path: '/v1/verify', body: req([]) });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json<{ response: { items: unknown[] } }>().response.items, []);
  });

  const bad: [string, string | Buffer, number, RegExp][] = [
    ['malformed JSON', '{"apiVersion":', 400, /request body is not valid JSON/],
    ['a JSON array', '[1,2]', 400, /must be a JSON object .* got an array/],
    ['a wrong kind', req(['a'], V1BETA1, 'ProviderResponse'), 400, /kind must be "ProviderRequest", got "ProviderResponse"/],
    ['a wrong apiVersion', req(['a'], 'v1'), 400, /apiVersion must be externaldata.gatekeeper.sh\/v1beta1 or .*v1alpha1, got "v1"/],
    ['no request', JSON.stringify({ apiVersion: V1BETA1, kind: 'ProviderRequest' }), 400, /request.keys is missing/],
    ['missing request.keys', JSON.stringify({ apiVersion: V1BETA1, kind: 'ProviderRequest', request: {} }), 400, /request.keys must be an array .* got nothing \(missing\)/],
    ['a non-string key', req(['a', 5]), 400, /request.keys\[1\] must be a string/],
    ['too many keys', req(Array.from({ length: 1001 }, (_, i) => `r/i:${i}`)), 400, /1001 keys, more than the limit of 1000/],
    ['a key too long', req([`r/${'a'.repeat(2000)}`]), 400, /request.keys\[0\] is 2002 characters long/],
    ['a body over 1 MiB', Buffer.alloc(1024 * 1024 + 1, 0x20), 413, /larger than 1048576 bytes/],
  ];
  for (const [what, body, status, message] of bad) {
    it(`refuses ${what} with ${status} and a systemError naming the problem`, async function () {
      const res = await inject(app, { path: '/ratify/gatekeeper/v1/verify', body });
      assert.equal(res.status, status);
      const parsed = res.json<{ kind: string; response: { systemError: string; items: unknown[] } }>();
      assert.equal(parsed.kind, 'ProviderResponse');
      assert.match(parsed.response.systemError, message);
      assert.deepEqual(parsed.response.items, []);
      assert.equal(executor.seen.length, 0);
    });
  }

  it('refuses a GET on a verify route with 405 and unknown paths with 404', async function () {
    assert.equal((await inject(app, { method: 'GET', path: '/v1/verify' })).status, 405);
    assert.equal((await inject(app, { path: '/v2/verify', body: req([]) })).status, 404);
  });

  it('/healthz is alive; /readyz needs a configuration and the listener', async function () {
    assert.equal((await inject(app, { method: 'GET', path: '/healthz' })).status, 200);
    assert.equal((await inject(app, { method: 'GET', path: '/readyz' })).status, 200);
    const unready = createApp({
      configSource: { current: () => undefined, lastError: () => 'config.yaml: spec.type: must be notation' },
      executor,
      logger,
      notReady: () => 'TLS listener not started',
    });
    const res = await inject(unready, { method: 'GET', path: '/readyz' });
    assert.equal(res.status, 503);
    assert.match(res.text, /no configuration loaded: config.yaml: spec.type: must be notation; TLS listener not started/);
  });

  it('counts requests, items and rejections in Prometheus metrics with units and the signgate_ prefix', async function () {
    await inject(app, { path: '/v1/verify', body: req(['a/b:1', 'x/unsigned:1', 'bad/c:1']) });
    await inject(app, { path: '/v1/verify', body: '{' });
    const text = await metrics.text();
    assert.match(text, /signgate_request_duration_seconds_count\{route="verify"\} 1/);
    assert.match(text, /signgate_verifications_total\{outcome="pass"\} 1/);
    assert.match(text, /signgate_verifications_total\{outcome="fail"\} 1/);
    assert.match(text, /signgate_verifications_total\{outcome="error"\} 1/);
    assert.match(text, /signgate_rejected_requests_total\{route="verify",code="BODY_INVALID"\} 1/);
    assert.match(text, /signgate_cache_hits_total\{cache="verdict"\} 5/);
    assert.match(text, /signgate_inflight_keys 3/);
    metrics.registryEvent({ type: 'request', method: 'GET', url: 'https://reg.example:5000/v2/x/manifests/y', status: 404, attempt: 0 });
    assert.match(await metrics.text(), /signgate_registry_requests_total\{host="reg.example:5000",status="404"\} 1/);
  });
});
