import assert from 'node:assert/strict';
import { parseEnvelope } from '../../../../provider/src/notation/envelope/index.js';
import { createPki, type Pki } from '../../../support/pki.js';
import { assertNotationError, coseHeader, craftCose, craftJws, jwsHeader } from '../../../support/envelopes.js';

const JWS = 'application/jose+json';
const COSE = 'application/cose';
const AT = new Date('2025-03-01T12:00:00Z');

describe('notation/envelope: bounds on hostile input', () => {
  let pki: Pki;
  before(async () => {
    pki = await createPki({ at: AT, leafKey: 'ec-p256' });
  });

  it('refuses envelopes over 4 MiB before parsing them', () => {
    const huge = new Uint8Array(4 * 1024 * 1024 + 1);
    assertNotationError(() => parseEnvelope(JWS, huge), 'ENVELOPE_INVALID', /more than the 4194304-byte limit/);
    assertNotationError(() => parseEnvelope(COSE, huge), 'ENVELOPE_INVALID', /4194304-byte limit/);
  });

  it('refuses deeply nested JSON in the envelope and in the protected header', () => {
    const deep = new TextEncoder().encode(`${'['.repeat(200_000)}${']'.repeat(200_000)}`);
    assertNotationError(() => parseEnvelope(JWS, deep), 'ENVELOPE_INVALID', /nests deeper than 16/);
    const nested = { ...jwsHeader('ES256'), ext: JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`) as unknown };
    const env = craftJws({ alg: 'ES256', key: pki.leaf.key.privateKey, chain: pki.chain, protectedHeader: nested });
    assertNotationError(() => parseEnvelope(JWS, env), 'ENVELOPE_INVALID', /protected header: nests deeper/);
    // brackets inside strings do not count
    const strings = { ...jwsHeader('ES256'), note: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{{{{{{{{{' };
    const ok = craftJws({ alg: 'ES256', key: pki.leaf.key.privateKey, chain: pki.chain, protectedHeader: strings });
    assert.equal(parseEnvelope(JWS, ok).verify().signerInfo.signatureAlgorithm, 'ES256');
  });

  it('refuses deeply nested CBOR, absurd declared lengths and too many items without allocating', () => {
    const deep = Buffer.concat([Buffer.from([0xd2]), Buffer.alloc(500_000, 0x81), Buffer.from([0x00])]);
    assertNotationError(() => parseEnvelope(COSE, deep), 'ENVELOPE_INVALID', /nests deeper than 16/);
    // tag 18, array of 2^32-1 items
    assertNotationError(() => parseEnvelope(COSE, Buffer.from([0xd2, 0x9a, 0xff, 0xff, 0xff, 0xff, 0x00])), 'ENVELOPE_INVALID', /truncated/);
    // tag 18, byte string of 2^64-1 bytes
    const bstr = Buffer.from([0xd2, 0x84, 0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    assertNotationError(() => parseEnvelope(COSE, bstr), 'ENVELOPE_INVALID', /truncated/);
    // tag 18, array of 200 000 zero-byte integers
    const many = Buffer.concat([Buffer.from([0xd2, 0x9a, 0x00, 0x03, 0x0d, 0x40]), Buffer.alloc(200_000, 0x00)]);
    assertNotationError(() => parseEnvelope(COSE, many), 'ENVELOPE_INVALID', /more than 100000 CBOR items/);
  });

  it('refuses more than 32 certificates in x5c and x5chain', () => {
    const leaf = pki.chain[0] as Uint8Array;
    const x5c = Array.from({ length: 33 }, () => Buffer.from(leaf).toString('base64'));
    const jws = craftJws({ alg: 'ES256', key: pki.leaf.key.privateKey, chain: pki.chain, protectedHeader: jwsHeader('ES256'), header: { x5c } });
    assertNotationError(() => parseEnvelope(JWS, jws), 'ENVELOPE_INVALID', /more than 32 certificates/);
    const chain = new Map<number | string, unknown>([[33, Array.from({ length: 33 }, () => new Uint8Array(leaf))]]);
    const cose = craftCose({ alg: 'ES256', key: pki.leaf.key.privateKey, chain: pki.chain, protectedHeader: coseHeader('ES256'), unprotected: chain });
    assertNotationError(() => parseEnvelope(COSE, cose), 'ENVELOPE_INVALID', /more than 32 certificates/);
  });

  it('refuses invalid UTF-8 in JSON and in CBOR text', () => {
    assertNotationError(() => parseEnvelope(JWS, Buffer.from([0x7b, 0xff, 0x7d])), 'ENVELOPE_INVALID', /UTF-8/);
    const agent = new Map<number | string, unknown>([[33, [new Uint8Array(pki.chain[0] as Uint8Array)]], ['a', 'x']]);
    const cose = Buffer.from(craftCose({ alg: 'ES256', key: pki.leaf.key.privateKey, chain: pki.chain, protectedHeader: coseHeader('ES256'), unprotected: agent }));
    const at = cose.indexOf(Buffer.from([0x61, 0x61, 0x61, 0x78])); // "a": "x"
    cose[at + 3] = 0xff;
    assertNotationError(() => parseEnvelope(COSE, cose), 'ENVELOPE_INVALID', /UTF-8/);
  });
});
