/**
 * The chart's signer with `signer.kubernetes.enabled` (`signgate signer serve --kubernetes`): several replicas, the
 * downward API, the flags, a Service that selects the leader's Pod, and RBAC by resource name where Kubernetes allows;
 * the schema refuses more than one replica without it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { LEADER_LABEL } from '../../../provider/src/k8s/index.js';
import { loadChart } from '../../support/helmTemplate.js';

const CHART = join(import.meta.dirname, '..', '..', '..', 'charts', 'signgate');
const FILES = ['signer-deployment.yaml', 'signer-rules.yaml', 'signer-service.yaml', 'signer-rbac.yaml'];
const defaults = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;
const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as object);
const signerValues = (signer: Record<string, unknown>): Record<string, unknown> => ({ ...defaults, signer: { ...(defaults.signer as Record<string, unknown>), ...signer } });

type Doc = Record<string, unknown> & { kind: string; metadata: { name: string; namespace?: string } };
interface Rule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}

function render(signer: Record<string, unknown>): Doc[] {
  const chart = loadChart(CHART, { name: 'signgate', namespace: 'signgate-system', values: { signer } }, FILES);
  return FILES.flatMap((f) => chart.documents(f) as Doc[]);
}

const KUBE = { enabled: true, replicas: 2, kubernetes: { enabled: true, keySecrets: ['team-a-key'] } };

describe('charts/signgate: the signer with signer.kubernetes.enabled (SigningRule CRs, Lease, ConfigMap baselines)', () => {
  it('runs signer serve --kubernetes with the Lease named after the release, POD_NAME/POD_NAMESPACE from the downward API, no rules or state volume', () => {
    assert.equal(validate(signerValues(KUBE)), true, JSON.stringify(validate.errors));
    const docs = render(KUBE);
    const deployment = docs.find((d) => d.kind === 'Deployment') as unknown as { spec: { replicas: number; strategy: { type: string }; template: { spec: Record<string, unknown> & { containers: { args: string[]; env: Record<string, unknown>[]; volumeMounts: { name: string }[] }[]; volumes: { name: string }[] } } } };
    assert.equal(deployment.spec.replicas, 2);
    assert.equal(deployment.spec.strategy.type, 'RollingUpdate');
    const pod = deployment.spec.template.spec;
    assert.equal(pod.serviceAccountName, 'signgate-signer');
    assert.equal(pod.automountServiceAccountToken, true);
    const container = pod.containers[0];
    assert.ok(container);
    assert.ok(container.args.includes('--kubernetes'));
    assert.ok(container.args.includes('--lease-name=signgate-signer'));
    assert.ok(!container.args.some((a) => a.startsWith('--config') || a.startsWith('--state-dir')));
    assert.deepEqual(container.env.slice(0, 2), [
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    ]);
    assert.ok(!pod.volumes.some((v) => v.name === 'rules' || v.name === 'state'));
    assert.ok(!container.volumeMounts.some((v) => v.name === 'rules' || v.name === 'state'));
    assert.equal(docs.find((d) => d.kind === 'ConfigMap'), undefined, 'no rules ConfigMap: the rules are CRs');
  });

  it(`the Service selects the leader's Pod (${LEADER_LABEL}: "true") besides the signer labels`, () => {
    const service = render(KUBE).find((d) => d.kind === 'Service') as unknown as { spec: { selector: Record<string, string> } };
    assert.equal(service.spec.selector[LEADER_LABEL], 'true');
    assert.equal(service.spec.selector['app.kubernetes.io/component'], 'signer');
  });

  it('RBAC: SigningRules get/list/watch/patch, status, finalizers; the Lease by name (+ create), ConfigMaps, Pod patch, key Secrets by name', () => {
    const docs = render(KUBE);
    const cluster = docs.find((d) => d.kind === 'ClusterRole') as unknown as { rules: Rule[] };
    assert.deepEqual(cluster.rules.map((r) => [r.resources.join(), r.verbs.join()]), [['signingrules', 'get,list,watch,patch'], ['signingrules/status', 'get,patch,update'], ['signingrules/finalizers', 'update']]);
    const role = docs.find((d) => d.kind === 'Role') as unknown as Doc & { rules: Rule[] };
    assert.equal(role.metadata.namespace, 'signgate-system');
    const rules = role.rules.map((r) => [r.apiGroups.join(), r.resources.join(), (r.resourceNames ?? []).join(), r.verbs.join()]);
    assert.deepEqual(rules, [
      ['coordination.k8s.io', 'leases', 'signgate-signer', 'get,update'],
      ['coordination.k8s.io', 'leases', '', 'create'],
      ['', 'configmaps', '', 'get,create,update'],
      ['', 'pods', '', 'patch'],
      ['', 'secrets', 'team-a-key', 'get,list,watch'],
    ]);
    const bindings = docs.filter((d) => d.kind === 'RoleBinding' || d.kind === 'ClusterRoleBinding') as unknown as { subjects: { name: string; namespace: string }[] }[];
    assert.equal(bindings.length, 2);
    for (const b of bindings) assert.deepEqual(b.subjects, [{ kind: 'ServiceAccount', name: 'signgate-signer', namespace: 'signgate-system' }]);
  });

  it('without kubernetes.enabled nothing of this renders, and the schema refuses more than one replica', () => {
    const files = render({ enabled: true, rules: [{ name: 'r', spec: {} }] });
    assert.equal(files.find((d) => d.kind === 'Role' || d.kind === 'ServiceAccount'), undefined);
    assert.equal(validate(signerValues({ enabled: true, replicas: 2, rules: [{ name: 'r', spec: {} }] })), false);
    assert.ok(validate.errors?.some((e) => e.instancePath === '/signer/replicas' && e.keyword === 'maximum'), JSON.stringify(validate.errors));
    assert.equal(validate(signerValues({ enabled: true, kubernetes: { enabled: true, keySecrets: ['Not_A_Name'] } })), false);
  });
});
