import assert from 'node:assert/strict';
import { X509Certificate, type KeyObject } from 'node:crypto';
import { NotationError, type NotationErrorCode } from '../../../../provider/src/notation/errors.js';
import {
  parseCertificate,
  validateCodeSigningCertChain,
  validateTimestampingCertChain,
  type Certificate,
} from '../../../../provider/src/notation/x509/index.js';
import {
  EKU,
  YEAR_MS,
  createKeyPair,
  createPki,
  issueCertificate,
  type CertificateOptions,
  type IssuedCertificate,
  type Pki,
} from '../../../support/pki.js';
import { TSA_LEAF_PRESET } from '../../../support/tsa.js';

const AT = new Date('2025-06-01T00:00:00Z');
const NOT_BEFORE = new Date(AT.getTime() - YEAR_MS);
const NOT_AFTER = new Date(AT.getTime() + YEAR_MS);

function throwsCode(fn: () => unknown, code: NotationErrorCode, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof NotationError, `expected NotationError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

const parse = (...certs: readonly IssuedCertificate[]): Certificate[] => certs.map((c) => parseCertificate(c.der));

describe('notation/x509: validateCodeSigningCertChain', () => {
  let pki: Pki;
  /** A leaf issued by pki.intermediate with these options over a valid code signing leaf. */
  let leafWith: (over: Partial<CertificateOptions>) => Promise<Certificate[]>;

  before(async () => {
    pki = await createPki({ at: AT });
    const key = await createKeyPair('ec-p256', { shared: true });
    leafWith = async (over) => {
      const leaf = await issueCertificate({
        subject: 'CN=leaf variant,O=signgate,ST=WA,C=US',
        key,
        issuer: pki.intermediate,
        notBefore: NOT_BEFORE,
        notAfter: NOT_AFTER,
        basicConstraints: { ca: false, critical: true },
        keyUsages: ['digitalSignature'],
        extendedKeyUsages: [EKU.codeSigning],
        ...over,
      });
      return parse(leaf, pki.intermediate, pki.root);
    };
  });

  it('accepts leaf -> intermediate -> root', () => {
    validateCodeSigningCertChain(parse(pki.leaf, pki.intermediate, pki.root));
  });

  it('accepts a lone self-signed signing certificate that meets the leaf rules', async () => {
    const self = await issueCertificate({
      subject: 'CN=self,O=signgate,ST=WA,C=US',
      key: await createKeyPair('ec-p384', { shared: true }),
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      keyUsages: ['digitalSignature'],
      extendedKeyUsages: [EKU.codeSigning],
    });
    validateCodeSigningCertChain(parse(self));
  });

  it('accepts leaves without extKeyUsage, without basicConstraints, or with nonRepudiation', async () => {
    validateCodeSigningCertChain(await leafWith({ extendedKeyUsages: undefined }));
    validateCodeSigningCertChain(await leafWith({ basicConstraints: undefined }));
    validateCodeSigningCertChain(await leafWith({ keyUsages: ['digitalSignature', 'nonRepudiation'] }));
  });

  it('rejects an empty chain', () => {
    throwsCode(() => validateCodeSigningCertChain([]), 'CERTIFICATE_CHAIN_INVALID', /empty/);
  });

  it('rejects a chain out of order, naming both certificates', () => {
    throwsCode(
      () => validateCodeSigningCertChain(parse(pki.leaf, pki.root, pki.intermediate)),
      'CERTIFICATE_CHAIN_INVALID',
      /certificate 1 "C=US,ST=WA,L=Seattle,O=signgate,CN=signgate test signer" is not issued by certificate 2 .*must be ordered/,
    );
  });

  it('rejects a broken link: the intermediate has the right name but another key', async () => {
    const impostor = await issueCertificate({
      subject: pki.intermediate.cert.subject,
      key: await createKeyPair('ec-p256'),
      issuer: pki.root,
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      basicConstraints: { ca: true, critical: true },
      keyUsages: ['keyCertSign'],
    });
    throwsCode(
      () => validateCodeSigningCertChain(parse(pki.leaf, impostor, pki.root)),
      'CERTIFICATE_CHAIN_INVALID',
      /signature of .* does not verify/,
    );
  });

  it('rejects a chain that does not end with a self-signed root', () => {
    throwsCode(
      () => validateCodeSigningCertChain(parse(pki.leaf, pki.intermediate)),
      'CERTIFICATE_CHAIN_INVALID',
      /last certificate .*signgate test intermediate.* is not a valid self-signed root/,
    );
    throwsCode(() => validateCodeSigningCertChain(parse(pki.leaf)), 'CERTIFICATE_CHAIN_INVALID', /not self-signed/);
  });

  it('rejects a self-signed certificate before the end of the chain', () => {
    throwsCode(
      () => validateCodeSigningCertChain(parse(pki.root, pki.root)),
      'CERTIFICATE_CHAIN_INVALID',
      /leaf certificate .* is self-signed/,
    );
  });

  it('rejects a CA as leaf', async () => {
    const chain = await leafWith({ basicConstraints: { ca: true, critical: true }, keyUsages: ['digitalSignature'] });
    throwsCode(() => validateCodeSigningCertChain(chain), 'CERTIFICATE_INVALID', /must not be a CA/);
  });

  it('rejects leaf key usages: digitalSignature missing, extra bits, non-critical, absent', async () => {
    throwsCode(
      validateWith(await leafWith({ keyUsages: ['nonRepudiation'] })),
      'CERTIFICATE_INVALID',
      /digitalSignature bit/,
    );
    throwsCode(
      validateWith(await leafWith({ keyUsages: ['digitalSignature', 'keyEncipherment'] })),
      'CERTIFICATE_INVALID',
      /digitalSignature only, but it also has keyEncipherment/,
    );
    throwsCode(validateWith(await leafWith({ keyUsageCritical: false })), 'CERTIFICATE_INVALID', /marked critical/);
    throwsCode(validateWith(await leafWith({ keyUsages: undefined })), 'CERTIFICATE_INVALID', /keyUsage extension must be present/);
  });

  it('rejects leaves whose extKeyUsage names serverAuth or timeStamping', async () => {
    throwsCode(
      validateWith(await leafWith({ extendedKeyUsages: [EKU.codeSigning, EKU.serverAuth] })),
      'CERTIFICATE_INVALID',
      /must not have the serverAuth extended key usage/,
    );
    throwsCode(
      validateWith(await leafWith({ extendedKeyUsages: [EKU.timeStamping] })),
      'CERTIFICATE_INVALID',
      /timeStamping/,
    );
  });

  it('rejects a chain longer than a CA pathLenConstraint allows', async () => {
    const key = await createKeyPair('ec-p256', { shared: true });
    const root = await issueCertificate({
      subject: 'CN=pathlen root,O=signgate,C=US',
      key,
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      basicConstraints: { ca: true, pathLength: 0, critical: true },
      keyUsages: ['keyCertSign'],
    });
    const ca = { key, notBefore: NOT_BEFORE, notAfter: NOT_AFTER, basicConstraints: { ca: true, critical: true }, keyUsages: ['keyCertSign' as const] };
    const int = await issueCertificate({ ...ca, subject: 'CN=pathlen int,O=signgate,C=US', issuer: root });
    const leaf = await issueCertificate({ ...ca, subject: 'CN=pathlen leaf,O=signgate,C=US', issuer: int, basicConstraints: undefined, keyUsages: ['digitalSignature'] });
    throwsCode(
      () => validateCodeSigningCertChain(parse(leaf, int, root)),
      'CERTIFICATE_CHAIN_INVALID',
      /"C=US,O=signgate,CN=pathlen root" allows a path length of 0 but 1 intermediate/,
    );
  });

  it('rejects an intermediate without keyCertSign or without cA', async () => {
    const key = await createKeyPair('ec-p256', { shared: true });
    const base = { key, issuer: pki.root, notBefore: NOT_BEFORE, notAfter: NOT_AFTER, subject: pki.intermediate.cert.subject };
    const noCertSign = await issueCertificate({ ...base, basicConstraints: { ca: true, critical: true }, keyUsages: ['cRLSign'] });
    const leafUnder = async (issuer: IssuedCertificate): Promise<IssuedCertificate> =>
      issueCertificate({
        subject: 'CN=leaf,O=signgate,C=US',
        key,
        issuer,
        notBefore: NOT_BEFORE,
        notAfter: NOT_AFTER,
        keyUsages: ['digitalSignature'],
      });
    // crypto/x509 refuses a parent without keyCertSign as an issuer at all, so this is a broken link.
    throwsCode(
      () => validateCodeSigningCertChain(parse(pki.leaf, noCertSign, pki.root)),
      'CERTIFICATE_CHAIN_INVALID',
      /keyUsage without keyCertSign/,
    );
    const notCA = await issueCertificate({ ...base, keyUsages: ['keyCertSign'] });
    throwsCode(validateWith(parse(await leafUnder(notCA), notCA, pki.root)), 'CERTIFICATE_CHAIN_INVALID', /is not a CA/);
    throwsCode(
      () => validateCodeSigningCertChain(parse(pki.leaf, notCA, pki.root)),
      'CERTIFICATE_CHAIN_INVALID',
      /is not a CA/,
    );
  });

  it('rejects certificates signed with SHA-1', async () => {
    throwsCode(validateWith(await leafWith({ signatureHash: 'SHA-1' })), 'CERTIFICATE_INVALID', /ECDSA-SHA1; SHA-1/);
    const self = await issueCertificate({
      subject: 'CN=self sha1,O=signgate,C=US',
      key: await createKeyPair('ec-p256', { shared: true }),
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      keyUsages: ['digitalSignature'],
      signatureHash: 'SHA-1',
    });
    throwsCode(() => validateCodeSigningCertChain(parse(self)), 'CERTIFICATE_INVALID', /SHA-1/);
  });

  it('rejects RSA-1024 leaves and accepts RSA-2048 ones', async () => {
    throwsCode(
      validateWith(await leafWith({ key: await createKeyPair('rsa-1024', { shared: true }) })),
      'CERTIFICATE_INVALID',
      /RSA key size 1024 bits is not supported/,
    );
    validateCodeSigningCertChain(await leafWith({ key: await createKeyPair('rsa-2048', { shared: true }) }));
  });

  it('checks each link signature once: re-validating a chain costs no signature operations', () => {
    const chain = parse(pki.leaf, pki.intermediate, pki.root);
    validateCodeSigningCertChain(chain);
    const verify = X509Certificate.prototype.verify;
    let signatureChecks = 0;
    X509Certificate.prototype.verify = function (this: X509Certificate, key: KeyObject): boolean {
      signatureChecks++;
      return verify.call(this, key);
    };
    try {
      for (let i = 0; i < 3; i++) validateCodeSigningCertChain(chain);
    } finally {
      X509Certificate.prototype.verify = verify;
    }
    assert.equal(signatureChecks, 0, 'a chain validated before is validated again without any signature check');
  });
});

describe('notation/x509: validateTimestampingCertChain', () => {
  let pki: Pki;
  let tsaLeaf: (over?: Partial<CertificateOptions>) => Promise<Certificate[]>;

  before(async () => {
    pki = await createPki({ at: AT });
    const key = await createKeyPair('ec-p256', { shared: true });
    tsaLeaf = async (over = {}) =>
      parse(
        await issueCertificate({
          subject: 'CN=tsa,O=signgate,C=US',
          key,
          issuer: pki.intermediate,
          notBefore: NOT_BEFORE,
          notAfter: NOT_AFTER,
          ...TSA_LEAF_PRESET,
          ...over,
        }),
        pki.intermediate,
        pki.root,
      );
  });

  it('accepts a TSA leaf with timeStamping as its only, critical extended key usage', async () => {
    validateTimestampingCertChain(await tsaLeaf());
  });

  it('accepts a TSA leaf whose keyUsage is not critical (only code signing requires that)', async () => {
    validateTimestampingCertChain(await tsaLeaf({ keyUsageCritical: false }));
  });

  it('rejects TSA leaves without timeStamping, with more purposes, or with a non-critical extKeyUsage', async () => {
    throwsCode(
      validateWith(await tsaLeaf({ extendedKeyUsages: undefined }), validateTimestampingCertChain),
      'CERTIFICATE_INVALID',
      /timeStamping as its only extended key usage \(found no extKeyUsage extension\)/,
    );
    throwsCode(
      validateWith(await tsaLeaf({ extendedKeyUsages: [EKU.timeStamping, EKU.codeSigning] }), validateTimestampingCertChain),
      'CERTIFICATE_INVALID',
      /found timeStamping, codeSigning/,
    );
    throwsCode(
      validateWith(await tsaLeaf({ extendedKeyUsageCritical: false }), validateTimestampingCertChain),
      'CERTIFICATE_INVALID',
      /extKeyUsage extension critical/,
    );
  });

  it('rejects a code signing leaf as TSA', () => {
    throwsCode(
      () => validateTimestampingCertChain(parse(pki.leaf, pki.intermediate, pki.root)),
      'CERTIFICATE_INVALID',
      /timestamping certificate must have timeStamping/,
    );
  });
});

function validateWith(
  chain: readonly Certificate[],
  validate: (c: readonly Certificate[]) => void = validateCodeSigningCertChain,
): () => void {
  return () => validate(chain);
}
