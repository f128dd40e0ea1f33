/**
 * The audit's Kubernetes side against the protocol-level API test server: the PolicyReport writer (create, replace at
 * the read resourceVersion, nothing when unchanged, delete when a namespace has no Pod left, conflicts, a missing
 * CRD), every report checked against the PolicyReport CRD the chart ships; Pod Events; the Pod view.
 */
import assert from 'node:assert/strict';
import { createPodEventRecorder, createPolicyReportWriter, KubeError, runningPodOf, watchRunningPods, type PodImageResult } from '../../../provider/src/k8s/index.js';
import type { KubeApiTestServer } from '../../support/kubeApiServer.js';
import { policyReportViolations } from '../../support/policyReportSchema.js';
import { waitFor } from '../../support/waitFor.js';
import { clientFor, startApi } from './helpers.js';

const PR = 'wgpolicyk8s.io/v1alpha2';
const D1 = `sha256:${'1'.repeat(64)}`;
const AT = new Date('2026-03-04T05:06:07.890Z');

function result(namespace: string, pod: string, outcome: PodImageResult['result'], extra: Partial<PodImageResult> = {}): PodImageResult {
  return {
    pod: { namespace, name: pod, uid: `uid-${pod}` },
    container: 'app',
    containerKind: 'container',
    image: 'registry.example/team/app:1.0',
    digest: D1,
    result: outcome,
    ...(outcome === 'pass' ? {} : { reason: outcome === 'fail' ? 'SIGNATURE_NOT_TRUSTED' : 'REGISTRY_UNREACHABLE' }),
    message: `${outcome} message`,
    traceID: `trace-${pod}`,
    at: AT,
    ...extra,
  };
}

