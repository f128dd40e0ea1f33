/**
 * The audit end to end (issue 14, "Done when"): `signgate serve --kubernetes --audit-interval 2s` as a process, the
 * protocol-level Kubernetes API test server holding the configuration resources and the running Pods, and the real
 * docker-registry holding an image signed with `signgate sign` and an unsigned one. The PolicyReports show pass for
 * the signed image and fail for the unsigned one; when the certificate is removed from trust (the
 * KeyManagementProvider now holds another root) the signed image's result fails, a Warning Event is recorded on its
 * Pod and signgate_audit_transitions_total{from="pass",to="fail"} counts it; a deleted Pod's result disappears, and
 * so does the report of a namespace without Pods. Every report written is checked against the shipped CRD schema.
 * The replica audits while it holds the --audit-lease Lease, and releases it when it stops.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Registry, type Descriptor, type FetchLike } from '../../provider/src/oci/index.js';
import { cli } from '../support/cli.js';
import { KubeApiTestServer } from '../support/kubeApiServer.js';
import { createPki, type Pki } from '../support/pki.js';
import { policyReportViolations } from '../support/policyReportSchema.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';
import { startServeProcess, type ServeProcess } from '../support/serveProcess.js';
import { waitFor } from '../support/waitFor.js';
import { kmpInline, verifier } from '../unit/k8s/helpers.js';
import { TempDirs, pushImage } from '../unit/verify/fixtures.js';

const TOKEN = 'audit-token';
const PR = 'wgpolicyk8s.io/v1alpha2';
/** A hang guard, never a performance claim (the machine is shared and slow). */
const BOUND_MS = 90_000;

type Result = { result: string; message: string; resources: { name: string; uid: string }[]; properties: Record<string, string> };

