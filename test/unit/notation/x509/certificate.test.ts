import assert from 'node:assert/strict';
import { NotationError, type NotationErrorCode } from '../../../../provider/src/notation/errors.js';
import { parseCertificate, parseCertificateFile } from '../../../../provider/src/notation/x509/index.js';
import { createKeyPair, createPki, issueCertificate, YEAR_MS, type Pki } from '../../../support/pki.js';

const AT = new Date('2025-06-01T00:00:00Z');

function throwsCode(fn: () => unknown, code: NotationErrorCode, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof NotationError, `expected NotationError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('notation/x509: parseCertificate', () => {
  let pki: Pki;
  before(async () => {
    pki = await createPki({ at: AT, leafSubject: 'CN=build bot,OU=CI,O=Example\\, Inc.,L=Seattle,ST=WA,C=US' });
  });

  it('reads the subject as an RFC 4514 string and as attributes with short type names', () => {
    const leaf = parseCertificate(pki.leaf.der);
    // @peculiar/x509 writes the RDNs in the order given (CN first); RFC 4514 prints the last RDN first.
    assert.equal(leaf.subject, 'C=US,ST=WA,L=Seattle,O=Example\\, Inc.,OU=CI,CN=build bot');
    assert.deepEqual(
      leaf.subjectAttributes.map((a) => `${a.type}=${a.value}`),
      ['CN=build bot', 'OU=CI', 'O=Example, Inc.', 'L=Seattle', 'ST=WA', 'C=US'],
    );
    assert.equal(leaf.issuer, 'C=US,ST=WA,O=signgate,CN=signgate test intermediate');
  });

  it('exposes validity, CA flag, self-signedness, fingerprint and the extensions the rules read', () => {
    const leaf = parseCertificate(pki.leaf.der);
    const root = parseCertificate(pki.root.der);
    const intermediate = parseCertificate(pki.intermediate.der);
    assert.deepEqual([leaf.notBefore, leaf.notAfter], [new Date(AT.getTime() - YEAR_MS), new Date(AT.getTime() + YEAR_MS)]);
    assert.deepEqual([leaf.isCA, intermediate.isCA, root.isCA], [false, true, true]);
    assert.deepEqual([leaf.selfSigned, intermediate.selfSigned, root.selfSigned], [false, false, true]);
    assert.match(leaf.fingerprint256, /^[0-9a-f]{64}$/);
    assert.equal(leaf.fingerprint256, leaf.x509.fingerprint256.replace(/:/g, '').toLowerCase());
    assert.deepEqual(leaf.keyUsage, { usages: ['digitalSignature'], critical: true });
    assert.deepEqual(leaf.extKeyUsage, { purposes: ['1.3.6.1.5.5.7.3.3'], critical: false });
    assert.deepEqual(intermediate.basicConstraints, { ca: true, critical: true, pathLen: 0 });
    assert.equal(leaf.signatureAlgorithm, 'ECDSA-SHA256');
    assert.equal(leaf.signatureHash, 'SHA-256');
    assert.deepEqual(leaf.publicKey, { type: 'ec', curve: 'prime256v1' });
    assert.equal(leaf.version, 3);
  });

  it('reports SHA-1 signatures and RSA key sizes', async () => {
    const weak = await issueCertificate({
      subject: 'CN=weak,O=signgate,ST=WA,C=US',
      key: await createKeyPair('rsa-1024', { shared: true }),
      issuer: pki.intermediate,
      notBefore: AT,
      notAfter: new Date(AT.getTime() + YEAR_MS),
      signatureHash: 'SHA-1',
    });
    const cert = parseCertificate(weak.der);
    assert.equal(cert.signatureHash, 'SHA-1');
    assert.deepEqual(cert.publicKey, { type: 'rsa', bits: 1024 });
  });

  it('returns the same frozen object for the same bytes (parsed once)', () => {
    const a = parseCertificate(pki.leaf.der);
    const b = parseCertificate(new Uint8Array(pki.leaf.der));
    assert.equal(a, b);
    assert.ok(Object.isFrozen(a));
  });

  it('rejects bytes that are not one DER certificate with CERTIFICATE_INVALID naming the certificate', () => {
    throwsCode(() => parseCertificate(new Uint8Array(), 'envelope certificate 1'), 'CERTIFICATE_INVALID', /envelope certificate 1 .*empty/);
    throwsCode(() => parseCertificate(new TextEncoder().encode('not a certificate')), 'CERTIFICATE_INVALID', /not one DER-encoded/);
    const trailing = new Uint8Array([...pki.leaf.der, 0x00]);
    throwsCode(() => parseCertificate(trailing), 'CERTIFICATE_INVALID', /not one DER-encoded/);
    const truncated = pki.leaf.der.subarray(0, pki.leaf.der.length - 10);
    throwsCode(() => parseCertificate(truncated), 'CERTIFICATE_INVALID');
    throwsCode(() => parseCertificate(new Uint8Array(70 * 1024)), 'CERTIFICATE_INVALID', /limit/);
  });
});

describe('notation/x509: parseCertificateFile', () => {
  let pki: Pki;
  before(async () => {
    pki = await createPki({ at: AT });
  });

  it('reads every certificate of a multi-certificate PEM file, in order', () => {
    const pem = `leading text is ignored\n${pki.leaf.pem}\n${pki.intermediate.pem}\r\n${pki.root.pem}`;
    const certs = parseCertificateFile(new TextEncoder().encode(pem), 'chain.pem');
    assert.deepEqual(
      certs.map((c) => c.fingerprint256),
      [pki.leaf, pki.intermediate, pki.root].map((c) => parseCertificate(c.der).fingerprint256),
    );
  });

  it('reads a DER file, including concatenated DER certificates', () => {
    assert.equal(parseCertificateFile(pki.root.der, 'root.cer').length, 1);
    const both = new Uint8Array([...pki.root.der, ...pki.intermediate.der]);
    assert.equal(parseCertificateFile(both, 'both.der').length, 2);
  });

  it('rejects empty files, non-certificate PEM blocks, bad base64 and garbage, naming the file', () => {
    throwsCode(() => parseCertificateFile(new Uint8Array(), 'empty.pem'), 'CERTIFICATE_INVALID', /"empty\.pem" contains no certificate/);
    const key = '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n';
    throwsCode(() => parseCertificateFile(new TextEncoder().encode(key), 'key.pem'), 'CERTIFICATE_INVALID', /PRIVATE KEY/);
    const bad = '-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n';
    throwsCode(() => parseCertificateFile(new TextEncoder().encode(bad), 'bad.pem'), 'CERTIFICATE_INVALID', /base64/);
    throwsCode(() => parseCertificateFile(new TextEncoder().encode('hello'), 'x.crt'), 'CERTIFICATE_INVALID', /neither PEM nor DER/);
  });
});
