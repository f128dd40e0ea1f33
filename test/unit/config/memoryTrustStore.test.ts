import assert from 'node:assert/strict';
import { createMemoryTrustStore, NotationError, readTrustedCertificates } from '../../../provider/src/notation/index.js';
import { removeTempDirs, testMaterial } from './helpers.js';

function assertNotation(code: string, message: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof NotationError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  };
}

describe('in-memory trust store: the folder store\'s rules over certificates from configuration', function () {
  this.timeout(30_000);
  after(removeTempDirs);

  it('answers named stores, dedupes certificates and counts distinct ones', async () => {
    const { pki, otherRoot } = await testMaterial();
    const roots = readTrustedCertificates(new TextEncoder().encode(pki.root.pem + pki.root.pem + otherRoot.pem), 'roots.pem');
    const store = createMemoryTrustStore([
      { type: 'ca', name: 'a', certificates: roots },
      { type: 'signingAuthority', name: 'a', certificates: roots.slice(0, 1) },
    ]);
    assert.equal(store.certificateCount, 2);
    assert.equal((await store.getCertificates('ca', 'a')).length, 2);
    assert.equal((await store.getCertificates('signingAuthority', 'a')).length, 1);
    await assert.rejects(store.getCertificates('ca', 'b'), assertNotation('TRUST_STORE_NOT_FOUND', /"ca:b" is not configured \(configured stores: ca:a, signingAuthority:a\)/));
  });

  it('reports an empty store at verification time with the hint of where certificates come from', async () => {
    const store = createMemoryTrustStore([{ type: 'ca', name: 'default', certificates: [], emptyHint: 'copy a PEM into /etc/certs' }]);
    assert.equal(store.certificateCount, 0);
    await assert.rejects(store.getCertificates('ca', 'default'), assertNotation('TRUST_STORE_INVALID', /"ca:default" has no certificates; copy a PEM into \/etc\/certs/));
  });

  it('refuses leaf certificates, non-root tsa certificates, bad names and duplicates, as the folder store does', async () => {
    const { pki } = await testMaterial();
    assert.throws(
      () => readTrustedCertificates(pki.leaf.der, 'leaf.der'),
      assertNotation('CERTIFICATE_INVALID', /leaf\.der holds certificate ".*signgate test signer.*", which is neither a CA certificate nor self-signed/),
    );
    const intermediate = readTrustedCertificates(pki.intermediate.der, 'intermediate.der');
    assert.throws(() => createMemoryTrustStore([{ type: 'tsa', name: 't', certificates: intermediate }]), assertNotation('TRUST_STORE_INVALID', /not a root CA certificate/));
    assert.throws(() => createMemoryTrustStore([{ type: 'ca', name: '../x', certificates: [] }]), assertNotation('TRUST_STORE_INVALID', /invalid name/));
    assert.throws(
      () => createMemoryTrustStore([{ type: 'ca', name: 'x', certificates: [] }, { type: 'ca', name: 'x', certificates: [] }]),
      assertNotation('TRUST_STORE_INVALID', /is defined twice/),
    );
  });
});
