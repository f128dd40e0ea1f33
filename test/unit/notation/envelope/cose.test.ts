import assert from 'node:assert/strict';
import { Tag } from 'cbor-x';
import { parseEnvelope } from '../../../../provider/src/notation/envelope/index.js';
import { createPki, type Pki } from '../../../support/pki.js';
import {
  H,
  assertNotationError,
  coseHeader,
  craftCose,
  encodeCborForTest,
  notaryPayload,
  type CoseOptions,
} from '../../../support/envelopes.js';

const COSE = 'application/cose';
const AT = new Date('2025-03-01T12:00:00Z');

describe('notation/envelope: COSE', () => {
  let ec: Pki;
  let rsa: Pki;
  const cose = (o: Partial<CoseOptions> = {}): Uint8Array =>
    craftCose({ alg: 'ES256', key: ec.leaf.key.privateKey, chain: ec.chain, protectedHeader: coseHeader('ES256'), ...o });
  const verify = (bytes: Uint8Array) => parseEnvelope(COSE, bytes).verify();

  before(async () => {
    ec = await createPki({ at: AT, leafKey: 'ec-p256' });
    rsa = await createPki({ at: AT, leafKey: 'rsa-2048' });
  });

  it('verifies COSE_Sign1_Tagged (ES256 and PS256) and returns tag 1 times, x5chain and the raw payload', () => {
    const payload = notaryPayload();
    const expiry = new Date('2025-09-01T00:00:00Z');
    const content = verify(cose({ payload, protectedHeader: coseHeader('ES256', { expiry }) }));
    assert.equal(content.signerInfo.signatureAlgorithm, 'ES256');
    assert.equal(content.signerInfo.signingTime?.toISOString(), AT.toISOString());
    assert.equal(content.signerInfo.expiry?.toISOString(), expiry.toISOString());
    assert.equal(content.signerInfo.certificateChain.length, 3);
    assert.deepEqual(Buffer.from(content.payload.content), Buffer.from(payload));
    const ps = craftCose({ alg: 'PS256', key: rsa.leaf.key.privateKey, chain: rsa.chain, protectedHeader: coseHeader('PS256') });
    assert.equal(verify(ps).signerInfo.signatureAlgorithm, 'PS256');
  });

  it('reads signingAgent and timestampSignature from the unprotected header and ignores unknown labels', () => {
    const token = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x07]);
    const unprotected = new Map<number | string, unknown>([
      [33, ec.chain.map((c) => new Uint8Array(c))],
      [H.agent, 'notation/1.1.0'],
      [H.timestamp, token],
      ['x-unknown', [1, 2, 3]],
      [99, 'ignored'],
    ]);
    const info = verify(cose({ unprotected })).signerInfo;
    assert.equal(info.unsignedAttributes.signingAgent, 'notation/1.1.0');
    assert.deepEqual([...(info.unsignedAttributes.timestampSignature ?? [])], [...token]);
  });

  it('accepts only COSE_Sign1_Tagged: untagged and other tags are ENVELOPE_INVALID', () => {
    assertNotationError(() => parseEnvelope(COSE, cose({ tag: null })), 'ENVELOPE_INVALID', /untagged/);
    assertNotationError(() => parseEnvelope(COSE, cose({ tag: 98 })), 'ENVELOPE_INVALID', /tag is not 18/);
    assertNotationError(() => parseEnvelope(COSE, cose({ edit: (m) => m.slice(0, 3) })), 'ENVELOPE_INVALID', /array of 4/);
    assertNotationError(() => parseEnvelope(COSE, new Uint8Array(0)), 'ENVELOPE_INVALID', /empty/);
  });

  it('rejects truncated CBOR, trailing bytes, indefinite lengths and duplicate map keys', () => {
    const good = cose();
    assertNotationError(() => parseEnvelope(COSE, good.subarray(0, good.byteLength - 10)), 'ENVELOPE_INVALID', /truncated/);
    assertNotationError(() => parseEnvelope(COSE, Buffer.concat([good, Buffer.from([0x00])])), 'ENVELOPE_INVALID', /trailing/);
    // d2 9f ... ff: tag 18 around an indefinite-length array
    assertNotationError(() => parseEnvelope(COSE, Buffer.from([0xd2, 0x9f, 0x40, 0xa0, 0x40, 0x40, 0xff])), 'ENVELOPE_INVALID', /indefinite/);
    // protected header {1: -7, 1: -7}, second key encoded in two bytes
    const dup = Buffer.from([0xa2, 0x01, 0x26, 0x18, 0x01, 0x26]);
    assertNotationError(() => parseEnvelope(COSE, cose({ protectedHeader: dup })), 'ENVELOPE_INVALID', /duplicate key/);
  });

  it('never lets cbor-x run its tag extensions: tags other than 1 and 18 are ENVELOPE_INVALID', () => {
    for (const tag of [0, 27, 28, 105, 258, 259]) {
      const unprotected = new Map<number | string, unknown>([[33, ec.chain.map((c) => new Uint8Array(c))], ['x', new Tag(['RegExp', 'a'], tag)]]);
      assertNotationError(() => parseEnvelope(COSE, cose({ unprotected })), 'ENVELOPE_INVALID', new RegExp(`tag ${tag}`));
    }
  });

  it('requires times as CBOR tag 1 numbers', () => {
    const plain = coseHeader('ES256');
    plain.set(H.signingTime, Math.floor(AT.getTime() / 1000));
    assertNotationError(() => verify(cose({ protectedHeader: plain })), 'SIGNED_ATTRIBUTE_INVALID', /tag 1/);
    const text = coseHeader('ES256');
    text.set(H.signingTime, new Tag('2025-03-01T12:00:00Z', 1));
    assertNotationError(() => parseEnvelope(COSE, cose({ protectedHeader: text })), 'ENVELOPE_INVALID', /tag 1 time that is not a number/);
  });

  it('checks the structure of each COSE_Sign1 member and header', () => {
    assertNotationError(() => parseEnvelope(COSE, cose({ edit: (m) => [m[0], m[1], null, m[3]] })), 'ENVELOPE_INVALID', /detached payload/);
    assertNotationError(() => parseEnvelope(COSE, cose({ edit: (m) => [m[0], m[1], m[2], new Uint8Array(0)] })), 'ENVELOPE_INVALID', /signature/);
    assertNotationError(() => parseEnvelope(COSE, cose({ edit: (m) => [encodeCborForTest([1]), m[1], m[2], m[3]] })), 'ENVELOPE_INVALID', /CBOR map/);
    assertNotationError(() => parseEnvelope(COSE, cose({ unprotected: new Map() })), 'ENVELOPE_INVALID', /x5chain/);
    const single = new Map<number | string, unknown>([[33, new Uint8Array(ec.chain[0] as Uint8Array)]]);
    assertNotationError(() => parseEnvelope(COSE, cose({ unprotected: single })), 'ENVELOPE_INVALID', /non-empty array/);
    const crit = new Map<number | string, unknown>([[33, [new Uint8Array(ec.chain[0] as Uint8Array)]], [2, [H.scheme]]]);
    assertNotationError(() => parseEnvelope(COSE, cose({ unprotected: crit })), 'ENVELOPE_INVALID', /crit/);
    const floatLabel = new Map<unknown, unknown>([[33, [new Uint8Array(ec.chain[0] as Uint8Array)]], [1.5, 'x']]);
    assertNotationError(
      () => parseEnvelope(COSE, cose({ unprotected: floatLabel as Map<number | string, unknown> })),
      'ENVELOPE_INVALID',
      /label/,
    );
    const agent = new Map<number | string, unknown>([[33, [new Uint8Array(ec.chain[0] as Uint8Array)]], [H.agent, 42]]);
    assertNotationError(() => parseEnvelope(COSE, cose({ unprotected: agent })), 'ENVELOPE_INVALID', /signingAgent/);
  });

  it('fails SIGNATURE_INVALID for a tampered payload, a tampered protected header and a swapped signature', () => {
    const payload = notaryPayload(undefined, 529);
    assertNotationError(() => verify(cose({ edit: (m) => [m[0], m[1], payload, m[3]] })), 'SIGNATURE_INVALID');
    const laterHeader = encodeCborForTest(coseHeader('ES256', { signingTime: new Date('2025-03-02T00:00:00Z') }));
    assertNotationError(() => verify(cose({ edit: (m) => [laterHeader, m[1], m[2], m[3]] })), 'SIGNATURE_INVALID');
    const flipped = (s: unknown): Uint8Array => {
      const copy = new Uint8Array(s as Uint8Array);
      copy[10] = (copy[10] ?? 0) ^ 0xff;
      return copy;
    };
    assertNotationError(() => verify(cose({ edit: (m) => [m[0], m[1], m[2], flipped(m[3])] })), 'SIGNATURE_INVALID');
  });

  it('maps a COSE alg outside the table (text or another id) to ALGORITHM_UNSUPPORTED', () => {
    const text = coseHeader('ES256');
    text.set(1, 'ES256');
    assertNotationError(() => verify(cose({ protectedHeader: text })), 'ALGORITHM_UNSUPPORTED', /"ES256"/);
    const rs256 = coseHeader('ES256');
    rs256.set(1, -257);
    assertNotationError(() => verify(cose({ protectedHeader: rs256 })), 'ALGORITHM_UNSUPPORTED', /-257/);
    const none = coseHeader('ES256');
    none.delete(1);
    assertNotationError(() => verify(cose({ protectedHeader: none })), 'ALGORITHM_UNSUPPORTED');
  });
});
