/**
 * The chart's signing service (signer-*.yaml) from values: the README's examples ("Kubernetes: the signing service")
 * satisfy values.schema.json, their rules are SigningRules the CRD accepts, and they render the volumes, mounts, env
 * and flags of a PKCS#11 module and a Notation plugin folder; values the signer cannot run with are refused by the
 * schema. test/e2e/chart-signer-deployment.test.ts starts the rendered container.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { checkDocuments } from '../../../provider/src/config/index.js';
import { loadChart } from '../../support/helmTemplate.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const CHART = join(ROOT, 'charts', 'signgate');
const FILES = ['deployment.yaml', 'signer-deployment.yaml', 'signer-rules.yaml', 'signer-service.yaml'];
const defaults = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;
const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as object);

interface Volume {
  name: string;
  [source: string]: unknown;
}
interface Container {
  command: string[];
  args: string[];
  env?: Record<string, unknown>[];
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
  securityContext: Record<string, unknown>;
}
interface PodSpec {
  containers: Container[];
  volumes: Volume[];
  securityContext: Record<string, unknown>;
  automountServiceAccountToken?: boolean;
}
interface Deployment {
  spec: { replicas: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
}

/** The YAML examples of the README section "Kubernetes: the signing service" (values files with a signer key). */
function readmeExamples(): Record<string, unknown>[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Kubernetes: the signing service\n');
  assert.ok(start >= 0, 'README has the section "Kubernetes: the signing service"');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1] ?? '') as Record<string, unknown>);
}

function merged(signer: Record<string, unknown>): Record<string, unknown> {
  return { ...defaults, signer: { ...(defaults.signer as Record<string, unknown>), ...signer } };
}

function render(signer: Record<string, unknown>): { deployment: Deployment | undefined; provider: Deployment; rules: Record<string, string> | undefined; service: Record<string, unknown> | undefined } {
  const chart = loadChart(CHART, { name: 'signgate', namespace: 'signgate-system', values: { signer } }, FILES);
  const kind = (file: string, k: string): Record<string, unknown> | undefined => chart.documents(file).find((d) => d.kind === k);
  return {
    deployment: kind('signer-deployment.yaml', 'Deployment') as Deployment | undefined,
    provider: kind('deployment.yaml', 'Deployment') as unknown as Deployment,
    rules: (kind('signer-rules.yaml', 'ConfigMap') as { data: Record<string, string> } | undefined)?.data,
    service: kind('signer-service.yaml', 'Service'),
  };
}

const example = (pick: (e: Record<string, unknown>) => boolean): Record<string, unknown> => {
  const found = readmeExamples().find(pick);
  assert.ok(found, 'the README example exists');
  return found.signer as Record<string, unknown>;
};
const has = (key: string) => (e: Record<string, unknown>): boolean => key in (e.signer as Record<string, unknown>);

