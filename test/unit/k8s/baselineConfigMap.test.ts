import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { baselineConfigMapName, configMapBaselineStore, MAX_BASELINE_CONFIGMAP_BYTES } from '../../../provider/src/k8s/index.js';
import { SigningError, type Baseline } from '../../../provider/src/signing/index.js';
import type { KubeApiTestServer } from '../../support/kubeApiServer.js';
import { clientFor, startApi } from './helpers.js';

const NS = 'signgate-system';
const digest = (): string => `sha256:${randomBytes(32).toString('hex')}`;

describe('k8s ConfigMap baseline store (SigningRule baselines in --kubernetes mode)', () => {
  let server: KubeApiTestServer;
  beforeEach(async () => {
    server = await startApi();
  });
  afterEach(async () => {
    await server.close();
  });
  const store = (): ReturnType<typeof configMapBaselineStore> => configMapBaselineStore({ client: clientFor(server), namespace: NS, labels: { 'app.kubernetes.io/name': 'signgate' } });
  const isStoreFailure = (pattern: RegExp) => (e: unknown): boolean => e instanceof SigningError && e.code === 'BASELINE_STORE_FAILED' && pattern.test(e.message);

  it('saves a baseline compactly in signgate-baseline-<rule> and loads it back; another scope is no baseline', async () => {
    const baseline: Baseline = { rule: 'team-a', scope: 'registry.example.com/team-a', takenAt: '2026-01-01T00:00:00.000Z', tags: { 'team-a/app:v1': digest(), 'team-a/app:v2': digest(), 'team-a/tools/x__y:latest': digest() } };
    assert.equal(await store().load('team-a', baseline.scope), undefined);
    await store().save(baseline);
    const cm = server.get('v1', 'ConfigMap', 'signgate-baseline-team-a', NS);
    assert.deepEqual(cm?.data, { rule: 'team-a', scope: baseline.scope, takenAt: baseline.takenAt, count: '3' });
    assert.equal((cm?.metadata.labels as Record<string, string>)['app.kubernetes.io/component'], 'signer-baseline');
    assert.deepEqual(await store().load('team-a', baseline.scope), baseline);
    assert.equal(await store().load('team-a', 'registry.example.com/team-b'), undefined);
    // a second save replaces it at its resourceVersion
    await store().save({ ...baseline, tags: { 'team-a/app:v3': digest() } });
    assert.equal((server.get('v1', 'ConfigMap', 'signgate-baseline-team-a', NS)?.data as Record<string, string>).count, '1');
    assert.equal(server.requests.filter((r) => r.method === 'PUT').length, 1);
  });

  it('refuses a baseline larger than a ConfigMap holds, naming the rule, the size and what to do; nothing is written', async () => {
    const tags: Record<string, string> = {};
    for (let i = 0; i < 30_000; i++) tags[`team-a/app:build-${i}`] = digest();
    await assert.rejects(store().save({ rule: 'team-a', scope: 'r.example/team-a', takenAt: 'now', tags }), isStoreFailure(new RegExp(`SigningRule team-a \\(r.example/team-a: 30000 tags\\) needs \\d+ bytes, more than a ConfigMap holds \\(${MAX_BASELINE_CONFIGMAP_BYTES}\\); split the namespace`)));
    assert.equal(server.get('v1', 'ConfigMap', 'signgate-baseline-team-a', NS), undefined);
    // 10,000 tags fit
    const fewer = Object.fromEntries(Object.entries(tags).slice(0, 10_000));
    await store().save({ rule: 'team-a', scope: 'r.example/team-a', takenAt: 'now', tags: fewer });
    assert.equal(Object.keys((await store().load('team-a', 'r.example/team-a'))?.tags ?? {}).length, 10_000);
  });

  it('a damaged ConfigMap is refused with its name and the way out (delete it)', async () => {
    const put = (binaryData: Record<string, string>): void => {
      server.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'signgate-baseline-team-a', namespace: NS }, data: { rule: 'team-a', scope: 's/team-a', takenAt: 't' }, binaryData });
    };
    put({ 'tags.gz': Buffer.from('not gzip').toString('base64') });
    await assert.rejects(store().load('team-a', 's/team-a'), isStoreFailure(/ConfigMap signgate-system\/signgate-baseline-team-a: binaryData.tags.gz is not gzip.*delete it/));
    put({ 'tags.gz': gzipSync('team-a/app\n\tv1 nothex').toString('base64') });
    await assert.rejects(store().load('team-a', 's/team-a'), isStoreFailure(/line 2 of binaryData.tags.gz/));
    put({});
    await assert.rejects(store().load('team-a', 's/team-a'), isStoreFailure(/has no takenAt or binaryData.tags.gz/));
  });

  it('API failures and conflicts are BASELINE_STORE_FAILED naming the ConfigMap', async () => {
    server.failNext({ method: 'GET', pathIncludes: '/configmaps/', status: 403 });
    await assert.rejects(store().load('team-a', 's'), isStoreFailure(/cannot read the baseline of SigningRule team-a \(ConfigMap signgate-system\/signgate-baseline-team-a\).*403.*RBAC needs configmaps get/));
    server.failNext({ method: 'POST', pathIncludes: '/configmaps', status: 409 });
    await assert.rejects(store().save({ rule: 'team-a', scope: 's', takenAt: 't', tags: {} }), isStoreFailure(/another signer wrote it at the same time/));
  });

  it('names a ConfigMap within 253 characters for any rule name', () => {
    assert.equal(baselineConfigMapName('team-a'), 'signgate-baseline-team-a');
    const long = baselineConfigMapName('a'.repeat(253));
    assert.ok(long.length <= 253 && long.startsWith('signgate-baseline-'));
  });
});
