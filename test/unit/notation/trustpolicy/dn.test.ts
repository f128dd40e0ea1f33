import assert from 'node:assert/strict';
import { parseDistinguishedName } from '../../../../provider/src/notation/trustpolicy/index.js';
import { expectInvalid } from './fixtures.js';

const pairs = (dn: string): string[] => parseDistinguishedName(dn).map((a) => `${a.type}=${a.value}`);

describe('notation/trustpolicy: parseDistinguishedName (RFC 4514)', () => {
  it('parses attributes in order', () => {
    assert.deepEqual(parseDistinguishedName('CN=e2e,O=Notary,L=Seattle,ST=WA,C=US'), [
      { type: 'CN', value: 'e2e' },
      { type: 'O', value: 'Notary' },
      { type: 'L', value: 'Seattle' },
      { type: 'ST', value: 'WA' },
      { type: 'C', value: 'US' },
    ]);
    assert.ok(Object.isFrozen(parseDistinguishedName('C=US')));
  });

  it('ignores spaces around separators and "=", keeping inner spaces', () => {
    assert.deepEqual(pairs('  C = US ,  ST=WA  , O = Notary Project Inc  '), ['C=US', 'ST=WA', 'O=Notary Project Inc']);
  });

  it('accepts ";" as a separator and an unescaped "=" inside a value', () => {
    assert.deepEqual(pairs('C=US;ST=WA;O=a=b'), ['C=US', 'ST=WA', 'O=a=b']);
  });

  it('normalizes type names case-insensitively to upper-case short names', () => {
    assert.deepEqual(pairs('c=US,st=WA,o=x,ou=y,cn=z,l=w'), ['C=US', 'ST=WA', 'O=x', 'OU=y', 'CN=z', 'L=w']);
    assert.deepEqual(pairs('S=WA'), ['ST=WA']);
    assert.deepEqual(pairs('stateOrProvinceName=WA,countryName=US,organizationName=N'), ['ST=WA', 'C=US', 'O=N']);
    assert.deepEqual(pairs('commonName=a,organizationalUnitName=b,localityName=c,emailAddress=d@e'), [
      'CN=a',
      'OU=b',
      'L=c',
      'EMAILADDRESS=d@e',
    ]);
    assert.deepEqual(pairs('dnQualifier=q,x-custom=1'), ['DNQUALIFIER=q', 'X-CUSTOM=1']);
  });

  it('keeps numeric OIDs as given', () => {
    assert.deepEqual(pairs('2.5.4.3=leaf,1.2.840.113549.1.9.1=a@b'), ['2.5.4.3=leaf', '1.2.840.113549.1.9.1=a@b']);
  });

  it('unescapes special characters', () => {
    const value = (dn: string) => parseDistinguishedName(dn)[0]?.value;
    assert.equal(value('O=Acme\\, Inc.'), 'Acme, Inc.');
    assert.equal(value('O=a\\+b'), 'a+b');
    assert.equal(value('O=say \\"hi\\"'), 'say "hi"');
    assert.equal(value('O=back\\\\slash'), 'back\\slash');
    assert.equal(value('O=\\<tag\\>'), '<tag>');
    assert.equal(value('O=semi\\;colon'), 'semi;colon');
    assert.equal(value('O=eq\\=sign'), 'eq=sign');
    assert.equal(value('O=\\#1'), '#1');
  });

  it('decodes \\XX hex escapes as UTF-8 and keeps literal non-ASCII text', () => {
    assert.equal(parseDistinguishedName('O=Caf\\C3\\A9')[0]?.value, 'Café');
    assert.equal(parseDistinguishedName('O=\\2c')[0]?.value, ',');
    assert.equal(parseDistinguishedName('L=Zürich 😀')[0]?.value, 'Zürich 😀');
  });

  it('keeps escaped leading and trailing spaces, drops unescaped ones', () => {
    assert.equal(parseDistinguishedName('O=\\ padded\\ ')[0]?.value, ' padded ');
    assert.equal(parseDistinguishedName('O=\\20x')[0]?.value, ' x');
    assert.equal(parseDistinguishedName('O= x\\  ,C=US')[0]?.value, 'x ');
  });

  it('returns no attributes for a blank DN', () => {
    assert.deepEqual(parseDistinguishedName(''), []);
    assert.deepEqual(parseDistinguishedName('   '), []);
  });

  describe('errors (TRUST_POLICY_INVALID naming the DN and the position)', () => {
    const cases: readonly [string, string][] = [
      ['CN', 'without "="'],
      ['=x,C=US', 'empty attribute type'],
      ['C=US,,O=x', 'empty attribute type'],
      ['1CN=x', 'invalid attribute type "1CN"'],
      ['C N=x', 'invalid attribute type'],
      ['C=US,', 'ends with a separator'],
      ['CN=a+O=b', 'multi-valued RDN'],
      ['CN=#0403616263', 'hex-encoded'],
      ['CN= #04', 'hex-encoded'],
      ['CN=a\\', 'at the end of a value'],
      ['CN=a\\zz', 'invalid escape'],
      ['CN=a\\4', 'invalid escape'],
      ['CN=a"b', 'unescaped character'],
      ['CN=a<b', 'unescaped character'],
      ['CN=a>b', 'unescaped character'],
      ['CN=a\0b', 'unescaped character'],
      ['CN=\\C3', 'valid UTF-8'],
      ['CN=\ud800', 'surrogate'],
    ];
    for (const [dn, fragment] of cases) {
      it(`rejects ${JSON.stringify(dn)}`, () => {
        expectInvalid(() => parseDistinguishedName(dn), JSON.stringify(dn), fragment, 'at character', 'RFC 4514');
      });
    }

    it('bounds the length and the number of attributes', () => {
      expectInvalid(() => parseDistinguishedName(`CN=${'a'.repeat(4100)}`), 'more than the 4096');
      const many = Array.from({ length: 65 }, (_, i) => `OU=u${i}`).join(',');
      expectInvalid(() => parseDistinguishedName(many), 'more than 64 attributes');
    });
  });
});
