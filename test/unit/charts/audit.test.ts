/**
 * The chart's audit values (README "Audit of running Pods"): on by default, the Deployment gets the interval, qps and
 * Lease, RBAC lets it list/watch Pods, write PolicyReports and Events and hold that one Lease, and the PolicyReport
 * CRDs render behind audit.policyReportCRD.install; audit.enabled=false turns all of it off.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadChart } from '../../support/helmTemplate.js';

const CHART = join(import.meta.dirname, '..', '..', '..', 'charts', 'signgate');
const FILES = ['deployment.yaml', 'rbac.yaml', 'policyreport-crds.yaml'];

type Doc = Record<string, unknown>;
interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

function render(audit: Record<string, unknown> = {}): { env: Record<string, string>; rules: Rule[]; leaseRole: Doc | undefined; crds: Doc[] } {
  const chart = loadChart(CHART, { name: 'signgate', namespace: 'signgate-system', values: { audit } }, FILES);
  const deployment = chart.documents('deployment.yaml').find((d) => d.kind === 'Deployment') as { spec: { template: { spec: { containers: { env: { name: string; value: string }[] }[] } } } };
  const env = Object.fromEntries((deployment.spec.template.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
  const rbac = chart.documents('rbac.yaml');
  const clusterRole = rbac.find((d) => d.kind === 'ClusterRole') as { rules: Rule[] };
  return {
    env,
    rules: clusterRole.rules,
    leaseRole: rbac.find((d) => d.kind === 'Role' && (d.metadata as { name: string }).name === 'signgate-audit-lease'),
    crds: chart.documents('policyreport-crds.yaml'),
  };
}

describe('charts/signgate: the audit of running Pods', () => {
  it('is on by default: interval, qps and the Lease of one auditing replica reach `signgate serve`', () => {
    const { env } = render();
    assert.deepEqual(
      { interval: env.SIGNGATE_AUDIT_INTERVAL, qps: env.SIGNGATE_AUDIT_QPS, lease: env.SIGNGATE_AUDIT_LEASE },
      { interval: '10m', qps: '5', lease: 'signgate-system/signgate-audit' },
    );
  });

  it('RBAC: list/watch Pods, PolicyReports get/list/create/update/delete, Events create, and get/update of its own Lease only', () => {
    const { rules, leaseRole } = render();
    const find = (group: string, resource: string): Rule | undefined => rules.find((r) => r.apiGroups.includes(group) && r.resources.includes(resource));
    assert.deepEqual(find('', 'pods')?.verbs, ['list', 'watch']);
    assert.deepEqual(find('wgpolicyk8s.io', 'policyreports')?.verbs, ['get', 'list', 'create', 'update', 'delete']);
    assert.deepEqual(find('', 'events')?.verbs, ['create']);
    const leaseRules = (leaseRole?.rules ?? []) as Rule[];
    assert.deepEqual(leaseRules.find((r) => r.resourceNames !== undefined), { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['signgate-audit'], verbs: ['get', 'update'] });
    assert.deepEqual(leaseRules.find((r) => r.resourceNames === undefined)?.verbs, ['create']);
  });

  it('installs the v1alpha2 PolicyReport and ClusterPolicyReport CRDs (kept on uninstall) unless policyReportCRD.install is false', () => {
    const { crds } = render();
    assert.deepEqual(
      crds.map((c) => [(c.metadata as { name: string }).name, (c.spec as { scope: string }).scope, (c.spec as { versions: { name: string }[] }).versions.map((v) => v.name)]),
      [
        ['policyreports.wgpolicyk8s.io', 'Namespaced', ['v1alpha2']],
        ['clusterpolicyreports.wgpolicyk8s.io', 'Cluster', ['v1alpha2']],
      ],
    );
    assert.ok(crds.every((c) => (c.metadata as { annotations: Record<string, string> }).annotations['helm.sh/resource-policy'] === 'keep'));
    assert.deepEqual(render({ policyReportCRD: { install: false } }).crds, []);
  });

  it('audit.enabled=false: the audit is off, and neither RBAC for it, the Lease Role nor the CRDs render', () => {
    const off = render({ enabled: false });
    assert.equal(off.env.SIGNGATE_AUDIT_INTERVAL, 'off');
    assert.equal(off.env.SIGNGATE_AUDIT_LEASE, undefined);
    assert.ok(!off.rules.some((r) => r.resources.includes('pods') || r.resources.includes('policyreports') || r.resources.includes('events')));
    assert.equal(off.leaseRole, undefined);
    assert.deepEqual(off.crds, []);
  });
});
