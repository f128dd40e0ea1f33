import assert from 'node:assert/strict';
import type { SigningRuleConfig } from '../../../provider/src/config/index.js';
import { KubeError, REMOVE_SIGNATURES_FINALIZER, startSigningRuleController, type SigningRuleController } from '../../../provider/src/k8s/index.js';
import type { RuleStatus } from '../../../provider/src/signing/index.js';
import type { KubeApiTestServer } from '../../support/kubeApiServer.js';
import { waitFor } from '../../support/waitFor.js';
import { API, clientFor, secret, startApi } from './helpers.js';

const NS = 'signgate-system';

function rule(name: string, namespace: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: API, kind: 'SigningRule', metadata: { name }, spec: { registry: 'registry.example.com:443', namespace, key: { file: { secretName: 'signing-key', key: 'tls.key', certificateChain: 'tls.crt' } }, ...extra } };
}

describe('k8s SigningRule controller (CRs -> rules in effect, status, finalizer, removal; against the API test server)', () => {
  let server: KubeApiTestServer;
  let controller: SigningRuleController | undefined;
  let leader: boolean;
  let applied: (readonly SigningRuleConfig[])[];
  let counts: RuleStatus[];
  let removal: (rule: SigningRuleConfig) => Promise<string>;
  const removed: string[] = [];
  const logs: string[] = [];

  beforeEach(async () => {
    server = await startApi();
    leader = true;
    applied = [];
    counts = [];
    removed.length = 0;
    logs.length = 0;
    removal = async (r) => {
      removed.push(r.name);
      return 'removed 2 signatures';
    };
  });
  afterEach(async () => {
    await controller?.close();
    controller = undefined;
    await server.close();
  });

  function start(keyFailures: ReadonlyMap<string, Error> = new Map()): SigningRuleController {
    controller = startSigningRuleController({
      client: clientFor(server),
      namespace: NS,
      isLeader: () => leader,
      applyRules: async (rules) => {
        applied.push(rules);
        return keyFailures;
      },
      counts: () => counts,
      removeSignatures: (r) => removal(r),
      clock: () => new Date('2026-01-01T12:00:00Z'),
      log: (_level, message) => logs.push(message),
      removalRetryMs: 0,
      statusIntervalMs: 50,
    });
    return controller;
  }
  const status = (name: string): Record<string, unknown> => (server.get(API, 'SigningRule', name)?.status ?? {}) as Record<string, unknown>;
  const ready = (name: string): Record<string, unknown> | undefined => ((status(name).conditions ?? []) as Record<string, unknown>[]).find((c) => c.type === 'Ready');

  it('accepts the oldest rule of a registry namespace and rejects a second one in its status, naming the first', async () => {
    server.apply(rule('team-a', 'team-a'));
    server.apply(rule('team-a-again', 'team-a/apps'));
    const c = start();
    assert.equal(await c.waitForSync(5000), true);
    assert.deepEqual(c.rules().map((r) => [r.name, r.registry, r.key]), [['team-a', 'registry.example.com', { door: 'secret', secretName: 'signing-key', keyEntry: 'tls.key', certificateChainEntry: 'tls.crt' }]]);
    const accepted = await waitFor(() => ready('team-a'), 'the Ready condition of team-a');
    assert.equal(accepted.status, 'True');
    assert.equal(accepted.reason, 'Accepted');
    assert.match(String(accepted.message), /signs registry.example.com\/team-a\/... with the key file in Secret signing-key \(Default, jws, Automatic\)/);
    assert.equal(status('team-a').observedGeneration, 1);
    const rejected = await waitFor(() => ready('team-a-again'), 'the Ready condition of team-a-again');
    assert.equal(rejected.status, 'False');
    assert.equal(rejected.reason, 'InvalidSpec');
    assert.match(String(rejected.message), /spec.namespace: registry.example.com\/team-a\/apps is already covered by SigningRule "team-a".*one rule per registry namespace/);
  });

  it('a schema violation and a key that does not open are each reported on their own rule; the others stay in effect', async () => {
    server.apply(rule('broken', 'x', { signatureType: 'Fancy' }));
    server.apply(rule('no-key', 'team-b'));
    server.apply(rule('good', 'team-c'));
    const c = start(new Map([['no-key', new KubeError('KUBE_SECRET', 'Secret signgate-system/signing-key does not exist')]]));
    await c.waitForSync(5000);
    assert.deepEqual(c.rules().map((r) => r.name), ['good']);
    assert.deepEqual(applied.at(-1)?.map((r) => r.name).sort(), ['good', 'no-key']);
    const broken = await waitFor(() => ready('broken'), 'broken Ready');
    assert.equal(broken.reason, 'InvalidSpec');
    assert.match(String(broken.message), /spec.signatureType/);
    const noKey = await waitFor(() => ready('no-key'), 'no-key Ready');
    assert.deepEqual([noKey.status, noKey.reason, noKey.message], ['False', 'KeyUnavailable', 'Secret signgate-system/signing-key does not exist']);
  });

  it('writes the counts of the signing service, and only while leading', async () => {
    leader = false;
    server.apply(rule('team-a', 'team-a'));
    const c = start();
    await c.waitForSync(5000);
    assert.deepEqual(status('team-a'), {}, 'a standby writes nothing');
    leader = true;
    counts = [{ rule: 'team-a', scope: 'registry.example.com/team-a', signed: 3, failed: 1, lastSigned: '2026-01-01T11:59:00.123Z', lastSignedImage: 'registry.example.com/team-a/app:v3@sha256:' + 'a'.repeat(64), lastError: 'registry.example.com/team-a/app:v2: registry answered 500' }];
    await c.reconcile();
    const s = status('team-a');
    assert.deepEqual([s.signed, s.failed, s.lastSigned, s.lastSignedImage, s.lastError], [3, 1, '2026-01-01T11:59:00Z', `registry.example.com/team-a/app:v3@sha256:${'a'.repeat(64)}`, 'registry.example.com/team-a/app:v2: registry answered 500']);
    const writes = (): number => server.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith('/status')).length;
    // once the informer has seen the written status, a pass writes nothing
    await waitFor(async () => {
      const before = writes();
      await c.reconcile();
      return writes() === before;
    }, 'a pass that leaves an unchanged status alone');
  });

  it('removeSignaturesOnDelete: a finalizer while the rule lives; on deletion the signatures are removed, then the finalizer, and the rule is gone', async () => {
    server.apply(rule('team-a', 'team-a', { removeSignaturesOnDelete: true }));
    const c = start();
    await c.waitForSync(5000);
    await waitFor(() => (server.get(API, 'SigningRule', 'team-a')?.metadata.finalizers as string[] | undefined)?.includes(REMOVE_SIGNATURES_FINALIZER), 'the finalizer');
    let fail = true;
    removal = async (r) => {
      removed.push(r.name);
      if (fail) throw new Error('registry.example.com refuses deletes (405 UNSUPPORTED): enable storage.delete');
      return 'removed 2 signatures';
    };
    server.delete(API, 'SigningRule', 'team-a');
    const failed = await waitFor(() => (ready('team-a')?.reason === 'RemovalFailed' ? ready('team-a') : undefined), 'RemovalFailed');
    assert.match(String(failed.message), /refuses deletes.*the finalizer signgate.dev\/remove-signatures stays/);
    assert.ok(server.get(API, 'SigningRule', 'team-a'), 'the rule stays while its signatures are not removed');
    assert.equal(applied.at(-1)?.[0]?.enabled, false, 'a rule being deleted signs nothing');
    fail = false; // retried at the next status refresh
    await waitFor(() => server.get(API, 'SigningRule', 'team-a') === undefined, 'the deletion to finish');
    assert.ok(removed.length >= 2);
    assert.ok(logs.some((l) => /SigningRule team-a deleted: removed 2 signatures/.test(l)));
    await waitFor(() => (applied.at(-1)?.length === 0 ? true : undefined), 'the rule to leave the rule set');
  });

  it('reads a key Secret of the signer namespace by name, and says what is missing', async () => {
    server.apply(secret(NS, 'signing-key', { 'tls.key': 'KEY', 'tls.crt': 'CHAIN' }, 'kubernetes.io/tls'));
    const c = start();
    await c.waitForSync(5000);
    assert.deepEqual(await c.readKeySecret('signing-key', { key: 'tls.key', certificateChain: 'tls.crt' }), { key: 'KEY', certificateChain: 'CHAIN', label: 'Secret signgate-system/signing-key' });
    await assert.rejects(c.readKeySecret('signing-key', { key: 'key.pem', certificateChain: 'tls.crt' }), (e: unknown) => e instanceof KubeError && e.code === 'KUBE_SECRET' && /has no key "key.pem"; its keys are: tls.key, tls.crt/.test(e.message));
    await assert.rejects(c.readKeySecret('absent', { key: 'a', certificateChain: 'b' }), (e: unknown) => e instanceof KubeError && e.code === 'KUBE_SECRET' && /Secret signgate-system\/absent does not exist/.test(e.message));
    const watch = server.requests.find((r) => r.path === `/api/v1/namespaces/${NS}/secrets`);
    assert.equal(watch?.query.fieldSelector, 'metadata.name=signing-key');
  });
});
