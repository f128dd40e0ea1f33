import assert from 'node:assert/strict';
import {
  matchTrustedIdentity,
  parseTrustPolicyDocument,
  type TrustPolicyStatement,
} from '../../../../provider/src/notation/trustpolicy/index.js';
import type { DistinguishedNameAttribute } from '../../../../provider/src/notation/types.js';
import { WABBIT, documentOf, expectInvalid, statement } from './fixtures.js';

function withIdentities(trustedIdentities: string[]): TrustPolicyStatement {
  const parsed = parseTrustPolicyDocument(documentOf(statement({ trustedIdentities }))).trustPolicies[0];
  assert.ok(parsed);
  return parsed;
}
const attempt = (ids: string[]) => () => withIdentities(ids);

/** A leaf subject as the certificate layer reports it. */
const LEAF: readonly DistinguishedNameAttribute[] = [
  { type: 'C', value: 'US' },
  { type: 'ST', value: 'WA' },
  { type: 'L', value: 'Seattle' },
  { type: 'O', value: 'Notary' },
  { type: 'OU', value: 'Build' },
  { type: 'CN', value: 'e2e' },
];

describe('notation/trustpolicy: trusted identities', () => {
  describe('validation', () => {
    it('accepts "*" alone and x509.subject identities with C, ST and O', () => {
      assert.deepEqual(withIdentities(['*']).trustedIdentities, ['*']);
      const ids = ['x509.subject: C=US, ST=WA, O=Notary, CN=e2e', 'x509.subject:C=US,S=CA,O=Other'];
      assert.deepEqual(withIdentities(ids).trustedIdentities, ids);
    });

    it('accepts and keeps identities with other prefixes (ignored when matching)', () => {
      assert.deepEqual(withIdentities(['x509.san:build.example.com']).trustedIdentities, ['x509.san:build.example.com']);
      assert.equal(withIdentities(['X509.Subject:whatever']).trustedIdentities.length, 1);
    });

    it('rejects "*" together with other identities', () => {
      expectInvalid(attempt(['*', 'x509.subject: C=US, ST=WA, O=Notary']), WABBIT, 'wildcard trusted identity');
      expectInvalid(attempt(['*', '*']), WABBIT, 'wildcard trusted identity');
    });

    it('rejects an empty identity and one without a separator', () => {
      expectInvalid(attempt(['']), WABBIT, 'has an empty trusted identity');
      expectInvalid(attempt(['x509.subject CN=e2e,O=Notary,ST=WA,C=US']), WABBIT, 'missing separator');
    });

    it('rejects an x509.subject identity without a DN', () => {
      expectInvalid(attempt(['x509.subject:']), WABBIT, '"x509.subject:"', 'empty');
      expectInvalid(attempt(['x509.subject:   ']), WABBIT, 'no mandatory RDN attribute for "C"');
    });

    it('requires C, ST (or S) and O', () => {
      expectInvalid(attempt(['x509.subject: ST=WA, O=Notary']), WABBIT, 'no mandatory RDN attribute for "C"');
      expectInvalid(attempt(['x509.subject: CN=e2e,O=Notary,L=Seattle,C=US']), WABBIT, 'has no mandatory', '"ST"');
      expectInvalid(attempt(['x509.subject: C=US, ST=WA']), WABBIT, 'no mandatory RDN attribute for "O"');
    });

    it('rejects duplicate attributes, S next to ST included', () => {
      expectInvalid(attempt(['x509.subject: C=US, ST=WA, O=a, O=b']), WABBIT, 'duplicate RDN attribute for "O"');
      expectInvalid(attempt(['x509.subject: C=US, ST=WA, S=WA, O=a']), WABBIT, 'duplicate RDN attribute for "ST"');
    });

    it('rejects multi-valued, "=#" and empty-valued attributes and unparsable DNs', () => {
      expectInvalid(attempt(['x509.subject: C=US+ST=WA, O=a']), WABBIT, 'multi-valued');
      expectInvalid(attempt(['x509.subject: C=US, ST=WA, O=#0403616263']), WABBIT, '"=#"');
      expectInvalid(attempt(['x509.subject: C=US, ST=WA, O= #04']), WABBIT, 'hex-encoded');
      expectInvalid(attempt(['x509.subject: C=US, ST=WA, O=a, CN=']), WABBIT, '"CN" has an empty value');
      expectInvalid(attempt(['x509.subject: C=US, ST=WA, O=a"b']), WABBIT, 'invalid identity value', 'unescaped');
    });

    it('rejects overlapping identities (one DN a subset of another), naming both', () => {
      const broad = 'x509.subject: C=US, ST=WA, O=wabbit-network.io';
      const narrow = 'x509.subject: C=US, ST=WA, O=wabbit-network.io, OU=org1';
      expectInvalid(attempt([narrow, broad]), WABBIT, 'overlapping x509 trustedIdentities', JSON.stringify(broad), JSON.stringify(narrow));
      expectInvalid(attempt([broad, broad]), WABBIT, 'overlapping');
      expectInvalid(attempt([broad, 'x509.subject: o=wabbit-network.io, s=WA, c=US']), WABBIT, 'overlapping');
    });

    it('accepts distinct identities that do not overlap', () => {
      const ids = ['x509.subject: C=US, ST=WA, O=Notary, OU=a', 'x509.subject: C=US, ST=WA, O=Notary, OU=b'];
      assert.equal(withIdentities(ids).trustedIdentities.length, 2);
    });
  });

  describe('matchTrustedIdentity', () => {
    it('matches "*" whatever the subject', () => {
      assert.equal(matchTrustedIdentity(withIdentities(['*']), LEAF), '*');
      assert.equal(matchTrustedIdentity(withIdentities(['*']), []), '*');
    });

    it('matches when the subject contains every attribute of the identity (superset)', () => {
      const id = 'x509.subject: C=US, ST=WA, O=Notary';
      assert.equal(matchTrustedIdentity(withIdentities([id]), LEAF), id);
      const full = 'x509.subject: CN=e2e,OU=Build,O=Notary,L=Seattle,ST=WA,C=US';
      assert.equal(matchTrustedIdentity(withIdentities([full]), LEAF), full);
    });

    it('does not match when an attribute is missing from the subject or differs', () => {
      assert.equal(matchTrustedIdentity(withIdentities(['x509.subject: C=US, ST=WA, O=Notary, CN=other']), LEAF), undefined);
      assert.equal(matchTrustedIdentity(withIdentities(['x509.subject: C=US, ST=WA, O=Notary, 2.5.4.97=x']), LEAF), undefined);
      assert.equal(matchTrustedIdentity(withIdentities(['x509.subject: C=USB, ST=WA, O=Notary']), LEAF), undefined);
      assert.equal(matchTrustedIdentity(withIdentities(['x509.subject: C=US, ST=WA, O=notary']), LEAF), undefined);
    });

    it('returns the identity that matched among several', () => {
      const other = 'x509.subject: O=Internet Widgits Pty Ltd, ST=Some-State, C=AU';
      const ours = 'x509.subject: C=US, ST=WA, O=Notary, OU=Build';
      assert.equal(matchTrustedIdentity(withIdentities([other, ours]), LEAF), ours);
      assert.equal(matchTrustedIdentity(withIdentities([other, 'x509.subject: C=US, ST=WA, O=Else']), LEAF), undefined);
    });

    it('treats S and ST, and type-name case, as the same attribute on both sides', () => {
      const id = 'x509.subject: c=US, S=WA, o=Notary';
      assert.equal(matchTrustedIdentity(withIdentities([id]), LEAF), id);
      const subject = [
        { type: 'countryName', value: 'US' },
        { type: 's', value: 'WA' },
        { type: 'O', value: 'Notary' },
      ];
      assert.equal(matchTrustedIdentity(withIdentities(['x509.subject: C=US, ST=WA, O=Notary']), subject), 'x509.subject: C=US, ST=WA, O=Notary');
    });

    it('compares unescaped values', () => {
      const id = 'x509.subject: C=US, ST=WA, O=Acme\\, Inc.';
      const subject = LEAF.map((a) => (a.type === 'O' ? { type: 'O', value: 'Acme, Inc.' } : a));
      assert.equal(matchTrustedIdentity(withIdentities([id]), subject), id);
    });

    it('never matches a leaf subject that repeats an attribute type (notation refuses such subjects)', () => {
      // A CA-issued subject with O=Evil and O=Notary must not satisfy "O=Notary": notation parses the leaf subject
      // with the identity rules and fails on the duplicate, so the signer is untrusted.
      const id = 'x509.subject: C=US, ST=WA, O=Notary';
      assert.equal(matchTrustedIdentity(withIdentities([id]), [{ type: 'O', value: 'Evil' }, ...LEAF]), undefined);
      assert.equal(matchTrustedIdentity(withIdentities([id]), [...LEAF, { type: 'OU', value: 'Other' }]), undefined);
      assert.equal(matchTrustedIdentity(withIdentities([id]), [...LEAF, { type: 'stateOrProvinceName', value: 'WA' }]), undefined);
      assert.equal(matchTrustedIdentity(withIdentities(['*']), [{ type: 'O', value: 'Evil' }, ...LEAF]), '*');
    });

    it('ignores identities with other prefixes', () => {
      assert.equal(matchTrustedIdentity(withIdentities(['x509.san:e2e']), LEAF), undefined);
    });

    it('matches nothing for a skip statement', () => {
      const s = statement({ signatureVerification: { level: 'skip' }, trustStores: undefined, trustedIdentities: undefined });
      const skip = parseTrustPolicyDocument(documentOf(s)).trustPolicies[0];
      assert.ok(skip);
      assert.equal(matchTrustedIdentity(skip, LEAF), undefined);
    });
  });
});
