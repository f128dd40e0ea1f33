/**
 * The chart's signer RBAC for SigningRule registry credentials (`spec.registryCredentials.authProvider`): the
 * dockerconfigjson Secrets named in `signer.kubernetes.registrySecrets` are readable by name, beside the key Secrets,
 * each name once; nothing else of the namespace's Secrets.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { loadChart } from '../../support/helmTemplate.js';

const CHART = join(import.meta.dirname, '..', '..', '..', 'charts', 'signgate');
const defaults = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as { signer: Record<string, unknown> };
const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as object);

interface Rule {
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}

/** The Role's rules on Secrets for `kubernetes` values. */
function secretRules(kubernetes: Record<string, unknown>): Rule[] {
  const chart = loadChart(CHART, { name: 'signgate', namespace: 'signgate-system', values: { signer: { enabled: true, kubernetes: { enabled: true, ...kubernetes } } } }, ['signer-rbac.yaml']);
  const role = (chart.documents('signer-rbac.yaml') as { kind: string; rules: Rule[] }[]).find((d) => d.kind === 'Role');
  assert.ok(role, 'the signer Role renders');
  return role.rules.filter((r) => r.resources.includes('secrets'));
}

describe('charts/signgate: signer.kubernetes.registrySecrets (SigningRule authProvider Secrets readable by name)', () => {
  it('defaults to none: no Secret is readable without a name', () => {
    assert.deepEqual(defaults.signer.kubernetes, { enabled: false, keySecrets: [], registrySecrets: [] });
    assert.deepEqual(secretRules({}), []);
  });

  it('grants get/list/watch on exactly the named Secrets, key and registry ones together, each name once', () => {
    assert.deepEqual(
      secretRules({ keySecrets: ['team-a-key'], registrySecrets: ['registry-push', 'team-a-key'] }).map((r) => [r.resourceNames, r.verbs]),
      [[['team-a-key', 'registry-push'], ['get', 'list', 'watch']]],
    );
    assert.deepEqual(secretRules({ registrySecrets: ['registry-push'] }).map((r) => r.resourceNames), [['registry-push']]);
  });

  it('the schema takes Secret names only', () => {
    const values = (registrySecrets: unknown): Record<string, unknown> => ({ ...defaults, signer: { ...defaults.signer, enabled: true, kubernetes: { enabled: true, registrySecrets } } });
    assert.equal(validate(values(['registry-push'])), true, JSON.stringify(validate.errors));
    assert.equal(validate(values(['Not_A_Name'])), false);
    assert.ok(validate.errors?.some((e) => e.instancePath === '/signer/kubernetes/registrySecrets/0' && e.keyword === 'pattern'), JSON.stringify(validate.errors));
    assert.equal(validate(values('registry-push')), false);
  });
});
