/** The key-signer seam: a key in custody signs through `sign(bytes)`, and whatever it returns is checked first. */
import assert from 'node:assert/strict';
import { sign as cryptoSign, constants } from 'node:crypto';
import { parseEnvelope } from '../../../../provider/src/notation/envelope/index.js';
import { NotationError, type NotationErrorCode } from '../../../../provider/src/notation/errors.js';
import { checkGeneratedEnvelope, signEnvelope, type KeySigner } from '../../../../provider/src/notation/signer/index.js';
import type { Payload } from '../../../../provider/src/notation/types.js';
import { createPki, type Pki } from '../../../support/pki.js';

const AT = new Date('2025-03-01T12:00:00Z');
const PAYLOAD: Payload = {
  targetArtifact: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'ab'.repeat(32)}`, size: 7, annotations: { a: '1' } },
};

async function rejects(p: Promise<unknown>, code: NotationErrorCode, message: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof NotationError, `expected NotationError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    return true;
  });
}

describe('notation/signer key-signer seam', () => {
  let rsa: Pki;
  let ec: Pki;
  const seen: Uint8Array[] = [];
  /** A custody-style signer: only sign(bytes) crosses the seam; `tamper` signs other bytes than it was given. */
  const custody = (pki: Pki, o: Partial<KeySigner> & { tamper?: boolean; chain?: readonly Uint8Array[] } = {}): KeySigner => ({
    description: 'test custody key',
    keySpec: pki === rsa ? 'RSA-3072' : 'EC-256',
    async sign(data) {
      seen.push(data);
      const bytes = o.tamper ? Buffer.concat([data, Buffer.from('x')]) : data;
      const key = pki.leaf.key.privateKey;
      const signature =
        pki === rsa
          ? new Uint8Array(cryptoSign('sha384', bytes, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }))
          : new Uint8Array(cryptoSign('sha256', bytes, { key, dsaEncoding: 'ieee-p1363' }));
      return { signature, certificateChain: o.chain ?? pki.chain };
    },
    ...o,
  });
  const request = (signer: KeySigner, format: 'jws' | 'cose' = 'jws') =>
    signEnvelope({ format, payload: PAYLOAD, signer, signingScheme: 'notary.x509', signingTime: AT });

  before(async () => {
    rsa = await createPki({ at: AT, leafKey: 'rsa-3072' });
    ec = await createPki({ at: AT, leafKey: 'ec-p256' });
  });

  for (const format of ['jws', 'cose'] as const) {
    it(`${format}: envelopes signed through a key signer verify, and the signer saw exactly the bytes the envelope covers`, async () => {
      for (const pki of [rsa, ec]) {
        seen.length = 0;
        const { mediaType, envelope } = await request(custody(pki), format);
        const content = parseEnvelope(mediaType, envelope).verify();
        assert.equal(content.signerInfo.signatureAlgorithm, pki === rsa ? 'PS384' : 'ES256');
        assert.equal(seen.length, 1);
        assert.deepEqual(checkGeneratedEnvelope('test', mediaType, envelope, PAYLOAD.targetArtifact).signatureAlgorithm, content.signerInfo.signatureAlgorithm);
      }
    });
  }

  it('refuses a signature over other bytes than it was given (SIGNATURE_INVALID), so no envelope is produced', async () => {
    await rejects(request(custody(ec, { tamper: true })), 'SIGNATURE_INVALID', /test custody key returned a signature that does not verify over the bytes to sign/);
    await rejects(request(custody(rsa, { tamper: true }), 'cose'), 'SIGNATURE_INVALID', /PS384/);
  });

  it('refuses a chain for another key: a key spec that is not the leaf key (ALGORITHM_MISMATCH), or a same-type key (SIGNATURE_INVALID)', async () => {
    await rejects(request(custody(rsa, { chain: ec.chain })), 'ALGORITHM_MISMATCH', /reports key spec RSA-3072 but its leaf certificate holds a EC-256 key/);
    const other = await createPki({ at: AT, leafKey: 'ec-p384' });
    await rejects(request(custody(ec, { keySpec: 'EC-384', chain: other.chain })), 'SIGNATURE_INVALID', /does not verify/);
  });

  it('refuses key specs outside the Notary Project set, empty chains and mixed key sources', async () => {
    await rejects(request(custody(ec, { keySpec: 'EC-224' as 'EC-256' })), 'ALGORITHM_UNSUPPORTED', /key spec "EC-224"; Notary Project signatures allow only RSA-2048/);
    await rejects(request(custody(ec, { chain: [] })), 'SIGN_REQUEST_INVALID', /chain is empty/);
    await rejects(
      signEnvelope({ format: 'jws', payload: PAYLOAD, signer: custody(ec), privateKey: ec.leaf.key.privateKey, signingScheme: 'notary.x509', signingTime: AT }),
      'SIGN_REQUEST_INVALID',
      /not both/,
    );
  });

  it('checkGeneratedEnvelope refuses an envelope that signs another descriptor or drops a requested annotation', async () => {
    const { mediaType, envelope } = await request(custody(ec));
    const other = { ...PAYLOAD.targetArtifact, digest: `sha256:${'cd'.repeat(32)}` };
    assert.throws(() => checkGeneratedEnvelope('plugin x', mediaType, envelope, other), (e: unknown) => e instanceof NotationError && e.code === 'CONTENT_DESCRIPTOR_MISMATCH' && /plugin x .*targetArtifact.digest/.test(e.message));
    const more = { ...PAYLOAD.targetArtifact, annotations: { a: '1', b: '2' } };
    assert.throws(() => checkGeneratedEnvelope('plugin x', mediaType, envelope, more), (e: unknown) => e instanceof NotationError && e.code === 'CONTENT_DESCRIPTOR_MISMATCH' && /annotation "b"/.test(e.message));
  });
});