describe('charts/signgate: the signing service (signer-*.yaml)', () => {
  it('is off by default: nothing of the signer renders', () => {
    const r = render({});
    assert.equal(r.deployment, undefined);
    assert.equal(r.rules, undefined);
    assert.equal(r.service, undefined);
  });

  it("the README's examples satisfy values.schema.json and their rules are SigningRules the CRD accepts", async () => {
    const examples = readmeExamples();
    assert.equal(examples.length, 4, 'key file, PKCS#11, Notation plugin and --kubernetes examples');
    for (const e of examples) {
      const signer = e.signer as Record<string, unknown>;
      assert.equal(validate(merged(signer)), true, JSON.stringify(validate.errors));
      if ((signer.kubernetes as { enabled?: boolean } | undefined)?.enabled === true) continue; // rules are CRs (signerKubernetes.test.ts)
      const rules = render(signer).rules ?? {};
      assert.ok(Object.keys(rules).length > 0);
      for (const [file, text] of Object.entries(rules)) assert.deepEqual(await checkDocuments([{ file, document: 0, value: parse(text) as unknown }]), [], file);
    }
  });

  it('runs `signgate signer serve` (not the image ENTRYPOINT), non-root on a read-only root, its pods outside the provider selector', () => {
    const r = render(example(has('secrets')));
    assert.ok(r.deployment && r.service);
    const pod = r.deployment.spec.template;
    const container = pod.spec.containers[0] as Container;
    assert.deepEqual(container.command.slice(-2), ['signer', 'serve']);
    assert.deepEqual(container.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
    assert.deepEqual(pod.spec.securityContext.seccompProfile, { type: 'RuntimeDefault' });
    assert.equal(pod.spec.automountServiceAccountToken, false);
    assert.equal(r.deployment.spec.replicas, 1);
    const providerSelector = Object.entries(r.provider.spec.selector.matchLabels);
    assert.ok(!providerSelector.every(([k, v]) => pod.metadata.labels[k] === v), "the provider's Deployment and Service do not select signer pods");
    assert.deepEqual((r.service.spec as { selector: unknown }).selector, r.deployment.spec.selector.matchLabels);
    const volumes = Object.fromEntries(pod.spec.volumes.map((v) => [v.name, v]));
    assert.deepEqual(volumes['state'], { name: 'state', persistentVolumeClaim: { claimName: 'signgate-signer-state' } });
    assert.deepEqual(volumes['secret-team-a-key'], { name: 'secret-team-a-key', secret: { secretName: 'team-a-key' } });
    assert.deepEqual(volumes['token'], { name: 'token', secret: { secretName: 'signgate-signer-token', items: [{ key: 'token', path: 'token' }] } });
    assert.ok(container.args.includes('--token-file=/etc/signgate/token/token'));
    assert.ok(!container.args.some((a) => a.startsWith('--plugin-')));
    assert.equal(container.env, undefined);
  });

  it('a PKCS#11 module: its volume, configuration file and PIN are mounted, and named by the env', () => {
    const r = render(example(has('pkcs11')));
    assert.ok(r.deployment);
    const spec = r.deployment.spec.template.spec;
    const container = spec.containers[0] as Container;
    const volumes = Object.fromEntries(spec.volumes.map((v) => [v.name, v]));
    assert.deepEqual(volumes['pkcs11-module'], { name: 'pkcs11-module', persistentVolumeClaim: { claimName: 'softhsm-lib', readOnly: true } });
    assert.deepEqual(volumes['pkcs11-config'], { name: 'pkcs11-config', configMap: { name: 'softhsm2-conf' } });
    assert.deepEqual(volumes['pkcs11-pin'], { name: 'pkcs11-pin', secret: { secretName: 'hsm-pin', items: [{ key: 'pin', path: 'pin' }] } });
    assert.deepEqual(volumes['softhsm-tokens'], { name: 'softhsm-tokens', persistentVolumeClaim: { claimName: 'softhsm-tokens' } });
    const mounts = Object.fromEntries(container.volumeMounts.map((m) => [m.name, m]));
    assert.deepEqual(mounts['pkcs11-module'], { name: 'pkcs11-module', mountPath: '/opt/pkcs11', readOnly: true });
    assert.deepEqual(mounts['pkcs11-config'], { name: 'pkcs11-config', mountPath: '/etc/signgate/pkcs11', readOnly: true });
    assert.deepEqual(mounts['pkcs11-pin'], { name: 'pkcs11-pin', mountPath: '/etc/signgate/pkcs11-pin', readOnly: true });
    assert.deepEqual(mounts['softhsm-tokens'], { name: 'softhsm-tokens', mountPath: '/var/lib/softhsm/tokens' });
    assert.deepEqual(container.env, [
      { name: 'SIGNGATE_PKCS11_MODULE', value: '/opt/pkcs11/libsofthsm2.so' },
      { name: 'SOFTHSM2_CONF', value: '/etc/signgate/pkcs11/softhsm2.conf' },
    ]);
    assert.ok(!container.args.some((a) => a.startsWith('--plugin-')));
  });

  it('a Notation plugin folder: its volume is mounted read-only at the --plugin-dir, --plugin-env names what the plugin sees', () => {
    const r = render(example(has('notationPlugins')));
    assert.ok(r.deployment);
    const spec = r.deployment.spec.template.spec;
    const container = spec.containers[0] as Container;
    assert.deepEqual(
      spec.volumes.find((v) => v.name === 'notation-plugins'),
      { name: 'notation-plugins', persistentVolumeClaim: { claimName: 'notation-plugins', readOnly: true } },
    );
    assert.deepEqual(container.volumeMounts.find((m) => m.name === 'notation-plugins'), { name: 'notation-plugins', mountPath: '/etc/signgate/notation/plugins', readOnly: true });
    assert.deepEqual(
      container.args.filter((a) => a.startsWith('--plugin-')),
      ['--plugin-dir=/etc/signgate/notation/plugins', '--plugin-env=ALIBABA_CLOUD_ACCESS_KEY_ID', '--plugin-env=ALIBABA_CLOUD_ACCESS_KEY_SECRET', '--plugin-env=ALIBABA_CLOUD_REGION'],
    );
    assert.deepEqual(container.env?.map((e) => e.name), ['ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'ALIBABA_CLOUD_REGION']);
    assert.equal(spec.volumes.some((v) => v.name.startsWith('pkcs11-')), false);
  });

  it('values.schema.json refuses what the signer cannot run with', () => {
    const base = example(has('secrets'));
    const refused = (signer: Record<string, unknown>, why: string): void => assert.equal(validate(merged({ ...base, ...signer })), false, why);
    refused({ replicas: 2 }, 'two signers before leader election');
    refused({ rules: [] }, 'enabled without rules or an existing ConfigMap');
    refused({ rules: [{ name: '-team', spec: { registry: 'r.example', namespace: 'a', key: {} } }] }, "a rule name against TCR's rule");
    refused({ rules: [{ name: 'team-a' }] }, 'a rule without spec');
    refused({ secrets: ['team.key'] }, 'a Secret name that is no volume name');
    refused({ pkcs11: { ...(defaults.signer as { pkcs11: object }).pkcs11, config: { secretName: 'a', configMapName: 'b', file: 'x.conf', env: 'X' } } }, 'pkcs11 config from a Secret and a ConfigMap');
    refused({ pkcs11: { ...(defaults.signer as { pkcs11: object }).pkcs11, moduleVolume: { hostPath: { path: '/a' }, emptyDir: {} } } }, 'two volume sources');
    refused({ notationPlugins: { volume: {}, mountPath: '/p', env: ['NOT-A-NAME'] } }, 'an environment variable name');
    refused({ resyncInterval: 'often' }, 'a duration');
    refused({ unknownKey: true }, 'an unknown value');
    refused({ existingRulesConfigMap: 'my-rules' }, 'rules and an existing ConfigMap: the rules would be ignored');
    assert.equal(validate(merged({ ...base, rules: [], existingRulesConfigMap: 'my-rules' })), true, 'an existing rules ConfigMap instead of rules');
  });
});
