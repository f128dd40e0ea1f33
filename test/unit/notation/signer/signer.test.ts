import assert from 'node:assert/strict';
import { Decoder, Tag } from 'cbor-x';
import { parseEnvelope } from '../../../../provider/src/notation/envelope/index.js';
import { NotationError, type NotationErrorCode } from '../../../../provider/src/notation/errors.js';
import { DEFAULT_SIGNING_AGENT, signEnvelope, type SignRequest } from '../../../../provider/src/notation/signer/index.js';
import type { Payload } from '../../../../provider/src/notation/types.js';
import { createKeyPair, createPki, type KeyKind, type Pki } from '../../../support/pki.js';

const AT = new Date('2025-03-01T12:00:00Z');
const EXPIRY = new Date('2025-09-01T12:00:00Z');
const DIGEST = `sha256:${'c0'.repeat(32)}`;
const PAYLOAD: Payload = {
  targetArtifact: {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: DIGEST,
    size: 528,
    annotations: { 'io.wabbit-networks.buildId': '123', 'a<b>&c': 'x' },
  },
};
/** What notation-go's json.Marshal(envelope.Payload{...}) writes for PAYLOAD. */
const PAYLOAD_JSON =
  `{"targetArtifact":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"${DIGEST}","size":528,` +
  '"annotations":{"a\\u003cb\\u003e\\u0026c":"x","io.wabbit-networks.buildId":"123"}}}';

const cbor = new Decoder({ mapsAsObjects: false, useRecords: false });

