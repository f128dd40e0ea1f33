import assert from 'node:assert/strict';
import { parseTrustPolicyDocument } from '../../../../provider/src/notation/trustpolicy/index.js';
import { WABBIT, documentOf, expectInvalid, statement } from './fixtures.js';

const parse = (input: unknown) => () => parseTrustPolicyDocument(input);

describe('notation/trustpolicy: parseTrustPolicyDocument (document and statements)', () => {
  it('parses a valid document into a frozen typed value with defaults filled in', () => {
    const doc = parseTrustPolicyDocument(documentOf(statement()));
    assert.equal(doc.version, '1.0');
    assert.equal(doc.trustPolicies.length, 1);
    const s = doc.trustPolicies[0];
    assert.ok(s);
    assert.equal(s.name, 'wabbit-networks-images');
    assert.deepEqual(s.registryScopes, ['registry.acme-rockets.io/software/net-monitor']);
    assert.deepEqual(s.signatureVerification, { level: 'strict', override: {}, verifyTimestamp: 'always' });
    assert.deepEqual(s.trustStores, [{ type: 'ca', name: 'acme-rockets' }]);
    assert.deepEqual(s.trustedIdentities, ['x509.subject: C=US, ST=WA, O=wabbit-networks.io']);
    assert.ok(Object.isFrozen(doc) && Object.isFrozen(doc.trustPolicies) && Object.isFrozen(s));
    assert.ok(Object.isFrozen(s.trustStores) && Object.isFrozen(s.trustStores[0]) && Object.isFrozen(s.signatureVerification));
  });

  it('does not share arrays with the input', () => {
    const input = statement();
    const doc = parseTrustPolicyDocument(documentOf(input));
    (input['registryScopes'] as string[]).push('registry.acme-rockets.io/other');
    assert.equal(doc.trustPolicies[0]?.registryScopes.length, 1);
  });

  for (const [what, input] of [
    ['null', null],
    ['an array', [documentOf(statement())]],
    ['a string', JSON.stringify(documentOf(statement()))],
    ['a number', 1],
    ['a Map', new Map([['version', '1.0']])],
  ] as const) {
    it(`rejects ${what} as the document`, () => {
      expectInvalid(parse(input), 'must be a JSON object');
    });
  }

  it('requires version "1.0"', () => {
    expectInvalid(parse({ trustPolicies: [statement()] }), 'empty version', '"1.0"');
    expectInvalid(parse({ version: '', trustPolicies: [statement()] }), 'empty version');
    expectInvalid(parse({ version: '2.0', trustPolicies: [statement()] }), 'unsupported version "2.0"');
    expectInvalid(parse({ version: 1.0, trustPolicies: [statement()] }), '"version" must be a string');
  });

  it('requires at least one statement, in an array', () => {
    expectInvalid(parse({ version: '1.0' }), 'zero trust policy statements');
    expectInvalid(parse({ version: '1.0', trustPolicies: null }), 'zero trust policy statements');
    expectInvalid(parse(documentOf()), 'zero trust policy statements');
    expectInvalid(parse({ version: '1.0', trustPolicies: statement() }), '"trustPolicies" must be an array');
  });

  it('bounds the number of statements', () => {
    const many = Array.from({ length: 257 }, (_, i) => statement({ name: `s${i}`, registryScopes: [`r.io/repo${i}`] }));
    expectInvalid(parse(documentOf(...many)), '257 trust policy statements', 'more than the 256');
    const enough = many.slice(0, 256);
    assert.equal(parseTrustPolicyDocument(documentOf(...enough)).trustPolicies.length, 256);
  });

  it('requires every statement to be an object with a name', () => {
    expectInvalid(parse(documentOf(statement(), null)), 'trustPolicies[1]', 'must be an object');
    expectInvalid(parse(documentOf('strict')), 'trustPolicies[0]', 'must be an object');
    expectInvalid(parse(documentOf(statement({ name: undefined }))), 'trustPolicies[0]', 'missing a name');
    expectInvalid(parse(documentOf(statement({ name: '' }))), 'trustPolicies[0]', 'missing a name');
    expectInvalid(parse(documentOf(statement({ name: 7 }))), 'trustPolicies[0]', '"name" must be a string');
    expectInvalid(parse(documentOf(statement({ name: 'x'.repeat(257) }))), '257 characters', 'more than the 256');
  });

  it('requires unique statement names', () => {
    const other = statement({ registryScopes: ['registry.acme-rockets.io/other'] });
    expectInvalid(parse(documentOf(statement(), other)), 'same name "wabbit-networks-images"', 'must be unique');
  });

  it('ignores unknown fields, as notation does', () => {
    const input = { ...documentOf(statement({ description: 'ours', signatureVerification: { level: 'strict', note: 1 } })), comment: 'x' };
    assert.equal(parseTrustPolicyDocument(input).trustPolicies[0]?.name, 'wabbit-networks-images');
  });

  it('rejects a field spelled like a known one in another case', () => {
    expectInvalid(parse({ Version: '1.0', version: '1.0', trustPolicies: [statement()] }), '"Version"', 'exactly "version"');
    expectInvalid(parse(documentOf(statement({ RegistryScopes: ['a.io/b'] }))), '"RegistryScopes"', 'exactly "registryScopes"');
    expectInvalid(parse(documentOf(statement({ signatureVerification: { Level: 'strict', level: 'strict' } }))), WABBIT, '"Level"');
  });

  it('bounds the number of fields of an object', () => {
    const wide: Record<string, unknown> = statement();
    for (let i = 0; i < 64; i++) wide[`extra${i}`] = i;
    expectInvalid(parse(documentOf(wide)), 'more than the 64 allowed');
  });

  it('names the statement and the field when a value has the wrong type', () => {
    expectInvalid(parse(documentOf(statement({ registryScopes: 'a.io/b' }))), WABBIT, '"registryScopes" must be an array of strings');
    expectInvalid(parse(documentOf(statement({ trustStores: ['ca:a', 1] }))), WABBIT, 'trustStores[1] must be a string');
    expectInvalid(parse(documentOf(statement({ signatureVerification: 'strict' }))), WABBIT, '"signatureVerification" must be an object');
  });

  it('bounds the entries and lengths of lists', () => {
    const scopes = Array.from({ length: 257 }, (_, i) => `r.io/repo${i}`);
    expectInvalid(parse(documentOf(statement({ registryScopes: scopes }))), WABBIT, '257 entries');
    expectInvalid(parse(documentOf(statement({ trustStores: Array.from({ length: 65 }, (_, i) => `ca:s${i}`) }))), WABBIT, '65 entries');
    const identities = Array.from({ length: 65 }, (_, i) => `x509.subject: C=US, ST=WA, O=org${i}`);
    expectInvalid(parse(documentOf(statement({ trustedIdentities: identities }))), WABBIT, '65 entries');
    const longIdentity = `x509.subject: C=US, ST=WA, O=${'o'.repeat(4096)}`;
    expectInvalid(parse(documentOf(statement({ trustedIdentities: [longIdentity] }))), WABBIT, 'trustedIdentities[0]', 'more than the 4096');
    expectInvalid(parse(documentOf(statement({ registryScopes: [`r.io/${'a'.repeat(600)}`] }))), WABBIT, 'more than the 512');
  });

  describe('trust stores and trusted identities by level', () => {
    it('requires both for strict, permissive and audit', () => {
      for (const level of ['strict', 'permissive', 'audit']) {
        const sv = { level };
        const msg = 'is either missing trust stores or trusted identities';
        expectInvalid(parse(documentOf(statement({ signatureVerification: sv, trustStores: [] }))), WABBIT, msg);
        expectInvalid(parse(documentOf(statement({ signatureVerification: sv, trustStores: undefined }))), WABBIT, msg);
        expectInvalid(parse(documentOf(statement({ signatureVerification: sv, trustedIdentities: [] }))), WABBIT, msg);
        expectInvalid(parse(documentOf(statement({ signatureVerification: sv, trustedIdentities: null }))), WABBIT, msg);
      }
    });

    it('accepts a skip statement without them (absent, null or empty), and yields empty lists', () => {
      for (const empty of [undefined, null, []]) {
        const s = statement({ signatureVerification: { level: 'skip' }, trustStores: empty, trustedIdentities: empty });
        const parsed = parseTrustPolicyDocument(documentOf(s)).trustPolicies[0];
        assert.deepEqual(parsed?.trustStores, []);
        assert.deepEqual(parsed?.trustedIdentities, []);
        assert.equal(parsed?.signatureVerification.level, 'skip');
      }
    });

    it('rejects a skip statement that carries trust stores or identities, as notation does', () => {
      const msg = 'set to skip signature verification but configured with trust stores and/or trusted identities';
      expectInvalid(parse(documentOf(statement({ signatureVerification: { level: 'skip' }, trustedIdentities: [] }))), WABBIT, msg);
      expectInvalid(parse(documentOf(statement({ signatureVerification: { level: 'skip' }, trustStores: [] }))), WABBIT, msg);
    });
  });

  describe('trust store values', () => {
    const stores = (trustStores: string[]) => parse(documentOf(statement({ trustStores })));

    it('parses ca, signingAuthority and tsa stores and collapses repeats', () => {
      const doc = parseTrustPolicyDocument(
        documentOf(statement({ trustStores: ['ca:acme_rockets.v2-1', 'signingAuthority:sa', 'tsa:GlobalSign', 'ca:acme_rockets.v2-1'] })),
      );
      assert.deepEqual(doc.trustPolicies[0]?.trustStores, [
        { type: 'ca', name: 'acme_rockets.v2-1' },
        { type: 'signingAuthority', name: 'sa' },
        { type: 'tsa', name: 'GlobalSign' },
      ]);
    });

    it('requires the <type>:<name> form', () => {
      expectInvalid(stores(['acme-rockets']), WABBIT, 'malformed trust store value "acme-rockets"', '<TrustStoreType>:<TrustStoreName>');
    });

    it('rejects unknown store types (case-sensitive)', () => {
      expectInvalid(stores(['CA:acme']), WABBIT, 'unsupported trust store type "CA"');
      expectInvalid(stores(['x509:acme']), WABBIT, 'unsupported trust store type "x509"');
      expectInvalid(stores(['signingauthority:acme']), WABBIT, 'unsupported trust store type');
    });

    it('rejects store names outside [a-zA-Z0-9_.-]+, and "." / ".."', () => {
      for (const bad of ['ca:', 'ca:a/b', 'ca:has space', 'ca:a:b', 'ca:..', 'ca:.', 'tsa:ü']) {
        expectInvalid(stores([bad]), WABBIT, 'unsupported trust store name', '[a-zA-Z0-9_.-]+');
      }
    });
  });
});
