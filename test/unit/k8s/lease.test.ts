import assert from 'node:assert/strict';
import { createLeaseElector, KubeError, LEADER_LABEL, type LeaseElector } from '../../../provider/src/k8s/index.js';
import type { KubeApiTestServer } from '../../support/kubeApiServer.js';
import { clientFor, startApi } from './helpers.js';

const NS = 'signgate-system';

describe('k8s Lease leader election (coordination.k8s.io/v1, against the protocol-level API test server)', () => {
  let server: KubeApiTestServer;
  let now: number;
  const clock = (): Date => new Date(now);
  const errors: KubeError[] = [];

  beforeEach(async () => {
    server = await startApi();
    now = Date.UTC(2026, 0, 1, 12, 0, 0);
    errors.length = 0;
    for (const name of ['signer-a', 'signer-b']) server.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS, labels: { app: 'signer' } }, spec: {} });
  });
  afterEach(async () => {
    await server.close();
  });

  function elector(identity: string, changes: boolean[] = []): LeaseElector {
    return createLeaseElector({ client: clientFor(server), namespace: NS, name: 'signgate-signer', identity, pod: { namespace: NS, name: identity }, clock, onLeadership: (l) => changes.push(l), onError: (e) => errors.push(e) });
  }
  const lease = (): Record<string, unknown> | undefined => server.get('coordination.k8s.io/v1', 'Lease', 'signgate-signer', NS)?.spec as Record<string, unknown> | undefined;
  const label = (pod: string): unknown => (server.get('v1', 'Pod', pod, NS)?.metadata.labels as Record<string, unknown>)[LEADER_LABEL];

  it('the first replica creates the Lease and leads, labels its Pod; the second stays standby without a label', async () => {
    const changesA: boolean[] = [];
    const a = elector('signer-a', changesA);
    const b = elector('signer-b');
    assert.equal(await a.tryAcquireOrRenew(), true);
    assert.equal(await b.tryAcquireOrRenew(), false);
    assert.deepEqual(changesA, [true]);
    assert.equal(lease()?.holderIdentity, 'signer-a');
    assert.equal(lease()?.leaseDurationSeconds, 12);
    assert.equal(lease()?.leaseTransitions, 0);
    assert.match(String(lease()?.renewTime), /^2026-01-01T12:00:00\.000000Z$/);
    assert.equal(label('signer-a'), 'true');
    assert.equal(label('signer-b'), undefined);
    const create = server.requests.find((r) => r.method === 'POST');
    assert.equal(create?.path, `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`);
  });

  it('a leader that stops renewing is replaced once the record has not changed for leaseDurationSeconds (by the standby\'s own clock), not before', async () => {
    const a = elector('signer-a');
    const changesB: boolean[] = [];
    const b = elector('signer-b', changesB);
    await a.tryAcquireOrRenew();
    await b.tryAcquireOrRenew(); // b sees the record now
    now += 5000;
    await a.tryAcquireOrRenew(); // a renews: a sign of life
    now += 1000;
    assert.equal(await b.tryAcquireOrRenew(), false);
    now += 11_000; // 11 s after b saw the renewal: not yet expired
    assert.equal(await b.tryAcquireOrRenew(), false);
    now += 1000; // a stopped renewing 12 s ago (as b saw it)
    assert.equal(await b.tryAcquireOrRenew(), true);
    assert.deepEqual(changesB, [true]);
    assert.equal(lease()?.holderIdentity, 'signer-b');
    assert.equal(lease()?.leaseTransitions, 1);
    assert.equal(label('signer-b'), 'true');
    // the old leader, back, sees another holder: it does not lead and removes its own label
    assert.equal(await a.tryAcquireOrRenew(), false);
    assert.equal(a.isLeader(), false);
    assert.equal(label('signer-a'), undefined);
  });

  it('a 409 on the write (another replica wrote first) means standby, with no error', async () => {
    const a = elector('signer-a');
    server.failNext({ method: 'POST', pathIncludes: '/leases', status: 409 });
    assert.equal(await a.tryAcquireOrRenew(), false);
    assert.equal(errors.length, 0);
    assert.equal(await a.tryAcquireOrRenew(), true);
    server.failNext({ method: 'PUT', pathIncludes: '/leases/', status: 409 });
    assert.equal(await a.tryAcquireOrRenew(), false, 'a renewal refused with 409 ends leading at once');
    assert.equal(label('signer-a'), undefined);
  });

  it('a leader whose renewals fail keeps leading only until its renew deadline, and says why', async () => {
    const a = elector('signer-a');
    await a.tryAcquireOrRenew();
    server.failNext({ pathIncludes: '/leases/', status: 500, count: 10 });
    now += 2000;
    assert.equal(await a.tryAcquireOrRenew(), true);
    now += 6000; // 8 s since the last renewal: the deadline
    assert.equal(await a.tryAcquireOrRenew(), false);
    assert.ok(errors.every((e) => e instanceof KubeError && e.code === 'KUBE_HTTP'));
    assert.match(errors[0]?.message ?? '', /cannot acquire or renew Lease signgate-system\/signgate-signer: .*HTTP 500/);
  });

  it('stop() releases the Lease and the label: the standby takes over at its next look', async () => {
    const a = elector('signer-a');
    const b = elector('signer-b');
    await a.tryAcquireOrRenew();
    await b.tryAcquireOrRenew();
    await a.stop();
    assert.equal(lease()?.holderIdentity, '');
    assert.equal(label('signer-a'), undefined);
    now += 1000;
    assert.equal(await b.tryAcquireOrRenew(), true);
  });

  it('refuses a renew deadline that is not shorter than the lease (two leaders could overlap)', () => {
    assert.throws(
      () => createLeaseElector({ client: clientFor(server), namespace: NS, name: 'l', identity: 'x', clock, timing: { leaseDurationSeconds: 5, renewDeadlineMs: 5000 } }),
      (e: unknown) => e instanceof KubeError && e.code === 'KUBE_CONFIG' && /renew deadline/.test(e.message),
    );
  });

  it('the loop of start() renews with the injected sleep', async () => {
    const waits: number[] = [];
    let release: () => void = () => {};
    const a = createLeaseElector({
      client: clientFor(server), namespace: NS, name: 'signgate-signer', identity: 'signer-a', clock,
      sleep: (ms, signal) => {
        waits.push(ms);
        return new Promise((resolve) => {
          release = resolve;
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
      },
    });
    a.start();
    while (waits.length === 0) await new Promise((r) => setImmediate(r));
    assert.equal(a.isLeader(), true);
    assert.deepEqual(waits, [2000]);
    release();
    await a.stop();
    assert.equal(lease()?.holderIdentity, '');
  });
});
