import assert from 'node:assert/strict';
import { checkDocuments, type SourceDocument } from '../../../provider/src/config/index.js';

const API = 'config.signgate.dev/v1alpha1';

function storeDoc(parameters: Record<string, unknown>, kind = 'Store', namespace?: string): SourceDocument {
  const metadata = namespace === undefined ? { name: 'oras' } : { name: 'oras', namespace };
  return { file: 'store.yaml', document: 1, value: { apiVersion: API, kind, metadata, spec: { type: 'oras', parameters } } };
}

const problems = async (doc: SourceDocument): Promise<[string, string, string][]> =>
  (await checkDocuments([doc])).map((i) => [i.code, i.path, i.reason]);

describe('crds: Store spec.parameters.authProvider (Ratify k8Secrets shape)', () => {
  it('accepts {name: k8Secrets, secrets: [{secretName, namespace}]} on Store and NamespacedStore', async () => {
    const secrets = [{ secretName: 'registry-pull', namespace: 'signgate-system' }, { secretName: 'mirror.pull', namespace: 'mirrors' }];
    assert.deepEqual(await problems(storeDoc({ authProvider: { name: 'k8Secrets', secrets } })), []);
    const own = [{ secretName: 'registry-pull', namespace: 'team-a' }, { secretName: 'mirror.pull' }];
    assert.deepEqual(await problems(storeDoc({ authProvider: { name: 'k8Secrets', secrets: own } }, 'NamespacedStore', 'team-a')), []);
  });

  it('rejects other auth providers, a missing or empty secrets list, bad names and unknown fields, naming the field', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ name: 'azureWorkloadIdentity', secrets: [{ secretName: 'a' }] }, 'spec.parameters.authProvider.name', /must be one of "k8Secrets", got the string "azureWorkloadIdentity"/],
      [{ name: 'k8Secrets' }, 'spec.parameters.authProvider.secrets', /is required/],
      [{ name: 'k8Secrets', secrets: [] }, 'spec.parameters.authProvider.secrets', /fewer than 1/],
      [{ name: 'k8Secrets', secrets: [{ namespace: 'ns' }] }, 'spec.parameters.authProvider.secrets[0].secretName', /is required/],
      [{ name: 'k8Secrets', secrets: [{ secretName: 'Pull_Secret' }] }, 'spec.parameters.authProvider.secrets[0].secretName', /pattern/],
      [{ name: 'k8Secrets', secrets: [{ secretName: 'a', namespace: 'a.b' }] }, 'spec.parameters.authProvider.secrets[0].namespace', /pattern/],
      [{ name: 'k8Secrets', secrets: [{ secretName: 'a', name: 'b' }] }, 'spec.parameters.authProvider.secrets[0].name', /not a known field; the fields allowed here are: secretName, namespace/],
    ];
    for (const [authProvider, path, reason] of cases) {
      const found = await problems(storeDoc({ authProvider }));
      assert.equal(found.length, 1, `${JSON.stringify(authProvider)}: ${JSON.stringify(found)}`);
      assert.equal(found[0]?.[0], 'CONFIG_SCHEMA');
      assert.equal(found[0]?.[1], path);
      assert.match(found[0]?.[2] ?? '', reason);
    }
  });
});