describe('e2e: the audit of running Pods writes PolicyReports and Events (docker-registry, Kubernetes API test server)', function () {
  this.timeout(300_000);
  const dirs = new TempDirs();
  const api = new KubeApiTestServer({ token: TOKEN });
  let registry: RunningRegistry | undefined;
  let serve: ServeProcess | undefined;
  let pki: Pki;
  let signed: Descriptor;
  let unsigned: Descriptor;

  before(async function () {
    requireComponent(this, 'docker-registry');
    registry = await startRegistry();
    const repo = new Registry({ fetch: fetch as FetchLike, clock: () => new Date() }).repository(`${registry.host}/team/app`);
    signed = await pushImage(repo, 'signed');
    unsigned = await pushImage(repo, 'unsigned');
    pki = await createPki({ at: new Date() });
    const dir = await dirs.make('signgate-audit-');
    await writeFile(join(dir, 'key.pem'), pki.leaf.key.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await writeFile(join(dir, 'chain.pem'), [pki.leaf.pem, pki.intermediate.pem, pki.root.pem].join('\n'));
    const s = await cli('sign', `${registry.host}/team/app:signed`, '--key', join(dir, 'key.pem'), '--cert', join(dir, 'chain.pem'));
    assert.equal(s.code, 0, s.stderr);
    await api.start();
  });
  after(async function () {
    serve?.kill();
    await api.close();
    await registry?.stop();
    await dirs.cleanup();
  });

  const pod = (namespace: string, name: string, tag: string, digest?: string): Record<string, unknown> => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: { containers: [{ name: 'app', image: `${registry?.host ?? ''}/team/app:${tag}` }] },
    status: { phase: 'Running', containerStatuses: [{ name: 'app', ...(digest !== undefined ? { imageID: `${registry?.host ?? ''}/team/app@${digest}` } : {}) }] },
  });
  const report = (namespace: string): Record<string, unknown> | undefined => api.get(PR, 'PolicyReport', 'signgate-images', namespace);
  const resultsOf = (namespace: string): Result[] => (report(namespace)?.results as Result[] | undefined) ?? [];
  const resultFor = (namespace: string, podName: string): Result | undefined => resultsOf(namespace).find((r) => r.resources[0]?.name === podName);
  const writtenReports = (): unknown[] => api.requests.filter((r) => (r.method === 'POST' || r.method === 'PUT') && r.path.includes('/policyreports')).map((r) => r.body);

  it('pass for a signed running image, fail for an unsigned one; trust removed: fail, a Warning Event and the transition counter; deleted Pods drop out', async function () {
    const web = api.apply(pod('team-a', 'web', 'signed', signed.digest));
    api.apply(pod('team-a', 'old', 'signed', signed.digest));
    api.apply(pod('team-b', 'batch', 'unsigned'));
    api.apply(kmpInline('certs', pki.root.pem));
    api.apply(verifier('notation', 'certs'));
    const kubeconfig = join(await dirs.make(), 'kubeconfig.json');
    await writeFile(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 't', cluster: { server: api.url, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 't', user: { token: TOKEN } }],
        contexts: [{ name: 't', context: { cluster: 't', user: 't' } }],
        'current-context': 't',
      }),
    );
    serve = startServeProcess(['--kubernetes', '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0', '--audit-interval', '2s', '--audit-qps', '20', '--audit-lease', 'signgate-system/signgate-audit'], { KUBECONFIG: kubeconfig });
    const [, , metricsUrl = ''] = await serve.waitForStderr(/listening on (https:\/\/\S+) \(metrics (http:\/\/\S+)\)/, 'the listening line');

    // the first reports: the signed image passes at the digest the container runs, the unsigned one fails
    const pass = await waitFor(() => resultFor('team-a', 'web'), 'the PolicyReport of team-a', BOUND_MS);
    assert.equal(pass.result, 'pass', pass.message);
    assert.deepEqual(
      { image: pass.properties.image, digest: pass.properties.digest, container: pass.properties.container, uid: pass.resources[0]?.uid },
      { image: `${registry?.host ?? ''}/team/app:signed`, digest: signed.digest, container: 'app', uid: (web.metadata as { uid: string }).uid },
    );
    assert.match(pass.properties.traceID ?? '', /^[0-9a-f-]{36}$/);
    const fail = await waitFor(() => resultFor('team-b', 'batch'), 'the PolicyReport of team-b', BOUND_MS);
    assert.equal(fail.result, 'fail');
    assert.equal(fail.properties.digest, unsigned.digest, 'the tag was resolved to the digest verified');
    assert.match(fail.message, /no signature/i);
    assert.deepEqual((report('team-b')?.summary as Record<string, number>), { pass: 0, fail: 1, warn: 0, error: 0, skip: 0 });

    // the certificate is removed from trust: the KeyManagementProvider now holds another root
    const stranger = await createPki({ at: new Date(), leafSubject: 'CN=stranger,O=elsewhere,C=US' });
    api.apply(kmpInline('certs', stranger.root.pem));
    const failing = await waitFor(() => (resultFor('team-a', 'web')?.result === 'fail' ? resultFor('team-a', 'web') : undefined), 'the failing result of team-a/web', BOUND_MS);
    assert.equal(failing.properties.digest, signed.digest);
    assert.ok(failing.properties.reason, 'the error code is a property');
    const eventRequest = await waitFor(
      () => api.requests.find((r) => r.method === 'POST' && r.path === '/api/v1/namespaces/team-a/events' && (r.body as { involvedObject: { name: string } }).involvedObject.name === 'web'),
      'the Warning Event on team-a/web',
      BOUND_MS,
    );
    const event = eventRequest.body as Record<string, unknown>;
    assert.deepEqual(
      { type: event.type, reason: event.reason, involvedObject: event.involvedObject },
      { type: 'Warning', reason: 'ImageVerificationFailed', involvedObject: { apiVersion: 'v1', kind: 'Pod', name: 'web', namespace: 'team-a', uid: (web.metadata as { uid: string }).uid } },
    );
    assert.ok(String(event.message).includes(`${registry?.host ?? ''}/team/app:signed (${signed.digest})`), String(event.message));
    assert.ok(String(event.message).includes(`traceID ${failing.properties.traceID ?? ''}`), String(event.message));
    const metrics = await waitFor(async () => {
      const text = await (await fetch(`${metricsUrl}/metrics`)).text();
      // one transition per Pod container image (web and old)
      return /^signgate_audit_transitions_total\{from="pass",to="fail"\} 2$/m.test(text) ? text : undefined;
    }, 'the transition counter at 2', BOUND_MS);
    assert.match(metrics, /^signgate_audit_cycle_duration_seconds_count [1-9]/m);
    assert.match(metrics, /^signgate_audit_images_verified_total [1-9]/m);
    const events = (): string[] => api.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/events')).map((r) => (r.body as { involvedObject: { name: string } }).involvedObject.name);
    await waitFor(() => events().length === 2, 'the Event on team-a/old', BOUND_MS);

    // a deleted Pod's result disappears; a namespace without Pods loses its report
    api.delete('v1', 'Pod', 'old', 'team-a');
    api.delete('v1', 'Pod', 'batch', 'team-b');
    await waitFor(() => report('team-b') === undefined && resultFor('team-a', 'old') === undefined, 'the deleted Pods to drop out', BOUND_MS);
    assert.equal(resultsOf('team-a').length, 1);

    assert.deepEqual(events().sort(), ['old', 'web'], 'no Event for the image that never passed, none twice');
    for (const written of writtenReports()) assert.deepEqual(policyReportViolations(written), [], JSON.stringify(written));
    assert.ok(writtenReports().length >= 3);
    const problems = serve.lines.filter((l) => l.audit === true && l.level >= 40 && !/passed signature verification before and fails now/.test(l.msg));
    assert.deepEqual(problems, [], 'no audit problem was logged');
    assert.ok(serve.lines.some((l) => l.msg === 'audit cycle done' && l.fail === 1 && l.pass === 2), 'a cycle is logged with its counts');
    const lease = (): Record<string, unknown> | undefined => api.get('coordination.k8s.io/v1', 'Lease', 'signgate-audit', 'signgate-system')?.spec as Record<string, unknown> | undefined;
    assert.equal(lease()?.holderIdentity, hostname(), 'the auditing replica holds the Lease');
    assert.ok(serve.lines.some((l) => l.msg === 'audit: this replica holds Lease signgate-system/signgate-audit and audits'));
    serve.child.kill('SIGTERM');
    assert.equal(await serve.exit(), 0);
    assert.equal(lease()?.holderIdentity, '', 'released on shutdown, for a standby to take over at once');
  });
});