describe('k8s PolicyReport writer, Pod Events and Pod view (API test server)', () => {
  let api: KubeApiTestServer;
  const errors: KubeError[] = [];
  beforeEach(async () => {
    api = await startApi();
    errors.length = 0;
  });
  afterEach(async () => {
    await api.close();
  });
  const writer = (): ReturnType<typeof createPolicyReportWriter> => createPolicyReportWriter({ client: clientFor(api), onError: (e) => errors.push(e) });
  const report = (namespace: string): Record<string, unknown> | undefined => api.get(PR, 'PolicyReport', 'signgate-images', namespace);
  const writes = (method: string): number => api.requests.filter((r) => r.method === method && r.path.includes('/policyreports')).length;

  it('creates one PolicyReport per namespace, with one result per Pod image and summary counts, valid under the shipped CRD', async () => {
    await writer().write(
      new Map([
        ['team-a', [result('team-a', 'web', 'pass'), result('team-a', 'api', 'fail'), result('team-a', 'job', 'error', { digest: undefined })]],
        ['team-b', [result('team-b', 'web', 'pass')]],
      ]),
    );
    assert.equal(errors.length, 0, errors.map((e) => e.message).join('\n'));
    const a = report('team-a');
    assert.ok(a, 'team-a has its report');
    assert.deepEqual(policyReportViolations(a), []);
    assert.deepEqual((a.metadata as { labels: unknown }).labels, { 'app.kubernetes.io/managed-by': 'signgate' });
    assert.deepEqual(a.summary, { pass: 1, fail: 1, warn: 0, error: 1, skip: 0 });
    const results = a.results as Record<string, unknown>[];
    assert.deepEqual(results.map((r) => r.result), ['fail', 'error', 'pass'], 'failures first');
    assert.deepEqual(results[0], {
      source: 'signgate',
      policy: 'signgate-image-signature',
      rule: 'verify-image-signature',
      category: 'Supply Chain Security',
      result: 'fail',
      scored: true,
      message: 'fail message',
      resources: [{ apiVersion: 'v1', kind: 'Pod', name: 'api', namespace: 'team-a', uid: 'uid-api' }],
      properties: { container: 'app', containerType: 'container', image: 'registry.example/team/app:1.0', digest: D1, reason: 'SIGNATURE_NOT_TRUSTED', traceID: 'trace-api' },
      timestamp: { seconds: Math.floor(AT.getTime() / 1000), nanos: 890_000_000 },
    });
    assert.equal((results[1]?.properties as Record<string, string>).digest, undefined, 'no digest when none was reached');
    assert.deepEqual(policyReportViolations(report('team-b')), []);
    // the check can fail: a property that is not a string, a field the schema does not know, a result out of its enum
    const broken = { ...a, results: [{ ...results[0], properties: { digest: 1 }, verdict: 'x', result: 'denied' }] };
    assert.equal(policyReportViolations(broken).length, 3, policyReportViolations(broken).join('\n'));
  });

  it('replaces a changed report at the resourceVersion it read, leaves an unchanged one alone, deletes one whose namespace has no Pod left', async () => {
    const w = writer();
    await w.write(new Map([['team-a', [result('team-a', 'web', 'pass')]], ['team-b', [result('team-b', 'web', 'pass')]]]));
    const before = report('team-a');
    api.apply({ apiVersion: PR, kind: 'PolicyReport', metadata: { name: 'other-tool', namespace: 'team-b' }, results: [] });
    // as a real API server answers a custom resource: its keys sorted
    const sortKeys = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(sortKeys) : typeof v === 'object' && v !== null ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sortKeys(x)])) : v;
    api.apply(sortKeys(report('team-a')) as Record<string, unknown>);
    const sorted = report('team-a');
    await w.write(new Map([['team-a', [result('team-a', 'web', 'pass')]], ['team-b', [result('team-b', 'web', 'pass')]]]));
    assert.equal(writes('PUT'), 0, 'nothing changed (whatever the key order): nothing written');
    await w.write(new Map([['team-a', [result('team-a', 'web', 'fail')]]]));
    assert.equal(errors.length, 0, errors.map((e) => e.message).join('\n'));
    const put = api.requests.find((r) => r.method === 'PUT');
    assert.equal((put?.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion, (sorted?.metadata as { resourceVersion: string }).resourceVersion, 'replaced at the version read');
    assert.notEqual((sorted?.metadata as { resourceVersion: string }).resourceVersion, (before?.metadata as { resourceVersion: string }).resourceVersion);
    assert.equal((report('team-a')?.summary as { fail: number }).fail, 1);
    assert.equal(report('team-b'), undefined, "team-b's report is deleted");
    assert.ok(api.get(PR, 'PolicyReport', 'other-tool', 'team-b'), "another tool's report stays");
    assert.deepEqual(await w.reportedResults(), [{ podUid: 'uid-web', container: 'app', result: 'fail' }], 'what a restarted audit starts from');
  });

  it('a report changed by someone else meanwhile (409) is read again and replaced; a missing CRD is reported with what to do', async () => {
    const w = writer();
    await w.write(new Map([['team-a', [result('team-a', 'web', 'pass')]]]));
    api.failNext({ method: 'PUT', status: 409 });
    await w.write(new Map([['team-a', [result('team-a', 'web', 'fail')]]]));
    assert.equal(errors.length, 0, errors.map((e) => e.message).join('\n'));
    assert.equal((report('team-a')?.summary as { fail: number }).fail, 1);

    api.failNext({ method: 'GET', pathIncludes: '/policyreports', status: 404 });
    await w.write(new Map([['team-a', [result('team-a', 'web', 'pass')]]]));
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof KubeError);
    assert.equal(errors[0].code, 'KUBE_HTTP');
    assert.match(errors[0].message, /^cannot list the PolicyReports: .*HTTP 404.*is the PolicyReport CRD \(policyreports\.wgpolicyk8s\.io, v1alpha2\) installed\? The chart installs it with audit\.policyReportCRD\.install=true$/);
  });

  it('records a Warning Event on the Pod (involvedObject with uid, reason, message, source signgate)', async () => {
    await createPodEventRecorder({ client: clientFor(api), component: 'signgate', instance: 'replica-1' }).warning({ namespace: 'team-a', name: 'web', uid: 'uid-web' }, 'ImageVerificationFailed', 'why', AT);
    const post = api.requests.find((r) => r.method === 'POST' && r.path === '/api/v1/namespaces/team-a/events');
    const event = post?.body as Record<string, unknown>;
    assert.match(String((event.metadata as { name: string }).name), /^web\.[0-9a-f]+$/);
    assert.deepEqual(
      { involvedObject: event.involvedObject, type: event.type, reason: event.reason, message: event.message, source: event.source, firstTimestamp: event.firstTimestamp },
      {
        involvedObject: { apiVersion: 'v1', kind: 'Pod', name: 'web', namespace: 'team-a', uid: 'uid-web' },
        type: 'Warning',
        reason: 'ImageVerificationFailed',
        message: 'why',
        source: { component: 'signgate' },
        firstTimestamp: '2026-03-04T05:06:07Z',
      },
    );
    api.failNext({ method: 'POST', status: 403 });
    await assert.rejects(
      createPodEventRecorder({ client: clientFor(api), component: 'signgate', instance: 'r' }).warning({ namespace: 'team-a', name: 'web', uid: 'u' }, 'ImageVerificationFailed', 'why', AT),
      (e: unknown) => e instanceof KubeError && e.code === 'KUBE_HTTP' && /^cannot record Event ImageVerificationFailed on Pod team-a\/web: .*HTTP 403.*RBAC/.test(e.message),
    );
  });

  it('a Pod is seen as the images of its containers, init and ephemeral containers, with the digest its status reports', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'team-a', uid: 'u1' },
      spec: { containers: [{ name: 'app', image: 'app:1' }, { name: 'side', image: 'side:2' }], initContainers: [{ name: 'init', image: 'init:3' }], ephemeralContainers: [{ name: 'dbg', image: 'busybox' }] },
      status: {
        phase: 'Running',
        containerStatuses: [{ name: 'app', image: 'docker.io/library/app:1', imageID: `docker.io/library/app@${D1}` }, { name: 'side', imageID: '' }],
        initContainerStatuses: [{ name: 'init', imageID: `docker-pullable://init@${D1}` }],
      },
    };
    assert.deepEqual(runningPodOf(pod), {
      namespace: 'team-a',
      name: 'web',
      uid: 'u1',
      images: [
        { container: 'app', kind: 'container', image: 'app:1', imageDigest: D1 },
        { container: 'side', kind: 'container', image: 'side:2' },
        { container: 'init', kind: 'initContainer', image: 'init:3', imageDigest: D1 },
        { container: 'dbg', kind: 'ephemeralContainer', image: 'busybox' },
      ],
    });
    assert.equal(runningPodOf({ ...pod, status: { phase: 'Succeeded' } }), undefined, 'a finished Pod runs nothing');
    assert.equal(runningPodOf({ ...pod, metadata: { name: 'x' } }), undefined);

    api.apply(pod);
    api.apply({ ...pod, metadata: { name: 'done', namespace: 'team-b', uid: 'u2' }, status: { phase: 'Failed' } });
    let changes = 0;
    const watch = watchRunningPods({ client: clientFor(api), onChange: () => (changes += 1) });
    try {
      assert.equal(await watch.waitForSync(5000), true);
      assert.deepEqual(watch.pods().map((p) => `${p.namespace}/${p.name}`), ['team-a/web']);
      api.delete('v1', 'Pod', 'web', 'team-a');
      await waitFor(() => watch.pods().length === 0, 'the deleted Pod to go');
      assert.ok(changes >= 2);
    } finally {
      await watch.close();
    }
  });
});
