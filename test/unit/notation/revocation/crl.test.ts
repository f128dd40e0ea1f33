/**
 * CRL decoding (the DER walk) on CRLs made by `openssl ca -gencrl`: every byte change is refused or fails the signature
 * check, PEM files with several CRLs, bounds, and the revoked entries' fields.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { NotationError } from '../../../../provider/src/notation/errors.js';
import { crlAuthorityProblem, parseCrl, parseCrlFile } from '../../../../provider/src/notation/revocation/crl.js';
import { parseCertificate, readChildren, readTlv, type Certificate } from '../../../../provider/src/notation/x509/index.js';
import { createRevocationPki, type RevocationPki } from '../../../support/revocation.js';
import { requireComponent } from '../../../support/requirements.js';

const isInvalid = (err: unknown): boolean => err instanceof NotationError && err.code === 'REVOCATION_LIST_INVALID';

describe('notation/revocation: CRL decoding', function () {
  this.timeout(60_000);
  let pki: RevocationPki;
  let der: Uint8Array;
  let issuer: Certificate;
  let revokedSerial: string;

  before(async function () {
    requireComponent(this, 'openssl');
    pki = await createRevocationPki();
    const leaf = await pki.intermediate.issue('listed', '/C=US/ST=WA/O=signgate/CN=listed', 'leaf');
    await pki.intermediate.revoke(leaf, { compromiseTime: new Date('2026-01-02T03:04:05Z') });
    revokedSerial = parseCertificate(leaf.der).serialNumber;
    der = await pki.intermediate.crl();
    issuer = parseCertificate(pki.intermediate.cert.der);
  });
  after(async () => pki?.close());

  it('reads issuer, times and the revoked entry with its reason and invalidity date; the signature verifies', () => {
    const crl = parseCrl(der, 'test.crl');
    assert.equal(crlAuthorityProblem(crl, issuer), undefined);
    const entry = crl.entries.get(revokedSerial);
    assert.equal(entry?.reason, 'keyCompromise');
    assert.equal(entry?.invalidityDate?.toISOString(), '2026-01-02T03:04:05.000Z');
    assert.ok(crl.nextUpdate && crl.nextUpdate > crl.thisUpdate);
  });

  it('every single-byte change is refused (REVOCATION_LIST_INVALID) or fails the signature check', () => {
    fc.assert(
      fc.property(fc.nat(der.byteLength - 1), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const bad = Uint8Array.from(der);
        bad[at] = (bad[at] as number) ^ xor;
        let crl;
        try {
          crl = parseCrl(bad, 'mutated.crl');
        } catch (err) {
          return isInvalid(err);
        }
        return crlAuthorityProblem(crl, issuer) !== undefined;
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a CRL whose outer signatureAlgorithm differs from the signed one (RFC 5280 5.1.1.2; found by the property above)', () => {
    const top = readTlv(der, 0);
    const outerAlg = top && readChildren(der, top)?.[1];
    assert.ok(outerAlg, 'the test CRL has an outer signatureAlgorithm');
    const bad = Uint8Array.from(der);
    const oidFirstByte = outerAlg.contentStart + 2; // SEQUENCE { OID (tag, length, first byte ...
    bad[oidFirstByte] = (bad[oidFirstByte] as number) ^ 0x80; // the bit that made the property fail
    assert.throws(() => parseCrl(bad, 'mixed.crl'), (err: unknown) => isInvalid(err) && /signatureAlgorithm differs/.test((err as Error).message));
  });

  it('refuses truncated input, trailing bytes, empty input and more than the size cap, naming the source', () => {
    for (const bad of [der.subarray(0, der.byteLength - 1), Uint8Array.from([...der, 0]), new Uint8Array(0)]) {
      assert.throws(() => parseCrl(bad, 'http://ca.example/x.crl'), (err: unknown) => isInvalid(err) && /http:\/\/ca\.example\/x\.crl/.test((err as Error).message));
    }
    assert.throws(() => parseCrl(new Uint8Array(32 * 1024 * 1024 + 1), 'big.crl'), (err: unknown) => isInvalid(err) && /33554432-byte limit/.test((err as Error).message));
  });

  it('reads a PEM file with several CRLs, and DER', () => {
    const pem = (b: Uint8Array): string => `-----BEGIN X509 CRL-----\n${Buffer.from(b).toString('base64').replace(/.{64}/g, '$&\n')}\n-----END X509 CRL-----\n`;
    const root = pki.server.crls.get('root');
    const both = parseCrlFile(new TextEncoder().encode(pem(der) + (root ? pem(root) : pem(der))), 'both.pem');
    assert.equal(both.length, 2);
    assert.equal(both[0]?.source, 'file both.pem');
    assert.equal(parseCrlFile(der, 'one.der').length, 1);
  });
});
