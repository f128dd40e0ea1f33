import assert from 'node:assert/strict';
import { NotationError, parseTrustPolicyDocument } from '../../../../provider/src/notation/index.js';

const statement = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'images',
  registryScopes: ['registry.example/app'],
  signatureVerification: { level: 'strict' },
  trustStores: ['ca:acme'],
  trustedIdentities: ['*'],
  ...extra,
});

function invalid(input: unknown): NotationError {
  try {
    parseTrustPolicyDocument(input);
  } catch (err) {
    assert.ok(err instanceof NotationError, String(err));
    assert.equal(err.code, 'TRUST_POLICY_INVALID');
    return err;
  }
  return assert.fail('the trust policy was accepted');
}

describe('trust policy: misspelled field names', () => {
  it('names a misspelled statement field and the field meant', () => {
    const { trustedIdentities, ...rest } = statement();
    const err = invalid({ version: '1.0', trustPolicies: [{ ...rest, trustedIdentity: trustedIdentities }] });
    assert.match(err.message, /trust policy statement trustPolicies\[0\] has unknown field "trustedIdentity"; did you mean "trustedIdentities"\?/);
  });

  it('catches misspellings at every level: document, statement, signatureVerification', () => {
    assert.match(invalid({ verison: '1.0', version: '1.0', trustPolicies: [statement()] }).message, /"verison"; did you mean "version"\?/);
    assert.match(invalid({ version: '1.0', trustPolicy: [statement()] }).message, /"trustPolicy"; did you mean "trustPolicies"\?/);
    assert.match(invalid({ version: '1.0', trustPolicies: [statement({ registryScope: ['a.io/b'] })] }).message, /"registryScope"; did you mean "registryScopes"\?/);
    const overide = statement({ signatureVerification: { level: 'strict', overide: { revocation: 'log' } } });
    assert.match(invalid({ version: '1.0', trustPolicies: [overide] }).message, /"overide"; did you mean "override"\?/);
  });

  it('still ignores unknown fields that resemble no known one, as notation does', () => {
    const doc = { version: '1.0', comment: 'ours', trustPolicies: [statement({ description: 'x', note: 'y' })] };
    assert.equal(parseTrustPolicyDocument(doc).trustPolicies[0]?.name, 'images');
  });

  it('keeps the case-variant message for a field in another case', () => {
    assert.match(invalid({ version: '1.0', trustPolicies: [statement({ TrustStores: ['ca:x'] })] }).message, /"TrustStores"; spell it exactly "trustStores"/);
  });
});
