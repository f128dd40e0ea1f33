import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { loadConfigFromDocuments, loadConfigFromFiles, type SecretReference } from '../../../provider/src/config/index.js';
import { rejectsWith, removeTempDirs, tempDir, testMaterial, writeFiles } from './helpers.js';

const HEAD = 'apiVersion: config.signgate.dev/v1alpha1\n';
const fingerprint = (der: Uint8Array): string => createHash('sha256').update(der).digest('hex');

function kmp(name: string, parameters: string, type = 'file'): string {
  return `${HEAD}kind: KeyManagementProvider\nmetadata: {name: ${name}}\nspec: {type: ${type}, parameters: ${parameters}}\n---\n`;
}

function verifier(stores: string, trustStores: string): string {
  return `${HEAD}kind: Verifier
metadata: {name: notation}
spec:
  type: notation
  parameters:
    verificationCertStores: ${stores}
    trustPolicyDoc: {version: "1.0", trustPolicies: [{name: p, registryScopes: ["*"], signatureVerification: {level: strict}, trustStores: ${trustStores}, trustedIdentities: ["*"]}]}
`;
}

describe('config KeyManagementProviders: inline, files, folders, Notation trust stores, secrets', function () {
  this.timeout(30_000);
  after(removeTempDirs);

  it('reads a PEM file with several certificates, a DER file and a folder (relative to the config file)', async () => {
    const { pki, otherRoot } = await testMaterial();
    const dir = await tempDir();
    await writeFiles(dir, {
      'certs/chain.pem': pki.root.pem + pki.intermediate.pem,
      'certs/other.der': otherRoot.der,
      'more/a.crt': otherRoot.pem,
      'more/README.md': 'ignored',
      'more/.hidden.pem': 'ignored too',
      'conf/signgate.yaml':
        kmp('files', '{paths: [../certs/chain.pem, ../certs/other.der]}') +
        kmp('folder', '{paths: [../more]}') +
        verifier('{ca: {files: [files], folder: [folder]}}', '["ca:files", "ca:folder"]'),
    });
    const config = await loadConfigFromFiles([join(dir, 'conf', 'signgate.yaml')], { generation: 1 });
    const v = config.cluster?.verifiers[0];
    assert.ok(v);
    const files = await v.trustStore.getCertificates('ca', 'files');
    assert.deepEqual(
      files.map((c) => c.fingerprint256),
      [pki.root.der, pki.intermediate.der, otherRoot.der].map(fingerprint),
    );
    const folder = await v.trustStore.getCertificates('ca', 'folder');
    assert.deepEqual(folder.map((c) => c.fingerprint256), [fingerprint(otherRoot.der)]);
    assert.equal(v.certificateCount, 3, 'distinct certificates across stores');
  });

  it('reads a Notation trust-store folder: store ca:<name> comes from x509/ca/<name>/', async () => {
    const { pki, otherRoot } = await testMaterial();
    const dir = await tempDir();
    await writeFiles(dir, {
      'truststore/x509/ca/acme/root.pem': pki.root.pem,
      'truststore/x509/signingAuthority/acme/other.pem': otherRoot.pem,
      'signgate.yaml':
        kmp('notation-ts', '{trustStorePath: truststore}') +
        verifier('{ca: {acme: [notation-ts]}, signingAuthority: {acme: [notation-ts]}}', '["ca:acme", "signingAuthority:acme"]'),
    });
    const v = (await loadConfigFromFiles([join(dir, 'signgate.yaml')], { generation: 1 })).cluster?.verifiers[0];
    assert.ok(v);
    assert.deepEqual((await v.trustStore.getCertificates('ca', 'acme')).map((c) => c.fingerprint256), [fingerprint(pki.root.der)]);
    assert.deepEqual(
      (await v.trustStore.getCertificates('signingAuthority', 'acme')).map((c) => c.fingerprint256),
      [fingerprint(otherRoot.der)],
    );
    assert.equal(v.certificateCount, 2);
  });

  it('rejects a Notation trust-store folder without the named store, naming the folder to create', async () => {
    const dir = await tempDir();
    await writeFiles(dir, {
      'truststore/x509/ca/.keep': '',
      'signgate.yaml': kmp('notation-ts', '{trustStorePath: truststore}') + verifier('{ca: {acme: [notation-ts]}}', '["ca:acme"]'),
    });
    const issue = await rejectsWith(
      loadConfigFromFiles([join(dir, 'signgate.yaml')], { generation: 1 }),
      'CONFIG_CERTIFICATE',
      'spec.parameters.verificationCertStores.ca.acme[0]',
    );
    assert.equal(issue.kind, 'Verifier');
    assert.match(issue.reason, /trust store "ca:acme" does not exist: directory .*x509\/ca\/acme is missing/);
  });

  it('allows an empty certificate folder (nothing verifies) but rejects a named file that is missing or not a certificate', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'empty/README.md': 'drop PEM files here', 'bad.pem': 'hello' });
    const ok = await loadConfigFromFiles(
      [await fileWith(dir, 'ok.yaml', kmp('k', '{paths: [empty]}') + verifier('{ca: {s: [k]}}', '["ca:s"]'))],
      { generation: 1 },
    );
    assert.equal(ok.cluster?.verifiers[0]?.certificateCount, 0);

    const missing = await rejectsWith(
      loadConfigFromFiles([await fileWith(dir, 'missing.yaml', kmp('k', '{paths: [nothing.pem]}'))], { generation: 1 }),
      'CONFIG_UNREADABLE',
      'spec.parameters.paths[0]',
    );
    assert.match(missing.reason, /does not exist \(.*nothing\.pem\)/);
    const bad = await rejectsWith(
      loadConfigFromFiles([await fileWith(dir, 'bad.yaml', kmp('k', '{paths: [empty, bad.pem]}'))], { generation: 1 }),
      'CONFIG_CERTIFICATE',
      'spec.parameters.paths[1]',
    );
    assert.match(bad.reason, /bad\.pem" is neither PEM nor DER/);
  });

  it('reads type secret through the resolver the Kubernetes source supplies', async () => {
    const { pki } = await testMaterial();
    const asked: SecretReference[] = [];
    const documents = [
      {
        file: 'KeyManagementProvider/from-secret',
        document: 1,
        value: {
          apiVersion: 'config.signgate.dev/v1alpha1',
          kind: 'KeyManagementProvider',
          metadata: { name: 'from-secret', uid: 'abc', generation: 3 },
          spec: { type: 'secret', parameters: { secretRef: { name: 'roots', namespace: 'signgate-system' } } },
        },
      },
      {
        file: 'Verifier/notation',
        document: 1,
        value: {
          apiVersion: 'config.signgate.dev/v1alpha1',
          kind: 'Verifier',
          metadata: { name: 'notation' },
          spec: {
            type: 'notation',
            parameters: {
              verificationCertStores: { ca: { roots: ['from-secret'] } },
              trustPolicyDoc: {
                version: '1.0',
                trustPolicies: [{ name: 'p', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:roots'], trustedIdentities: ['*'] }],
              },
            },
          },
          status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Accepted', message: '', lastTransitionTime: '2025-11-01T00:00:00Z' }] },
        },
      },
    ];
    const config = await loadConfigFromDocuments(documents, {
      generation: 4,
      resolveSecret: async (ref) => {
        asked.push(ref);
        return [{ key: 'root.crt', bytes: new TextEncoder().encode(pki.root.pem) }];
      },
    });
    assert.deepEqual(asked, [{ namespace: 'signgate-system', name: 'roots' }]);
    assert.equal(config.cluster?.verifiers[0]?.certificateCount, 1);
  });

  it('builds the Store: CA file normalized to PEM, base64 caBundle, Docker config path, plain-HTTP hosts', async () => {
    const { pki, otherRoot } = await testMaterial();
    const dir = await tempDir();
    await writeFiles(dir, { 'registry-ca.der': otherRoot.der, 'docker/config.json': '{}' });
    const store = (name: string, parameters: string): string => `${HEAD}kind: Store\nmetadata: {name: ${name}}\nspec: {type: oras, parameters: ${parameters}}\n`;
    const base = kmp('k', `{value: ${JSON.stringify(pki.root.pem)}}`, 'inline') + verifier('{ca: {s: [k]}}', '["ca:s"]') + '---\n';

    const fromFile = await loadConfigFromFiles(
      [await fileWith(dir, 'a.yaml', base + store('a', '{caFile: registry-ca.der, dockerConfig: docker/config.json, plainHttp: [Registry.Local:5000, registry.local:05000, "REG.lan:443", "[0::1]:080"], ttl: 0, cacheEnabled: false, maxBlobBytes: 2048}'))],
      { generation: 1 },
    );
    const s = fromFile.cluster?.store;
    assert.ok(s);
    assert.equal(s.caBundle, otherRoot.pem.replace(/\r\n/g, '\n').trim() + '\n');
    assert.equal(s.dockerConfigPath, join(dir, 'docker', 'config.json'));
    // one canonical spelling per host (oci/reference): case, port zeros, :443 and IPv6 text folded, duplicates merged
    assert.deepEqual(s.plainHttpHosts, ['registry.local:5000', 'reg.lan', '[::1]:80']);
    assert.deepEqual([s.ttlSeconds, s.cacheEnabled, s.maxBlobBytes], [0, false, 2048]);

    const b64 = Buffer.from(pki.root.pem).toString('base64');
    const fromBundle = await loadConfigFromFiles([await fileWith(dir, 'b.yaml', base + store('b', `{caBundle: ${b64}}`))], { generation: 1 });
    assert.match(fromBundle.cluster?.store.caBundle ?? '', /^-----BEGIN CERTIFICATE-----\n/);

    await rejectsWith(
      loadConfigFromFiles([await fileWith(dir, 'c.yaml', base + store('c', '{caBundle: "not a certificate"}'))], { generation: 1 }),
      'CONFIG_CERTIFICATE',
      'spec.parameters.caBundle',
    );
    await rejectsWith(
      loadConfigFromFiles([await fileWith(dir, 'd.yaml', base + store('d', '{caFile: registry-ca.der, caBundle: x}'))], { generation: 1 }),
      'CONFIG_INVALID',
      'spec.parameters.caBundle',
    );
    await rejectsWith(
      loadConfigFromFiles([await fileWith(dir, 'e.yaml', base + store('e', '{dockerConfig: nowhere.json}'))], { generation: 1 }),
      'CONFIG_UNREADABLE',
      'spec.parameters.dockerConfig',
    );
    const badHost = await rejectsWith(
      loadConfigFromFiles([await fileWith(dir, 'f.yaml', base + store('f', "{plainHttp: [ok.lan, 'bad.lan:99999']}"))], { generation: 1 }),
      'CONFIG_INVALID',
      'spec.parameters.plainHttp[1]',
    );
    assert.match(badHost.reason, /port 99999 .* out of range/);
  });
});

async function fileWith(dir: string, name: string, text: string): Promise<string> {
  await writeFiles(dir, { [name]: text.replace(/---\n$/, '') });
  return join(dir, name);
}