async function rejects(p: Promise<unknown>, code: NotationErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof NotationError, `expected NotationError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('notation/signer', () => {
  const pkis = new Map<KeyKind, Pki>();
  const request = (kind: KeyKind, o: Partial<SignRequest> = {}): SignRequest => {
    const pki = pkis.get(kind) as Pki;
    return {
      format: 'jws',
      payload: PAYLOAD,
      privateKey: pki.leaf.key.privateKey,
      certificateChain: pki.chain,
      signingScheme: 'notary.x509',
      signingTime: AT,
      ...o,
    };
  };

  before(async () => {
    for (const kind of ['ec-p256', 'ec-p384', 'ec-p521', 'rsa-2048', 'rsa-3072', 'rsa-4096', 'rsa-1024'] as const) {
      pkis.set(kind, await createPki({ at: AT, leafKey: kind }));
    }
  });

  const matrix: Array<[KeyKind, string]> = [
    ['ec-p256', 'ES256'], ['ec-p384', 'ES384'], ['ec-p521', 'ES512'], ['rsa-2048', 'PS256'], ['rsa-3072', 'PS384'], ['rsa-4096', 'PS512'],
  ];
  for (const format of ['jws', 'cose'] as const) {
    for (const scheme of ['notary.x509', 'notary.x509.signingAuthority'] as const) {
      it(`round-trips ${format} / ${scheme} for every key kind: sign -> parse -> verify`, async () => {
        for (const [kind, alg] of matrix) {
          const signed = await signEnvelope(request(kind, { format, signingScheme: scheme, expiry: EXPIRY }));
          assert.equal(signed.mediaType, format === 'jws' ? 'application/jose+json' : 'application/cose');
          const { signerInfo, payload } = parseEnvelope(signed.mediaType, signed.envelope).verify();
          assert.equal(signerInfo.signatureAlgorithm, alg, kind);
          assert.equal(signerInfo.signingScheme, scheme);
          const time = scheme === 'notary.x509' ? signerInfo.signingTime : signerInfo.authenticSigningTime;
          assert.equal(time?.toISOString(), AT.toISOString());
          assert.equal(signerInfo.expiry?.toISOString(), EXPIRY.toISOString());
          assert.equal(signerInfo.unsignedAttributes.signingAgent, DEFAULT_SIGNING_AGENT);
          assert.equal(signerInfo.certificateChain.length, 3);
          assert.equal(Buffer.from(payload.content).toString('utf8'), PAYLOAD_JSON);
        }
      });
    }
  }

  it('writes the JWS as notation does: sorted protected header, RFC 3339 UTC seconds, padded base64 x5c', async () => {
    const { envelope } = await signEnvelope(request('ec-p256', { signingTime: new Date('2025-03-01T12:00:00.750Z'), expiry: EXPIRY }));
    const doc = JSON.parse(Buffer.from(envelope).toString('utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(doc), ['payload', 'protected', 'header', 'signature']);
    assert.equal(
      Buffer.from(doc.protected as string, 'base64url').toString('utf8'),
      '{"alg":"ES256","crit":["io.cncf.notary.signingScheme","io.cncf.notary.expiry"],' +
        '"cty":"application/vnd.cncf.notary.payload.v1+json","io.cncf.notary.expiry":"2025-09-01T12:00:00Z",' +
        '"io.cncf.notary.signingScheme":"notary.x509","io.cncf.notary.signingTime":"2025-03-01T12:00:00Z"}',
    );
    const header = doc.header as { x5c: string[] };
    assert.deepEqual(Object.keys(header), ['x5c', 'io.cncf.notary.signingAgent']);
    assert.deepEqual(header.x5c, pkis.get('ec-p256')?.chain.map((c) => Buffer.from(c).toString('base64')));
    assert.equal(Buffer.from(doc.payload as string, 'base64url').toString('utf8'), PAYLOAD_JSON);
  });

  it('writes COSE as go-cose does: tag 18, canonical protected header, tag 1 integer times, x5chain label 33', async () => {
    const { envelope } = await signEnvelope(request('rsa-2048', { format: 'cose', signingScheme: 'notary.x509.signingAuthority', expiry: EXPIRY }));
    assert.equal(envelope[0], 0xd2);
    const root = cbor.decode(envelope) as Tag;
    const [protectedBytes, unprotected] = root.value as [Uint8Array, Map<unknown, unknown>];
    const header = cbor.decode(protectedBytes) as Map<unknown, unknown>;
    assert.deepEqual([...header.keys()], [1, 2, 3, 'io.cncf.notary.expiry', 'io.cncf.notary.signingScheme', 'io.cncf.notary.authenticSigningTime']);
    assert.equal(header.get(1), -37);
    assert.deepEqual(header.get(2), ['io.cncf.notary.signingScheme', 'io.cncf.notary.authenticSigningTime', 'io.cncf.notary.expiry']);
    const seconds = Math.floor(AT.getTime() / 1000);
    const tagged = Buffer.from([0xc1, 0x1a, (seconds >>> 24) & 0xff, (seconds >>> 16) & 0xff, (seconds >>> 8) & 0xff, seconds & 0xff]);
    assert.ok(Buffer.from(protectedBytes).includes(tagged), 'authenticSigningTime is 1(uint32)');
    assert.deepEqual([...unprotected.keys()], [33, 'io.cncf.notary.signingAgent']);
  });

  for (const format of ['jws', 'cose'] as const) {
    it(`${format}: gives the timestamper the raw signature bytes and attaches its token`, async () => {
      let seen: Uint8Array | undefined;
      const token = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]);
      const signed = await signEnvelope(request('ec-p384', { format, timestamper: async (sig) => ((seen = sig), token) }));
      const { signerInfo } = parseEnvelope(signed.mediaType, signed.envelope).verify();
      assert.deepEqual(Buffer.from(seen ?? []), Buffer.from(signerInfo.signature));
      assert.deepEqual(Buffer.from(signerInfo.unsignedAttributes.timestampSignature ?? []), Buffer.from(token));
    });
  }

  it('truncates times to seconds and honours a custom or empty signing agent', async () => {
    const signed = await signEnvelope(request('ec-p256', { format: 'cose', signingTime: new Date('2025-03-01T12:00:00.999Z'), signingAgent: 'ci/7' }));
    const info = parseEnvelope(signed.mediaType, signed.envelope).verify().signerInfo;
    assert.equal(info.signingTime?.toISOString(), AT.toISOString());
    assert.equal(info.unsignedAttributes.signingAgent, 'ci/7');
    const none = await signEnvelope(request('ec-p256', { signingAgent: '' }));
    assert.equal(parseEnvelope(none.mediaType, none.envelope).verify().signerInfo.unsignedAttributes.signingAgent, undefined);
  });

  it('produces envelopes whose tampering the parser detects', async () => {
    const signed = await signEnvelope(request('ec-p256', { format: 'cose' }));
    const bytes = Buffer.from(signed.envelope);
    const at = bytes.indexOf(Buffer.from('"size":528'));
    bytes[at + 8] = '9'.charCodeAt(0);
    assert.throws(() => parseEnvelope(signed.mediaType, bytes).verify(), (e: unknown) => e instanceof NotationError && e.code === 'SIGNATURE_INVALID');
  });

  it('refuses requests that cannot yield a valid signature', async () => {
    const other = await createKeyPair('ec-p256');
    await rejects(signEnvelope(request('ec-p256', { privateKey: other.privateKey })), 'SIGN_REQUEST_INVALID', /does not belong to the first \(leaf\) certificate/);
    await rejects(signEnvelope(request('ec-p256', { certificateChain: [] })), 'SIGN_REQUEST_INVALID', /chain is empty/);
    await rejects(signEnvelope(request('ec-p256', { expiry: AT })), 'SIGN_REQUEST_INVALID', /expiry must be later/);
    await rejects(signEnvelope(request('ec-p256', { signingTime: new Date(Number.NaN) })), 'SIGN_REQUEST_INVALID', /signingTime/);
    await rejects(
      signEnvelope(request('ec-p256', { signingScheme: 'notary.x509.signingAuthority', timestamper: async () => new Uint8Array(1) })),
      'SIGN_REQUEST_INVALID',
      /only to the notary.x509 signing scheme/,
    );
    await rejects(signEnvelope(request('ec-p256', { timestamper: async () => new Uint8Array(0) })), 'SIGN_REQUEST_INVALID', /TimeStampToken/);
    const badDigest: Payload = { targetArtifact: { ...PAYLOAD.targetArtifact, digest: 'sha256' } };
    await rejects(signEnvelope(request('ec-p256', { payload: badDigest })), 'SIGN_REQUEST_INVALID', /digest/);
    await rejects(signEnvelope(request('ec-p256', { format: 'jwt' as 'jws' })), 'SIGN_REQUEST_INVALID', /format/);
    await rejects(signEnvelope(request('rsa-1024')), 'ALGORITHM_UNSUPPORTED', /RSA 1024-bit/);
  });
});
