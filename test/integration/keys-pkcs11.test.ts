/**
 * The PKCS#11 door against a real SoftHSM2 token (Debian softhsm2): keys generated on the token, never extractable;
 * JWS and COSE envelopes signed through the token verify; every configuration mistake is a coded, clear error.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyError, type KeyErrorCode } from '../../provider/src/keys/errors.js';
import { openPkcs11Signer, type Pkcs11Signer } from '../../provider/src/keys/pkcs11/signer.js';
import { parseEnvelope } from '../../provider/src/notation/envelope/index.js';
import { signEnvelope } from '../../provider/src/notation/index.js';
import { EKU, createPki, type Pki } from '../support/pki.js';
import { requireComponent } from '../support/requirements.js';
import { createSoftHsm, type SoftHsm } from '../support/softhsm.js';

const AT = new Date('2026-01-01T00:00:00Z');
const PAYLOAD = { targetArtifact: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'ef'.repeat(32)}`, size: 10 } };

function expectKeyError(fn: () => unknown, code: KeyErrorCode, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof KeyError, `expected KeyError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    assert.equal(err.isConfiguration, true);
    assert.doesNotMatch(err.message, /1234/, 'the PIN never appears in a message');
    return true;
  });
}

describe('keys/pkcs11 with SoftHSM2', function () {
  let hsm: SoftHsm;
  const pkis: Record<string, Pki> = {};
  const uri = (object: string, extra = ''): string => `pkcs11:token=${hsm.token};object=${object}?module-path=${hsm.modulePath}&pin-value=${hsm.pin}${extra}`;
  const open: Pkcs11Signer[] = [];
  const opened = (s: Pkcs11Signer): Pkcs11Signer => (open.push(s), s);

  before(async function () {
    requireComponent(this, 'softhsm2');
    hsm = await createSoftHsm();
    for (const [kind, label, id] of [['rsa-3072', 'rsa', '01'], ['ec-p256', 'ec', '02'], ['ec-p384', 'ec384', '03'], ['ec-p521', 'ec521', '04']] as const) {
      pkis[label] = await createPki({ at: AT, leaf: { key: await hsm.generate(kind, label, id) } });
    }
    hsm.importCertificate((pkis.ec as Pki).leaf.der, 'ec-cert', '02');
    hsm.importCertificate((pkis.ec as Pki).intermediate.der, 'ca-1', 'a1');
    hsm.importCertificate((pkis.ec as Pki).root.der, 'ca-2', 'a2');
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });
  after(async () => hsm?.stop());

  it('generates keys that are sensitive and not extractable', () => {
    assert.deepEqual(hsm.privateKeyFlags('rsa'), { sensitive: true, extractable: false });
    assert.deepEqual(hsm.privateKeyFlags('ec'), { sensitive: true, extractable: false });
  });

  for (const format of ['jws', 'cose'] as const) {
    for (const [label, alg] of [['rsa', 'PS384'], ['ec', 'ES256'], ['ec384', 'ES384'], ['ec521', 'ES512']] as const) {
      it(`${format}: signs with the ${label} key on the token (${alg}); the envelope verifies`, async () => {
        const pki = pkis[label] as Pki;
        const signer = opened(openPkcs11Signer(uri(label), { certificateChain: pki.chain }));
        const { mediaType, envelope } = await signEnvelope({ format, payload: PAYLOAD, signer, signingScheme: 'notary.x509', signingTime: AT });
        const content = parseEnvelope(mediaType, envelope).verify();
        assert.equal(content.signerInfo.signatureAlgorithm, alg);
        assert.deepEqual(content.signerInfo.certificateChain, pki.chain);
      });
    }
  }

  it('reads the chain from the token: the certificate with the key id, then its issuers', async () => {
    const signer = opened(openPkcs11Signer(`pkcs11:token=${hsm.token};id=%02?module-path=${hsm.modulePath}&pin-value=${hsm.pin}`));
    const { mediaType, envelope } = await signEnvelope({ format: 'jws', payload: PAYLOAD, signer, signingScheme: 'notary.x509', signingTime: AT });
    assert.deepEqual(parseEnvelope(mediaType, envelope).verify().signerInfo.certificateChain, (pkis.ec as Pki).chain);
  });

  it('one session serves many signatures, also concurrent ones', async () => {
    const signer = opened(openPkcs11Signer(uri('ec'), { certificateChain: (pkis.ec as Pki).chain }));
    const all = await Promise.all(
      Array.from({ length: 8 }, () => signEnvelope({ format: 'cose', payload: PAYLOAD, signer, signingScheme: 'notary.x509', signingTime: AT })),
    );
    for (const { mediaType, envelope } of all) parseEnvelope(mediaType, envelope).verify();
  });

  it('closing one signer leaves another on the same token logged in; a closed signer refuses to sign', async () => {
    const first = openPkcs11Signer(uri('ec'), { certificateChain: (pkis.ec as Pki).chain });
    const second = opened(openPkcs11Signer(uri('rsa'), { certificateChain: (pkis.rsa as Pki).chain }));
    await first.close();
    await first.close(); // idempotent
    const { mediaType, envelope } = await signEnvelope({ format: 'jws', payload: PAYLOAD, signer: second, signingScheme: 'notary.x509', signingTime: AT });
    parseEnvelope(mediaType, envelope).verify();
    await assert.rejects(first.sign(new Uint8Array([1])), (err: unknown) => err instanceof KeyError && err.code === 'PKCS11_SIGN_FAILED' && /session of .* is closed/.test(err.message));
  });

  it('reads the PIN from pin-source', async () => {
    const pinFile = join(hsm.dir, 'pin');
    await writeFile(pinFile, `${hsm.pin}\n`, { mode: 0o600 });
    const signer = opened(openPkcs11Signer(`pkcs11:token=${hsm.token};object=ec?module-path=${hsm.modulePath}&pin-source=file:${pinFile}`, { certificateChain: (pkis.ec as Pki).chain }));
    assert.equal(signer.keySpec, 'EC-256');
  });

  it('the module may come from the default (SIGNGATE_PKCS11_MODULE in the CLI)', () => {
    const signer = opened(openPkcs11Signer(`pkcs11:token=${hsm.token};object=rsa?pin-value=${hsm.pin}`, { defaultModulePath: hsm.modulePath, certificateChain: (pkis.rsa as Pki).chain }));
    assert.equal(signer.keySpec, 'RSA-3072');
  });

  it('a --cert chain that breaks the Notary Project certificate requirements is refused (CERTIFICATE_INVALID)', async () => {
    const tls = await createPki({ at: AT, leaf: { key: (pkis.ec as Pki).leaf.key, extendedKeyUsages: [EKU.serverAuth] } });
    expectKeyError(() => openPkcs11Signer(uri('ec'), { certificateChain: tls.chain }), 'CERTIFICATE_INVALID', /the certificate chain of pkcs11:token=signgate-test;object=ec.* breaks the Notary Project certificate requirements/);
  });

  it('wrong PIN, unknown token, unknown object, missing module, certificate for another key: clear configuration errors', () => {
    const chain = (pkis.ec as Pki).chain;
    expectKeyError(() => openPkcs11Signer(`pkcs11:token=${hsm.token};object=ec?module-path=${hsm.modulePath}&pin-value=9999`, { certificateChain: chain }), 'PKCS11_PIN_INVALID', /login to the token of .*pin-value=\*\*\* failed \(CKR_PIN_INCORRECT\): check the PIN/);
    expectKeyError(() => openPkcs11Signer(`pkcs11:token=${hsm.token};object=ec?module-path=${hsm.modulePath}`, { certificateChain: chain }), 'PKCS11_PIN_INVALID', /requires a PIN; add pin-source=/);
    expectKeyError(() => openPkcs11Signer(`pkcs11:token=${hsm.token};object=ec?module-path=${hsm.modulePath}&pin-source=/nonexistent/pin`, { certificateChain: chain }), 'PKCS11_PIN_INVALID', /cannot read the PIN from pin-source \/nonexistent\/pin: ENOENT/);
    expectKeyError(() => openPkcs11Signer(uri('ec').replace(`token=${hsm.token}`, 'token=nope'), { certificateChain: chain }), 'PKCS11_TOKEN_NOT_FOUND', /no token in .*libsofthsm2.so matches pkcs11:token=nope;object=ec.*tokens present: "signgate-test"/);
    expectKeyError(() => openPkcs11Signer(uri('nope'), { certificateChain: chain }), 'PKCS11_KEY_NOT_FOUND', /no private key on the token matches pkcs11:token=signgate-test;object=nope/);
    expectKeyError(() => openPkcs11Signer(`pkcs11:token=${hsm.token};object=ec?module-path=/nonexistent/libpkcs11.so&pin-value=${hsm.pin}`), 'PKCS11_MODULE_NOT_FOUND', /PKCS#11 module \/nonexistent\/libpkcs11.so does not exist/);
    expectKeyError(() => openPkcs11Signer(`pkcs11:token=${hsm.token};object=ec?pin-value=${hsm.pin}`), 'PKCS11_MODULE_NOT_FOUND', /names no PKCS#11 module; add \?module-path=.* or set SIGNGATE_PKCS11_MODULE/);
    expectKeyError(() => openPkcs11Signer(`pkcs11:token=${hsm.token};object=ec?module-path=/etc/hostname&pin-value=${hsm.pin}`), 'PKCS11_MODULE_INVALID', /\/etc\/hostname does not load as a PKCS#11 module/);
    expectKeyError(() => openPkcs11Signer(uri('rsa'), { certificateChain: (pkis.ec384 as Pki).chain }), 'CERTIFICATE_KEY_MISMATCH', /leaf certificate given with --cert is for another key than pkcs11:token=signgate-test;object=rsa/);
    expectKeyError(() => openPkcs11Signer(uri('ec'), { certificateChain: (pkis.ec384 as Pki).chain }), 'CERTIFICATE_KEY_MISMATCH', /for another key/);
    expectKeyError(() => openPkcs11Signer(uri('rsa')), 'PKCS11_CERTIFICATE_NOT_FOUND', /no certificate with the id of the key .* pass --cert CHAIN.pem/);
  });
});
