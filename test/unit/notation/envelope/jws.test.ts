import assert from 'node:assert/strict';
import { parseEnvelope } from '../../../../provider/src/notation/envelope/index.js';
import { createKeyPair, createPki, type Pki } from '../../../support/pki.js';
import { H, assertNotationError, craftJws, jwsHeader, notaryPayload, type JwsOptions } from '../../../support/envelopes.js';

const JWS = 'application/jose+json';
const AT = new Date('2025-03-01T12:00:00Z');

describe('notation/envelope: JWS', () => {
  let pki: Pki;
  let other: Pki;
  const jws = (o: Partial<JwsOptions> = {}): Uint8Array =>
    craftJws({ alg: 'ES256', key: pki.leaf.key.privateKey, chain: pki.chain, protectedHeader: jwsHeader('ES256'), ...o });
  const verify = (bytes: Uint8Array) => parseEnvelope(JWS, bytes).verify();

  before(async () => {
    pki = await createPki({ at: AT, leafKey: 'ec-p256' });
    other = await createPki({ at: AT, leaf: { key: await createKeyPair('ec-p256') } });
  });

  it('verifies a flattened JWS and returns the signed attributes, chain, signature and raw payload', () => {
    const payload = notaryPayload();
    const content = verify(jws({ payload, protectedHeader: jwsHeader('ES256', { expiry: new Date('2025-09-01T00:00:00Z') }) }));
    assert.equal(content.signerInfo.signatureAlgorithm, 'ES256');
    assert.equal(content.signerInfo.signingScheme, 'notary.x509');
    assert.equal(content.signerInfo.signingTime?.toISOString(), AT.toISOString());
    assert.equal(content.signerInfo.expiry?.toISOString(), '2025-09-01T00:00:00.000Z');
    assert.equal(content.signerInfo.authenticSigningTime, undefined);
    assert.deepEqual(content.signerInfo.certificateChain.map((c) => Buffer.from(c)), pki.chain.map((c) => Buffer.from(c)));
    assert.equal(content.signerInfo.signature.byteLength, 64);
    assert.deepEqual(Buffer.from(content.payload.content), Buffer.from(payload));
    assert.equal(content.payload.contentType, 'application/vnd.cncf.notary.payload.v1+json');
  });

  it('reads RFC 3339 times with offsets as the same instant', () => {
    const header = { ...jwsHeader('ES256'), [H.signingTime]: '2025-03-01T20:30:00+08:30' };
    assert.equal(verify(jws({ protectedHeader: header })).signerInfo.signingTime?.toISOString(), AT.toISOString());
    const west = { ...jwsHeader('ES256'), [H.signingTime]: '2025-03-01T04:00:00.250-08:00' };
    assert.equal(verify(jws({ protectedHeader: west })).signerInfo.signingTime?.toISOString(), '2025-03-01T12:00:00.250Z');
  });

  it('rejects signing times that are not RFC 3339 date-times', () => {
    for (const bad of ['2025-03-01 12:00:00Z', '2025-03-01t12:00:00Z', '2025-02-30T12:00:00Z', '2025-03-01T12:00:60Z', 1740830400]) {
      const header = { ...jwsHeader('ES256'), [H.signingTime]: bad };
      assertNotationError(() => verify(jws({ protectedHeader: header })), 'SIGNED_ATTRIBUTE_INVALID', /RFC 3339/);
    }
  });

  it('reads the unsigned attributes, accepts the SigningAgent spelling and ignores unknown unprotected headers', () => {
    const x5c = pki.chain.map((c) => Buffer.from(c).toString('base64'));
    const token = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x05]);
    const header = { x5c, 'io.cncf.notary.SigningAgent': 'notation/1.0.0', [H.timestamp]: token.toString('base64'), 'x-unknown': { a: 1 } };
    const info = verify(jws({ header })).signerInfo;
    assert.equal(info.unsignedAttributes.signingAgent, 'notation/1.0.0');
    assert.deepEqual(Buffer.from(info.unsignedAttributes.timestampSignature ?? []), token);
  });

  it('rejects padded or non-alphabet base64url in payload, protected header and signature', () => {
    assertNotationError(() => parseEnvelope(JWS, jws({ edit: (e) => (e.payload = `${e.payload as string}=`) })), 'ENVELOPE_INVALID', /"payload".*base64url/);
    assertNotationError(() => parseEnvelope(JWS, jws({ edit: (e) => (e.protected = `${e.protected as string}==`) })), 'ENVELOPE_INVALID', /"protected"/);
    const std = (s: string) => Buffer.from(s, 'base64url').toString('base64');
    assertNotationError(() => parseEnvelope(JWS, jws({ edit: (e) => (e.signature = std(e.signature as string)) })), 'ENVELOPE_INVALID', /"signature"/);
    assertNotationError(() => parseEnvelope(JWS, jws({ edit: (e) => (e.payload = ` ${e.payload as string}`) })), 'ENVELOPE_INVALID');
  });

  it('accepts only the flattened serialization with exactly payload, protected, header and signature', () => {
    assertNotationError(
      () => parseEnvelope(JWS, jws({ edit: (e) => (e.signatures = [{ protected: e.protected, signature: e.signature }]) })),
      'ENVELOPE_INVALID',
      /general JWS JSON serialization/,
    );
    assertNotationError(() => parseEnvelope(JWS, jws({ edit: (e) => (e.extra = 1) })), 'ENVELOPE_INVALID', /"extra"/);
    assertNotationError(() => parseEnvelope(JWS, jws({ edit: (e) => delete e.header })), 'ENVELOPE_INVALID', /missing the member "header"/);
    assertNotationError(() => parseEnvelope(JWS, new TextEncoder().encode('["a"]')), 'ENVELOPE_INVALID', /not a JSON object/);
    assertNotationError(() => parseEnvelope(JWS, new TextEncoder().encode('malformed signature')), 'ENVELOPE_INVALID', /not valid JSON/);
    assertNotationError(() => parseEnvelope(JWS, jws({ protectedHeader: '["alg"]' })), 'ENVELOPE_INVALID', /protected header: is not a JSON object/);
    assertNotationError(() => parseEnvelope(JWS, jws({ protectedHeader: '{"alg":' })), 'ENVELOPE_INVALID', /protected header: is not valid JSON/);
  });

  it('requires a non-empty x5c of padded standard base64 and a parsable leaf', () => {
    assertNotationError(() => parseEnvelope(JWS, jws({ header: {} })), 'ENVELOPE_INVALID', /x5c/);
    assertNotationError(() => parseEnvelope(JWS, jws({ header: { x5c: [] } })), 'ENVELOPE_INVALID', /non-empty array/);
    // "MAMCAQU=" is the padded base64 of 30 03 02 01 05; x5c is standard base64, padding required
    assertNotationError(() => parseEnvelope(JWS, jws({ header: { x5c: ['MAMCAQU'] } })), 'ENVELOPE_INVALID', /padded standard base64/);
    assertNotationError(() => parseEnvelope(JWS, jws({ header: { x5c: ['MAMCAQU_'] } })), 'ENVELOPE_INVALID', /padded standard base64/);
    assertNotationError(() => parseEnvelope(JWS, jws({ header: { x5c: ['not base64!'] } })), 'ENVELOPE_INVALID', /x5c"\[0\]/);
    const garbage = Buffer.from([0x30, 0x03, 0x01, 0x01, 0x00]).toString('base64');
    assertNotationError(() => verify(jws({ header: { x5c: [garbage] } })), 'CERTIFICATE_INVALID', /leaf/);
  });

  it('fails SIGNATURE_INVALID for a tampered payload, a tampered protected header and another key', () => {
    const tamperedPayload = jws({ edit: (e) => (e.payload = Buffer.from(notaryPayload(undefined, 529)).toString('base64url')) });
    assertNotationError(() => verify(tamperedPayload), 'SIGNATURE_INVALID', /altered/);
    const later = Buffer.from(JSON.stringify(jwsHeader('ES256', { signingTime: new Date('2025-03-02T00:00:00Z') }))).toString('base64url');
    assertNotationError(() => verify(jws({ edit: (e) => (e.protected = later) })), 'SIGNATURE_INVALID');
    const x5c = pki.chain.map((c) => Buffer.from(c).toString('base64'));
    const otherKey = craftJws({ alg: 'ES256', key: other.leaf.key.privateKey, chain: other.chain, protectedHeader: jwsHeader('ES256'), header: { x5c } });
    assertNotationError(() => verify(otherKey), 'SIGNATURE_INVALID');
    const short = jws({ edit: (e) => (e.signature = (e.signature as string).slice(0, 80)) });
    assertNotationError(() => verify(short), 'SIGNATURE_INVALID');
  });

  it('rejects an unknown media type as ENVELOPE_UNSUPPORTED and remembers the verification outcome', () => {
    assertNotationError(() => parseEnvelope('application/vnd.oci.image.layer.v1.tar', jws()), 'ENVELOPE_UNSUPPORTED', /not supported/);
    const parsed = parseEnvelope(JWS, jws());
    assert.equal(parsed.mediaType, JWS);
    assert.equal(parsed.verify(), parsed.verify());
  });
});
