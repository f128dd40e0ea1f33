/**
 * signgate_registry_requests_total{host}: image references come from the cluster's pods, so the hosts they name are
 * not bounded; the metric labels the first MAX_REGISTRY_HOST_LABELS and counts the rest as host="other", so that a
 * stream of made-up registry names cannot grow the metrics registry (and the /metrics answer) without end.
 */
import assert from 'node:assert/strict';
import { MAX_REGISTRY_HOST_LABELS, ProviderMetrics } from '../../../provider/src/server/metrics.js';

describe('server metrics: registry host labels are bounded', () => {
  it('labels the first hosts, counts later ones as "other", and keeps counting known hosts under their own name', async () => {
    const metrics = new ProviderMetrics();
    const request = (host: string, status?: number): void =>
      metrics.registryEvent({ type: 'request', method: 'GET', url: `https://${host}/v2/`, attempt: 0, ...(status !== undefined ? { status } : {}) });
    for (let i = 0; i < MAX_REGISTRY_HOST_LABELS + 50; i++) request(`r${i}.example`);
    request('r0.example', 200);
    const text = await metrics.text();
    const hosts = new Set([...text.matchAll(/^signgate_registry_requests_total\{host="([^"]+)"/gm)].map((m) => m[1]));
    assert.equal(hosts.size, MAX_REGISTRY_HOST_LABELS + 1, 'the first hosts and "other"');
    assert.match(text, /^signgate_registry_requests_total\{host="other",status="error"\} 50$/m);
    assert.match(text, /^signgate_registry_requests_total\{host="r0\.example",status="200"\} 1$/m);
    assert.ok(!hosts.has(`r${MAX_REGISTRY_HOST_LABELS}.example`));
  });
});
