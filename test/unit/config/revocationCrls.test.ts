/** Verifier spec.parameters.revocation.crlFiles: files and folders read at load, errors with the field path. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadConfigFromFiles } from '../../../provider/src/config/index.js';
import { createRevocationPki, type RevocationPki } from '../../support/revocation.js';
import { requireComponent } from '../../support/requirements.js';
import { rejectsWith, removeTempDirs, tempDir, testMaterial, writeFiles } from './helpers.js';

function yaml(pem: string, crlFiles: string): string {
  return `apiVersion: config.signgate.dev/v1alpha1
kind: KeyManagementProvider
metadata: {name: certs}
spec: {type: inline, parameters: {contentType: certificate, value: ${JSON.stringify(pem)}}}
---
apiVersion: config.signgate.dev/v1alpha1
kind: Verifier
metadata: {name: notation}
spec:
  type: notation
  parameters:
    verificationCertStores: {ca: {store: [certs]}}
    revocation: {crlFiles: ${crlFiles}}
    trustPolicyDoc: {version: "1.0", trustPolicies: [{name: d, registryScopes: ["*"], signatureVerification: {level: strict}, trustStores: ["ca:store"], trustedIdentities: ["*"]}]}
`;
}

describe('config: Verifier revocation.crlFiles', function () {
  this.timeout(60_000);
  let pki: RevocationPki;
  let crl: Uint8Array;
  before(async function () {
    requireComponent(this, 'openssl');
    pki = await createRevocationPki();
    crl = await pki.intermediate.crl();
  });
  after(async () => {
    await pki?.close();
    await removeTempDirs();
  });

  it('reads CRL files and folders (relative to the config file) into the VerifierConfig', async () => {
    const { pki: certs } = await testMaterial();
    const dir = await tempDir();
    await writeFiles(dir, {
      'crls/a.crl': crl,
      'crls/b.pem': `-----BEGIN X509 CRL-----\n${Buffer.from(crl).toString('base64')}\n-----END X509 CRL-----\n`,
      'crls/notes.txt': 'not read',
      'single.der': crl,
      'signgate.yaml': yaml(certs.root.pem, '[crls, single.der]'),
    });
    const config = await loadConfigFromFiles([join(dir, 'signgate.yaml')], { generation: 1 });
    const crls = config.cluster?.verifiers[0]?.crls ?? [];
    assert.deepEqual(crls.map((c) => c.source.replace(dir, '')), ['file /crls/a.crl', 'file /crls/b.pem', 'file /single.der']);
  });

  it('rejects a missing path and a file that is not a CRL, naming the field', async () => {
    const { pki: certs } = await testMaterial();
    const dir = await tempDir();
    await writeFiles(dir, { 'bad.crl': 'hello', 'missing.yaml': yaml(certs.root.pem, '[nothing.crl]'), 'bad.yaml': yaml(certs.root.pem, '[bad.crl]') });
    const missing = await rejectsWith(loadConfigFromFiles([join(dir, 'missing.yaml')], { generation: 1 }), 'CONFIG_UNREADABLE', 'spec.parameters.revocation.crlFiles[0]');
    assert.match(missing.reason, /does not exist \(.*nothing\.crl\)/);
    const bad = await rejectsWith(loadConfigFromFiles([join(dir, 'bad.yaml')], { generation: 1 }), 'CONFIG_CERTIFICATE', 'spec.parameters.revocation.crlFiles[0]');
    assert.match(bad.reason, /the CRL from file .*bad\.crl is not a valid DER X\.509 CRL/);
  });
});
