import assert from 'node:assert/strict';
import { access, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../provider/src/config/index.js';
import { watchKubernetesConfig, type KubernetesConfigSource } from '../../../provider/src/k8s/index.js';
import type { KubeApiTestServer } from '../../support/kubeApiServer.js';
import { createPki, type Pki } from '../../support/pki.js';
import { API, clientFor, kmpInline, readyOf, secret, startApi, store, verifier } from './helpers.js';
import { waitFor } from '../../support/waitFor.js';

const AT = new Date('2025-11-01T00:00:00Z');

describe('k8s ConfigSource (against the protocol-level API test server)', function () {
  let server: KubeApiTestServer;
  let source: KubernetesConfigSource | undefined;
  let pki: Pki;
  let other: Pki;
  let stateDir: string;
  const errors: Error[] = [];

  before(async () => {
    pki = await createPki({ at: AT });
    other = await createPki({ at: AT });
  });
  beforeEach(async () => {
    server = await startApi();
    stateDir = await mkdtemp(join(tmpdir(), 'signgate-k8s-test-'));
    errors.length = 0;
  });
  afterEach(async () => {
    await source?.close();
    source = undefined;
    await server.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  const start = async (): Promise<KubernetesConfigSource> => {
    source = await watchKubernetesConfig({ client: clientFor(server), stateDir, debounceMs: 10, initialSyncMs: 3000, clock: () => AT, onError: (e) => errors.push(e) });
    return source;
  };

  it('builds the Config from the custom resources and marks each Ready=True with observedGeneration', async () => {
    server.apply(kmpInline('certs', pki.root.pem));
    server.apply(verifier('notation', 'certs'));
    server.apply(store('oras', { ttl: 7 }));
    const s = await start();
    const config = s.current();
    assert.equal(config?.generation, 1);
    assert.equal(config?.cluster?.verifiers[0]?.name, 'notation');
    assert.equal(config?.cluster?.verifiers[0]?.certificateCount, 1);
    assert.equal(config?.cluster?.store.ttlSeconds, 7);
    const ready = await waitFor(() => readyOf(server, 'Verifier', 'notation'), 'the Verifier status');
    assert.deepEqual(ready, { type: 'Ready', status: 'True', reason: 'Accepted', message: 'in effect (configuration generation 1)', observedGeneration: 1, lastTransitionTime: '2025-11-01T00:00:00Z' });
    assert.equal((server.get(API, 'Verifier', 'notation')?.status as { observedGeneration: number }).observedGeneration, 1);
    await waitFor(() => readyOf(server, 'KeyManagementProvider', 'certs'), 'the KMP status');
    await waitFor(() => readyOf(server, 'Store', 'oras'), 'the Store status');
    // the controller's own status writes settle: no further writes once every status is right
    const patches = (): number => server.requests.filter((r) => r.method === 'PATCH').length;
    const before = patches();
    await s.rebuild();
    assert.equal(patches(), before);
  });

  it('a CR with a bad field gets Ready=False with the field path, and the last good Config keeps serving', async () => {
    server.apply(kmpInline('certs', pki.root.pem));
    server.apply(verifier('notation', 'certs'));
    server.apply(store('oras'));
    const s = await start();
    const good = s.current();
    server.apply(store('oras', { ttl: 'ten' }));
    const ready = await waitFor(() => {
      const r = readyOf(server, 'Store', 'oras');
      return r?.status === 'False' ? r : undefined;
    }, 'Ready=False');
    assert.equal(ready.reason, 'InvalidSpec');
    assert.equal(ready.observedGeneration, 2);
    assert.match(String(ready.message), /^spec\.parameters\.ttl: /);
    assert.equal(s.current(), good);
    assert.match(s.lastError() ?? '', /spec\.parameters\.ttl/);
    assert.ok(errors.some((e) => e instanceof ConfigError && e.code === 'CONFIG_SCHEMA'));
    // the Verifier is unchanged and in effect: it stays Ready=True
    assert.equal(readyOf(server, 'Verifier', 'notation')?.status, 'True');
    // fixing it applies a new generation and flips the condition back
    server.apply(store('oras', { ttl: 20 }));
    await waitFor(() => (s.current()?.cluster?.store.ttlSeconds === 20 ? true : undefined), 'the fixed Store');
    assert.equal(s.current()?.generation, 2);
    await waitFor(() => (readyOf(server, 'Store', 'oras')?.status === 'True' ? true : undefined), 'Ready=True');
  });

  it('a valid change blocked by another resource is Ready=False NotApplied, naming the blocker', async () => {
    server.apply(kmpInline('certs', pki.root.pem));
    server.apply(verifier('notation', 'certs'));
    await start();
    server.apply(verifier('broken', 'missing-kmp'));
    server.apply(kmpInline('certs', other.root.pem)); // valid new spec, generation 2
    const blocked = await waitFor(() => {
      const r = readyOf(server, 'KeyManagementProvider', 'certs');
      return r?.reason === 'NotApplied' ? r : undefined;
    }, 'NotApplied');
    assert.equal(blocked.status, 'False');
    assert.match(String(blocked.message), /Verifier "broken"/);
    assert.match(String(blocked.message), /keeps serving configuration generation 1/);
    // statuses are written one object after the other: wait for the broken Verifier's own
    const broken = await waitFor(() => {
      const r = readyOf(server, 'Verifier', 'broken');
      return r?.reason === undefined ? undefined : r;
    }, 'the broken Verifier status');
    assert.equal(broken.reason, 'ReferenceNotFound');
  });

  it('KeyManagementProvider type secret reads the Secret and re-reads it when it changes', async () => {
    server.apply(secret('signgate-system', 'roots', { 'root.crt': pki.root.pem }));
    server.apply({ apiVersion: API, kind: 'KeyManagementProvider', metadata: { name: 'from-secret' }, spec: { type: 'secret', parameters: { secretRef: { name: 'roots', namespace: 'signgate-system' } } } });
    server.apply(verifier('notation', 'from-secret'));
    const s = await start();
    const first = s.current()?.cluster?.verifiers[0]?.trustStore;
    assert.equal(s.current()?.cluster?.verifiers[0]?.certificateCount, 1);
    const secretWatch = server.requests.find((r) => r.path === '/api/v1/namespaces/signgate-system/secrets');
    assert.equal(secretWatch?.query.fieldSelector, 'metadata.name=roots');
    server.apply(secret('signgate-system', 'roots', { 'root.crt': pki.root.pem, 'other.pem': other.root.pem }));
    await waitFor(() => (s.current()?.cluster?.verifiers[0]?.certificateCount === 2 ? true : undefined), 'the rotated Secret');
    assert.notEqual(s.current()?.cluster?.verifiers[0]?.trustStore, first);
    // at least one new generation (under load the Secret's events may arrive in more than one rebuild)
    assert.ok((s.current()?.generation ?? 0) >= 2, `generation ${s.current()?.generation}`);
  });

  it('a missing Secret is Ready=False on the KeyManagementProvider with what to do', async () => {
    server.apply({ apiVersion: API, kind: 'KeyManagementProvider', metadata: { name: 'from-secret' }, spec: { type: 'secret', parameters: { secretRef: { name: 'nope', namespace: 'ns' } } } });
    server.apply(verifier('notation', 'from-secret'));
    const s = await start();
    assert.equal(s.current(), undefined);
    const ready = await waitFor(() => readyOf(server, 'KeyManagementProvider', 'from-secret'), 'the status');
    assert.equal(ready.reason, 'InvalidCertificate');
    assert.match(String(ready.message), /^spec\.parameters\.secretRef: Secret ns\/nope does not exist .*grant signgate's ServiceAccount get\/list\/watch/);
  });

  it('Store credentials come from the dockerconfigjson Secrets of spec.parameters.authProvider (k8Secrets), watched by name and re-read when rotated', async () => {
    const auths = (user: string, host = 'registry.example:5000'): { auths: Record<string, { auth: string }> } => ({ auths: { [host]: { auth: Buffer.from(`${user}:p`).toString('base64') } } });
    server.apply(secret('signgate-system', 'pull', { '.dockerconfigjson': JSON.stringify(auths('first')) }, 'kubernetes.io/dockerconfigjson'));
    server.apply(secret('mirrors', 'mirror', { '.dockerconfigjson': JSON.stringify(auths('mirror', 'mirror.example')) }, 'kubernetes.io/dockerconfigjson'));
    server.apply(kmpInline('certs', pki.root.pem));
    server.apply(verifier('notation', 'certs'));
    const secrets = [{ secretName: 'pull', namespace: 'signgate-system' }, { secretName: 'mirror', namespace: 'mirrors' }];
    server.apply(store('oras', { authProvider: { name: 'k8Secrets', secrets } }));
    const s = await start();
    const path = s.current()?.cluster?.store.dockerConfigPath;
    assert.ok(path !== undefined && path.startsWith(stateDir), String(path));
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { auths: { ...auths('first').auths, ...auths('mirror', 'mirror.example').auths } });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    // each Secret is listed and watched by name only (RBAC resourceNames), never the namespace's whole collection
    const secretRequests = server.requests.filter((r) => /^\/api\/v1\/namespaces\/[^/]+\/secrets$/.test(r.path));
    assert.ok(secretRequests.length >= 2);
    assert.ok(secretRequests.every((r) => r.query.fieldSelector === 'metadata.name=pull' || r.query.fieldSelector === 'metadata.name=mirror'));
    assert.deepEqual(new Set(secretRequests.map((r) => r.path)), new Set(['/api/v1/namespaces/signgate-system/secrets', '/api/v1/namespaces/mirrors/secrets']));

    // rotation: new credentials, a new content-named file; the old one is removed once the new config is in effect
    server.apply(secret('signgate-system', 'pull', { '.dockerconfigjson': JSON.stringify(auths('rotated')) }, 'kubernetes.io/dockerconfigjson'));
    const rotated = await waitFor(() => {
      const p = s.current()?.cluster?.store.dockerConfigPath;
      return p !== undefined && p !== path ? p : undefined;
    }, 'the rotated credentials');
    assert.deepEqual(JSON.parse(await readFile(rotated, 'utf8')).auths['registry.example:5000'], auths('rotated').auths['registry.example:5000']);
    await assert.rejects(access(path), { code: 'ENOENT' });

    // a Secret of the wrong type: Ready=False on the Store, the last good credentials stay in effect
    server.apply(secret('signgate-system', 'pull', { token: 'x' }, 'Opaque'));
    const ready = await waitFor(() => {
      const r = readyOf(server, 'Store', 'oras');
      return r?.status === 'False' ? r : undefined;
    }, 'Ready=False');
    assert.equal(ready.reason, 'Unreadable');
    assert.equal(
      ready.message,
      'spec.parameters.authProvider.secrets[0]: Secret signgate-system/pull is of type Opaque; it must be of type kubernetes.io/dockerconfigjson (kubectl create secret docker-registry)',
    );
    assert.equal(s.current()?.cluster?.store.dockerConfigPath, rotated);
  });

  it('a Store that names a ServiceAccount in authProvider is Ready=False with the reason (signgate reads listed Secrets only)', async () => {
    server.apply(kmpInline('certs', pki.root.pem));
    server.apply(verifier('notation', 'certs'));
    server.apply(store('oras', { authProvider: { name: 'k8Secrets', serviceAccountName: 'ratify-admin', secrets: [{ secretName: 'pull', namespace: 'ns' }] } }));
    const s = await start();
    assert.equal(s.current(), undefined);
    const ready = await waitFor(() => readyOf(server, 'Store', 'oras'), 'the Store status');
    assert.equal(ready.reason, 'InvalidSpec');
    assert.match(String(ready.message), /^spec\.parameters\.authProvider\.serviceAccountName: is not supported/);
    assert.ok(!server.requests.some((r) => r.path.endsWith('/secrets')), 'no Secret is read for a rejected Store');
  });

  it('starts without blocking when the API server is unreachable, and says why', async () => {
    const client = clientFor(server);
    await server.close();
    // resolves after initialSyncMs although nothing answers (were it to wait for the API server, mocha's timeout fails it)
    source = await watchKubernetesConfig({ client, stateDir, initialSyncMs: 200, sleep: (_ms, signal) => new Promise<void>((r) => {
        const t = setTimeout(r, 20);
        signal.addEventListener('abort', () => {
          clearTimeout(t);
          r();
        });
      }) });
    assert.equal(source.current(), undefined);
    assert.match(source.lastError() ?? '', /not been listed yet/);
    server = await startApi();
  });

  it('namespaced resources build the namespace scope', async () => {
    server.apply(kmpInline('certs', pki.root.pem));
    server.apply(verifier('notation', 'certs'));
    server.apply({ ...verifier('team', 'certs'), kind: 'NamespacedVerifier', metadata: { name: 'team', namespace: 'team-a' } });
    const s = await start();
    assert.deepEqual(s.current()?.namespaces.get('team-a')?.verifiers.map((v) => v.name), ['notation', 'team']);
    await waitFor(() => readyOf(server, 'NamespacedVerifier', 'team', 'team-a'), 'the namespaced status');
    assert.ok(server.requests.some((r) => r.method === 'PATCH' && r.path === '/apis/config.signgate.dev/v1alpha1/namespaces/team-a/namespacedverifiers/team/status'));
  });
});
