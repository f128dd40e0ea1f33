import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { NotationError } from '../../../../provider/src/notation/errors.js';
import { timestampWindow, verifyTimestampToken } from '../../../../provider/src/notation/timestamp/index.js';
import { parseCertificate, type Certificate } from '../../../../provider/src/notation/x509/index.js';
import { createKeyPair, createPki, EKU, YEAR_MS } from '../../../support/pki.js';
import { createTestTsa, TSA_OID, type TestTsa } from '../../../support/tsa.js';

const AT = new Date('2025-06-01T00:00:00Z');

function invalid(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof NotationError, `expected NotationError, got ${String(err)}`);
    assert.equal(err.code, 'TIMESTAMP_INVALID', err.message);
    assert.match(err.message, message);
    return true;
  });
}

describe('notation/timestamp: verifyTimestampToken with a test TSA', () => {
  let tsa: TestTsa;
  let roots: Certificate[];
  const signature = new Uint8Array(randomBytes(256));

  before(async () => {
    tsa = await createTestTsa({ at: AT });
    roots = [parseCertificate(tsa.root.der)];
  });

  it('verifies a good token: genTime, accuracy and the TSA chain up to the trusted root', () => {
    const ts = verifyTimestampToken(tsa.timestamp(signature, { genTime: AT, accuracySeconds: 2 }), signature, roots);
    assert.equal(ts.genTime.toISOString(), AT.toISOString());
    assert.equal(ts.accuracyMs, 2000);
    assert.deepEqual(
      ts.tsaChain.map((c) => c.fingerprint256),
      [tsa.leaf, tsa.intermediate, tsa.root].map((c) => parseCertificate(c.der).fingerprint256),
    );
  });

  it('ends the chain at the store root when the token omits the root', () => {
    const ts = verifyTimestampToken(tsa.timestamp(signature, { genTime: AT, includeRoot: false }), signature, roots);
    assert.equal(ts.tsaChain[2], roots[0]);
  });

  it('accepts SHA-384 and SHA-512 imprints and the ESS v1 signingCertificate attribute', () => {
    for (const hash of ['SHA-384', 'SHA-512'] as const) {
      verifyTimestampToken(tsa.timestamp(signature, { genTime: AT, hash }), signature, roots);
    }
    verifyTimestampToken(tsa.timestamp(signature, { genTime: AT, ess: 'v1' }), signature, roots);
  });

  it('verifies RSA tokens signed with PKCS#1 v1.5 and with RSASSA-PSS', async () => {
    for (const pss of [false, true]) {
      const rsa = await createTestTsa({ at: AT, key: 'rsa-2048', pss });
      verifyTimestampToken(rsa.timestamp(signature, { genTime: AT }), signature, [parseCertificate(rsa.root.der)]);
    }
  });

  it('takes one second of accuracy for the baseline policy without an explicit accuracy, zero otherwise', () => {
    const baseline = tsa.timestamp(signature, { genTime: AT, accuracySeconds: 0, policy: TSA_OID.baselinePolicy });
    assert.equal(verifyTimestampToken(baseline, signature, roots).accuracyMs, 1000);
    const other = tsa.timestamp(signature, { genTime: AT, accuracySeconds: 0 });
    assert.equal(verifyTimestampToken(other, signature, roots).accuracyMs, 0);
  });

  it('computes the timestamp window [genTime - accuracy, genTime + accuracy]', () => {
    const w = timestampWindow(verifyTimestampToken(tsa.timestamp(signature, { genTime: AT, accuracySeconds: 3 }), signature, roots));
    assert.deepEqual([w.lowerLimit, w.upperLimit], [new Date(AT.getTime() - 3000), new Date(AT.getTime() + 3000)]);
  });

  it('rejects a token issued for other bytes (messageImprint)', () => {
    invalid(() => verifyTimestampToken(tsa.timestamp(signature, { genTime: AT }), new Uint8Array(randomBytes(256)), roots), /messageImprint/);
    invalid(() => verifyTimestampToken(tsa.timestamp(signature, { genTime: AT, tamper: { imprint: true } }), signature, roots), /messageImprint/);
  });

  it('rejects a TSTInfo altered after signing (messageDigest)', () => {
    invalid(
      () => verifyTimestampToken(tsa.timestamp(signature, { genTime: AT, tamper: { tstInfo: true } }), signature, roots),
      /messageDigest signed attribute does not match the TSTInfo/,
    );
  });

  it('rejects a wrong CMS signature and a signature by another key', async () => {
    invalid(
      () => verifyTimestampToken(tsa.timestamp(signature, { genTime: AT, tamper: { signature: true } }), signature, roots),
      /CMS signature does not verify/,
    );
    const other = await createKeyPair('ec-p256');
    invalid(
      () => verifyTimestampToken(tsa.timestamp(signature, { genTime: AT, tamper: { signWith: other.privateKey } }), signature, roots),
      /CMS signature does not verify/,
    );
  });

  it('rejects tokens whose signer certificate cannot be found or does not match the ESS hash', () => {
    invalid(
      () => verifyTimestampToken(tsa.timestamp(signature, { genTime: AT, tamper: { omitCertificates: true } }), signature, roots),
      /signing certificate was not found in the timestamp token/,
    );
    invalid(
      () => verifyTimestampToken(tsa.timestamp(signature, { genTime: AT, tamper: { essCertHash: true } }), signature, roots),
      /does not match the certHash/,
    );
    invalid(
      () => verifyTimestampToken(tsa.timestamp(signature, { genTime: AT, ess: 'none' }), signature, roots),
      /neither the signingCertificateV2 nor the signingCertificate/,
    );
  });

  it('rejects a token whose eContentType is not id-ct-TSTInfo', () => {
    invalid(
      () => verifyTimestampToken(tsa.timestamp(signature, { genTime: AT, tamper: { contentType: TSA_OID.data } }), signature, roots),
      /eContentType is 1\.2\.840\.113549\.1\.7\.1, not id-ct-TSTInfo/,
    );
  });

  it('rejects bytes that are not CMS SignedData', async () => {
    invalid(() => verifyTimestampToken(new TextEncoder().encode('not a token'), signature, roots), /failed to parse/);
    invalid(() => verifyTimestampToken(new Uint8Array(), signature, roots), /empty/);
    const pki = await createPki({ at: AT });
    invalid(() => verifyTimestampToken(pki.root.der, signature, roots), /not a CMS SignedData|not a ContentInfo/);
    const token = tsa.timestamp(signature, { genTime: AT });
    invalid(() => verifyTimestampToken(token.subarray(0, token.length - 20), signature, roots), /failed to parse/);
  });

  it('rejects a TSA whose root is not in the tsa store, naming both', async () => {
    const stranger = await createTestTsa({ at: AT, freshCaKey: true });
    invalid(
      () => verifyTimestampToken(stranger.timestamp(signature, { genTime: AT }), signature, roots),
      /does not lead to a trusted root: .*tsa trust store holds "C=US,O=signgate,CN=signgate test TSA root"/,
    );
    invalid(() => verifyTimestampToken(tsa.timestamp(signature, { genTime: AT }), signature, []), /tsa trust store is empty/);
  });

  it('rejects a TSA chain that is not valid at genTime', () => {
    // The TSA leaf is valid for one year around AT; root and intermediate for two.
    const late = new Date(AT.getTime() + YEAR_MS + 24 * 3600 * 1000);
    invalid(
      () => verifyTimestampToken(tsa.timestamp(signature, { genTime: late }), signature, roots),
      /not valid when the timestamp was issued: certificate "C=US,O=signgate,CN=signgate test TSA" has expired at the timestamp's genTime/,
    );
    const early = new Date(AT.getTime() - YEAR_MS - 24 * 3600 * 1000);
    invalid(() => verifyTimestampToken(tsa.timestamp(signature, { genTime: early }), signature, roots), /is not yet valid/);
  });

  it('rejects a TSA leaf that breaks the timestamping certificate rules', async () => {
    const noEku = await createTestTsa({ at: AT, leaf: { extendedKeyUsages: [EKU.codeSigning] } });
    invalid(
      () => verifyTimestampToken(noEku.timestamp(signature, { genTime: AT }), signature, [parseCertificate(noEku.root.der)]),
      /breaks a certificate requirement: .*timeStamping as its only extended key usage/,
    );
    const nonCritical = await createTestTsa({ at: AT, leaf: { extendedKeyUsageCritical: false } });
    invalid(
      () => verifyTimestampToken(nonCritical.timestamp(signature, { genTime: AT }), signature, [parseCertificate(nonCritical.root.der)]),
      /extKeyUsage extension critical/,
    );
  });
});
