/** Notation plugin contract 1.0 answers are untrusted JSON: each field is validated, or the answer is refused. */
import assert from 'node:assert/strict';
import { KeyError } from '../../../provider/src/keys/errors.js';
import { parseDescribeKey, parseGenerateEnvelope, parseGenerateSignature, parseMetadata } from '../../../provider/src/keys/plugin/protocol.js';

function refused(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof KeyError, String(err));
    assert.equal(err.code, 'PLUGIN_RESPONSE_INVALID');
    assert.equal(err.isConfiguration, false);
    assert.match(err.message, /^plugin p answered /);
    assert.match(err.message, message);
    assert.match(err.message, /does not follow the Notation plugin contract 1\.0/);
    return true;
  });
}

const metadata = { name: 'p', description: 'd', version: '1', url: 'u', supportedContractVersions: ['1.0'], capabilities: ['SIGNATURE_GENERATOR.RAW'] };
const signature = { keyId: 'k', signature: 'AQID', signingAlgorithm: 'ECDSA-SHA-256', certificateChain: ['AQID'] };

describe('keys/plugin contract 1.0 responses', () => {
  it('accepts well-formed answers as typed, frozen values', () => {
    assert.deepEqual(parseMetadata('p', metadata).capabilities, ['SIGNATURE_GENERATOR.RAW']);
    assert.equal(parseDescribeKey('p', { keyId: 'k', keySpec: 'RSA-3072' }).keySpec, 'RSA-3072');
    const s = parseGenerateSignature('p', signature);
    assert.deepEqual([...s.signature], [1, 2, 3]);
    assert.ok(Object.isFrozen(s));
    assert.deepEqual(parseGenerateEnvelope('p', { signatureEnvelope: 'AQID', signatureEnvelopeType: 'application/jose+json', annotations: { a: 'b' } }).annotations, { a: 'b' });
  });

  it('refuses answers that are not the contract', () => {
    refused(() => parseMetadata('p', []), /get-plugin-metadata with its response that is not a JSON object/);
    refused(() => parseMetadata('p', { ...metadata, url: undefined }), /"url" missing/);
    refused(() => parseMetadata('p', { ...metadata, capabilities: [] }), /"capabilities" that is not a list of 1 to 32 strings/);
    refused(() => parseDescribeKey('p', { keyId: 'k', keySpec: 'RSA-1024' }), /keySpec "RSA-1024", which is none of RSA-2048/);
    refused(() => parseGenerateSignature('p', { ...signature, signature: 'not base64!' }), /"signature" that is not valid standard base64/);
    refused(() => parseGenerateSignature('p', { ...signature, signature: 'AQI-' }), /not valid standard base64/);
    refused(() => parseGenerateSignature('p', { ...signature, certificateChain: [] }), /"certificateChain" that is not a list of 1 to 16 certificates/);
    refused(() => parseGenerateSignature('p', { ...signature, certificateChain: Array(17).fill('AQID') }), /1 to 16 certificates/);
    refused(() => parseGenerateSignature('p', { ...signature, certificateChain: [42] }), /"certificateChain\[0\]" missing or not a base64 string/);
    refused(() => parseGenerateSignature('p', { ...signature, keyId: '' }), /"keyId" missing or not a non-empty string/);
    refused(() => parseGenerateEnvelope('p', { signatureEnvelope: 'AQID', signatureEnvelopeType: 'x', annotations: { a: 1 } }), /annotation "a" that is not a string/);
    refused(() => parseGenerateEnvelope('p', { signatureEnvelope: 'AQID', signatureEnvelopeType: 'x', annotations: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])) }), /more than 64 annotations/);
  });
});
