/** RFC 7512 PKCS#11 URIs: what signgate honours, and what it refuses instead of ignoring. */
import assert from 'node:assert/strict';
import { KeyError } from '../../../provider/src/keys/errors.js';
import { parsePkcs11Uri } from '../../../provider/src/keys/pkcs11/uri.js';

function refuses(uri: string, message: RegExp): void {
  assert.throws(
    () => parsePkcs11Uri(uri),
    (err: unknown) => err instanceof KeyError && err.code === 'PKCS11_URI_INVALID' && message.test(err.message) && err.isConfiguration,
  );
}

describe('keys/pkcs11 URI (RFC 7512)', () => {
  it('reads token, object, id bytes, slot-id and the query attributes, percent-decoded', () => {
    const uri = parsePkcs11Uri('pkcs11:token=My%20Token;object=sign%3Bkey;id=%01%A2;slot-id=3;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=12%2634');
    assert.equal(uri.token, 'My Token');
    assert.equal(uri.object, 'sign;key');
    assert.deepEqual([...(uri.id ?? [])], [0x01, 0xa2]);
    assert.equal(uri.slotId, 3n);
    assert.equal(uri.modulePath, '/usr/lib/softhsm/libsofthsm2.so');
    assert.equal(uri.pinValue, '12&34');
  });

  it('never shows the PIN: the redacted form replaces pin-value', () => {
    const uri = parsePkcs11Uri('pkcs11:token=T;object=O?pin-value=secret-pin&module-path=/m.so');
    assert.equal(uri.redacted, 'pkcs11:token=T;object=O?pin-value=***&module-path=/m.so');
    assert.doesNotMatch(JSON.stringify(uri.redacted), /secret-pin/);
  });

  it('pin-source takes a file: URI or an absolute path', () => {
    assert.equal(parsePkcs11Uri('pkcs11:object=O?pin-source=file:///run/pin').pinSource, '/run/pin');
    assert.equal(parsePkcs11Uri('pkcs11:object=O?pin-source=file:/run/pin').pinSource, '/run/pin');
    assert.equal(parsePkcs11Uri('pkcs11:object=O?pin-source=/run/pin').pinSource, '/run/pin');
    refuses('pkcs11:object=O?pin-source=pin.txt', /pin-source "pin.txt" is not a file: URI or an absolute path/);
  });

  it('refuses malformed URIs with what is wrong and how to write one', () => {
    refuses('token=T;object=O', /does not start with "pkcs11:".*pkcs11:token=LABEL;object=KEY-LABEL/);
    refuses('pkcs11:token=T', /names no key: add object=LABEL or id=/);
    refuses('pkcs11:token=T;token=U;object=O', /"token" appears twice/);
    refuses('pkcs11:object=O;library-version=1', /attribute "library-version" is not supported/);
    refuses('pkcs11:object=O?module-name=softhsm2', /query attribute "module-name" is not supported/);
    refuses('pkcs11:object=O;type=public', /type=public cannot sign/);
    refuses('pkcs11:object=%G1', /"%" not followed by two hex digits/);
    refuses('pkcs11:object=%FF', /not UTF-8 text/);
    refuses('pkcs11:object=O;slot-id=x', /slot-id "x" is not a decimal number/);
    refuses('pkcs11:object=O?module-path=lib.so', /module-path "lib.so" is not an absolute path/);
    refuses('pkcs11:object=O?pin-value=1&pin-source=/p', /pin-value and pin-source are both given/);
    refuses(`pkcs11:object=${'a'.repeat(5000)}`, /more than 4096/);
  });

  it('accepts vendor x- attributes (RFC 7512 §2.3) without acting on them', () => {
    assert.equal(parsePkcs11Uri('pkcs11:object=O;x-vendor=1').object, 'O');
  });
});
