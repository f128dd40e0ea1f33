import assert from 'node:assert/strict';
import { KubeError, startInformer, type Informer } from '../../../provider/src/k8s/index.js';
import type { KubeApiTestServer } from '../../support/kubeApiServer.js';
import { API, clientFor, kmpInline, startApi } from './helpers.js';
import { waitFor } from '../../support/waitFor.js';

const PATH = '/apis/config.signgate.dev/v1alpha1/keymanagementproviders';

describe('k8s informer (against the protocol-level API test server)', () => {
  let server: KubeApiTestServer;
  let informer: Informer | undefined;
  const names = (): string[] => (informer?.items() ?? []).map((o) => String((o.metadata as { name: string }).name));
  const watches = (): Record<string, string>[] => server.requests.filter((r) => r.query.watch === 'true').map((r) => r.query);
  const lists = (): number => server.requests.filter((r) => r.method === 'GET' && r.path === PATH && r.query.watch === undefined).length;

  beforeEach(async () => {
    server = await startApi();
  });
  afterEach(async () => {
    await informer?.close();
    informer = undefined;
    await server.close();
  });

  it('lists, then watches from the list resourceVersion with bookmarks, authenticated by the KubeConfig token', async () => {
    server.apply(kmpInline('a', 'x'));
    informer = startInformer({ client: clientFor(server), path: PATH, onChange: () => {} });
    assert.equal(await informer.waitForSync(2000), true);
    assert.deepEqual(names(), ['a']);
    await waitFor(() => (server.watchCount() > 0 ? true : undefined), 'a watch');
    const w = watches()[0];
    assert.equal(w?.resourceVersion, informer.resourceVersion());
    assert.equal(w?.allowWatchBookmarks, 'true');
    assert.equal(server.requests[0]?.headers.authorization, 'Bearer test-token-123');
    server.apply(kmpInline('b', 'y'));
    await waitFor(() => (names().length === 2 ? true : undefined), 'the ADDED event');
    server.delete(API, 'KeyManagementProvider', 'a');
    await waitFor(() => (names().join() === 'b' ? true : undefined), 'the DELETED event');
  });

  it('resumes a watch that ends from the last resourceVersion seen, a bookmark included, without listing again', async () => {
    informer = startInformer({ client: clientFor(server), path: PATH, onChange: () => {} });
    await informer.waitForSync(2000);
    await waitFor(() => (server.watchCount() > 0 ? true : undefined), 'a watch');
    server.apply(kmpInline('other-kind-noise', 'x'));
    await waitFor(() => (names().length === 1 ? true : undefined), 'the event');
    server.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'n' }, data: {} }); // bumps the version elsewhere
    server.bookmark();
    const bookmarked = await waitFor(() => (informer?.resourceVersion() === server.get('v1', 'Secret', 's', 'n')?.metadata.resourceVersion ? informer?.resourceVersion() : undefined), 'the bookmark');
    server.closeWatches();
    await waitFor(() => (watches().length === 2 && server.watchCount() > 0 ? true : undefined), 'the second watch');
    assert.equal(watches()[1]?.resourceVersion, bookmarked);
    assert.equal(lists(), 1);
  });

  it('lists again on 410 Gone inside the watch stream and sees what changed meanwhile', async () => {
    server.apply(kmpInline('a', 'x'));
    informer = startInformer({ client: clientFor(server), path: PATH, onChange: () => {} });
    await informer.waitForSync(2000);
    await waitFor(() => (server.watchCount() > 0 ? true : undefined), 'a watch');
    const errors: KubeError[] = [];
    await informer.close();
    informer = startInformer({ client: clientFor(server), path: PATH, onChange: () => {}, onError: (e) => errors.push(e) });
    await informer.waitForSync(2000);
    await waitFor(() => (server.watchCount() > 0 ? true : undefined), 'a watch');
    server.closeWatches();
    server.apply(kmpInline('b', 'y'));
    server.expireWatches(); // history compacted: resuming from the old version gets an ERROR 410 event
    await waitFor(() => (names().join() === 'a,b' ? true : undefined), 'the re-list');
    assert.ok(errors.some((e) => e instanceof KubeError && e.code === 'KUBE_GONE'));
    assert.equal(lists(), 3);
  });

  it('backs off exponentially on server errors and recovers', async () => {
    const delays: number[] = [];
    const errors: KubeError[] = [];
    server.failNext({ method: 'GET', pathIncludes: 'keymanagementproviders', status: 500, count: 3 });
    server.apply(kmpInline('a', 'x'));
    informer = startInformer({
      client: clientFor(server),
      path: PATH,
      onChange: () => {},
      onError: (e) => errors.push(e),
      random: () => 1,
      backoff: { initialMs: 100, maxMs: 250 },
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    assert.equal(await informer.waitForSync(2000), true);
    assert.deepEqual(delays, [100, 200, 250]);
    assert.deepEqual(errors.map((e) => [e.code, e.status]), [['KUBE_HTTP', 500], ['KUBE_HTTP', 500], ['KUBE_HTTP', 500]]);
    assert.match(errors[0]?.message ?? '', /HTTP 500/);
    assert.deepEqual(names(), ['a']);
  });

  it('reports a wrong token as KUBE_HTTP 401 with an RBAC hint, and never syncs', async () => {
    const errors: KubeError[] = [];
    informer = startInformer({ client: clientFor(server, 'wrong'), path: PATH, onChange: () => {}, onError: (e) => errors.push(e), sleep: () => new Promise((r) => setTimeout(r, 5)) });
    assert.equal(await informer.waitForSync(200), false);
    assert.equal(errors[0]?.code, 'KUBE_HTTP');
    assert.equal(errors[0]?.status, 401);
    assert.match(errors[0]?.message ?? '', /ServiceAccount and its RBAC/);
  });

  it('reports an unreachable API server as KUBE_UNREACHABLE', async () => {
    const errors: KubeError[] = [];
    const client = clientFor(server);
    await server.close();
    informer = startInformer({ client, path: PATH, onChange: () => {}, onError: (e) => errors.push(e), sleep: () => new Promise((r) => setTimeout(r, 5)) });
    assert.equal(await informer.waitForSync(200), false);
    assert.equal(errors[0]?.code, 'KUBE_UNREACHABLE');
    server = await startApi(); // for afterEach
  });
});
