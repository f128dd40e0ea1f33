/** The write verbs of the protocol-level Kubernetes API test server (test/support/kubeApiServer.ts), over plain HTTP. */
import assert from 'node:assert/strict';
import type { KubeApiTestServer } from '../../support/kubeApiServer.js';
import { startApi, TOKEN } from './helpers.js';

const LEASES = '/apis/coordination.k8s.io/v1/namespaces/ns/leases';
const RULES = '/apis/config.signgate.dev/v1alpha1/namespaces/ns/signingrules';

describe('k8s API test server: create, replace, merge patch, delete with finalizers', () => {
  let server: KubeApiTestServer;
  beforeEach(async () => {
    server = await startApi();
  });
  afterEach(async () => {
    await server.close();
  });

  async function call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': contentType }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
  const meta = (o: Record<string, unknown>): Record<string, unknown> => o.metadata as Record<string, unknown>;

  it('creates (201, 409 AlreadyExists), replaces with optimistic concurrency (409 on a stale resourceVersion), lists by label', async () => {
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'signer', labels: { app: 'x' } }, spec: { holderIdentity: 'a' } };
    const created = await call('POST', LEASES, lease);
    assert.equal(created.status, 201);
    assert.equal(meta(created.body).namespace, 'ns');
    assert.equal((await call('POST', LEASES, lease)).status, 409);
    const rv = meta(created.body).resourceVersion;
    const replaced = await call('PUT', `${LEASES}/signer`, { ...lease, metadata: { ...lease.metadata, resourceVersion: rv }, spec: { holderIdentity: 'b' } });
    assert.equal(replaced.status, 200);
    assert.notEqual(meta(replaced.body).resourceVersion, rv);
    const stale = await call('PUT', `${LEASES}/signer`, { ...lease, metadata: { ...lease.metadata, resourceVersion: rv }, spec: { holderIdentity: 'c' } });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.reason, 'Conflict');
    assert.deepEqual(server.get('coordination.k8s.io/v1', 'Lease', 'signer', 'ns')?.spec, { holderIdentity: 'b' });
    assert.equal(((await call('GET', `${LEASES}?labelSelector=app%3Dx`)).body.items as unknown[]).length, 1);
    assert.equal(((await call('GET', `${LEASES}?labelSelector=app%3Dy`)).body.items as unknown[]).length, 0);
  });

  it('merge-patches labels (null removes), refuses other patch types, and keeps the status of the main resource', async () => {
    server.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', labels: { app: 'signer' } }, spec: {}, status: { phase: 'Running' } });
    const added = await call('PATCH', '/api/v1/namespaces/ns/pods/p', { metadata: { labels: { leader: 'true' } }, status: { phase: 'Failed' } }, 'application/merge-patch+json');
    assert.equal(added.status, 200);
    assert.deepEqual(meta(added.body).labels, { app: 'signer', leader: 'true' });
    assert.deepEqual(added.body.status, { phase: 'Running' });
    await call('PATCH', '/api/v1/namespaces/ns/pods/p', { metadata: { labels: { leader: null } } }, 'application/merge-patch+json');
    assert.deepEqual(server.get('v1', 'Pod', 'p', 'ns')?.metadata.labels, { app: 'signer' });
    assert.equal((await call('PATCH', '/api/v1/namespaces/ns/pods/p', [], 'application/json-patch+json')).status, 415);
  });

  it('a DELETE of an object with finalizers sets deletionTimestamp and bumps generation; emptying the finalizers removes it', async () => {
    server.apply({ apiVersion: 'config.signgate.dev/v1alpha1', kind: 'SigningRule', metadata: { name: 'r', namespace: 'ns', finalizers: ['signgate.dev/x'] }, spec: { a: 1 } });
    const deleting = await call('DELETE', `${RULES}/r`);
    assert.equal(deleting.status, 200);
    assert.equal(typeof meta(deleting.body).deletionTimestamp, 'string');
    assert.equal(meta(deleting.body).generation, 2);
    assert.ok(server.get('config.signgate.dev/v1alpha1', 'SigningRule', 'r', 'ns'));
    await call('PATCH', `${RULES}/r`, { metadata: { finalizers: null } }, 'application/merge-patch+json');
    assert.equal(server.get('config.signgate.dev/v1alpha1', 'SigningRule', 'r', 'ns'), undefined);
    assert.equal((await call('DELETE', `${RULES}/r`)).status, 404);
    server.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' }, data: {} });
    assert.equal((await call('DELETE', '/api/v1/namespaces/ns/configmaps/c', { preconditions: { resourceVersion: '1' } })).status, 409);
    assert.equal((await call('DELETE', '/api/v1/namespaces/ns/configmaps/c')).status, 200);
    assert.equal(server.get('v1', 'ConfigMap', 'c', 'ns'), undefined);
  });
});
