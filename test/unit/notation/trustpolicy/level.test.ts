import assert from 'node:assert/strict';
import {
  parseTrustPolicyDocument,
  validationActions,
  type TrustPolicyStatement,
} from '../../../../provider/src/notation/trustpolicy/index.js';
import { WABBIT, documentOf, expectInvalid, statement } from './fixtures.js';

function withVerification(signatureVerification: unknown): TrustPolicyStatement {
  const s = statement({ signatureVerification });
  if ((signatureVerification as { level?: string } | null)?.level === 'skip') {
    delete s['trustStores'];
    delete s['trustedIdentities'];
  }
  const parsed = parseTrustPolicyDocument(documentOf(s)).trustPolicies[0];
  assert.ok(parsed);
  return parsed;
}
const attempt = (signatureVerification: unknown) => () => withVerification(signatureVerification);

describe('notation/trustpolicy: signatureVerification and the level table', () => {
  describe('level', () => {
    it('accepts strict, permissive, audit and skip', () => {
      for (const level of ['strict', 'permissive', 'audit', 'skip'] as const) {
        assert.equal(withVerification({ level }).signatureVerification.level, level);
      }
    });

    it('requires a level', () => {
      expectInvalid(attempt(undefined), WABBIT, 'verification level is empty or missing');
      expectInvalid(attempt({}), WABBIT, 'verification level is empty or missing');
      expectInvalid(attempt({ level: '' }), WABBIT, 'verification level is empty or missing');
    });

    it('rejects unknown levels (case-sensitive)', () => {
      expectInvalid(attempt({ level: 'Strict' }), WABBIT, 'invalid verification level "Strict"', '"permissive"');
      expectInvalid(attempt({ level: 'custom' }), WABBIT, 'invalid verification level "custom"');
      expectInvalid(attempt({ level: 1 }), WABBIT, '"level" must be a string');
    });
  });

  describe('override', () => {
    it('accepts enforce/log for authenticity, authenticTimestamp, expiry and also skip for revocation', () => {
      const override = { authenticity: 'log', authenticTimestamp: 'enforce', expiry: 'log', revocation: 'skip' };
      assert.deepEqual(withVerification({ level: 'strict', override }).signatureVerification.override, override);
    });

    it('treats an empty or null override as none, also for skip', () => {
      assert.deepEqual(withVerification({ level: 'strict', override: null }).signatureVerification.override, {});
      assert.deepEqual(withVerification({ level: 'skip', override: {} }).signatureVerification.override, {});
    });

    it('refuses to customize level skip', () => {
      expectInvalid(attempt({ level: 'skip', override: { revocation: 'log' } }), WABBIT, 'level "skip" cannot be customized');
    });

    it('refuses integrity in any form', () => {
      for (const action of ['enforce', 'log', 'skip']) {
        expectInvalid(attempt({ level: 'audit', override: { integrity: action } }), WABBIT, '"integrity" verification can not be overridden');
      }
    });

    it('refuses skip for every type but revocation', () => {
      for (const type of ['authenticity', 'authenticTimestamp', 'expiry']) {
        expectInvalid(attempt({ level: 'permissive', override: { [type]: 'skip' } }), WABBIT, `"${type}" verification can not be skipped`);
      }
    });

    it('refuses unknown types and actions', () => {
      expectInvalid(attempt({ level: 'strict', override: { trustedIdentity: 'log' } }), WABBIT, 'verification type "trustedIdentity"');
      expectInvalid(attempt({ level: 'strict', override: { Expiry: 'log' } }), WABBIT, 'verification type "Expiry"');
      expectInvalid(attempt({ level: 'strict', override: { expiry: 'warn' } }), WABBIT, 'verification action "warn"', '"enforce"');
      expectInvalid(attempt({ level: 'strict', override: { expiry: null } }), WABBIT, 'verification action null');
      expectInvalid(attempt({ level: 'strict', override: ['expiry'] }), WABBIT, '"override" must be an object');
    });
  });

  describe('verifyTimestamp', () => {
    it('defaults to always (absent, null or empty)', () => {
      for (const verifyTimestamp of [undefined, null, '']) {
        assert.equal(withVerification({ level: 'strict', verifyTimestamp }).signatureVerification.verifyTimestamp, 'always');
      }
    });

    it('accepts always and afterCertExpiry', () => {
      assert.equal(withVerification({ level: 'strict', verifyTimestamp: 'always' }).signatureVerification.verifyTimestamp, 'always');
      const s = withVerification({ level: 'permissive', verifyTimestamp: 'afterCertExpiry' });
      assert.equal(s.signatureVerification.verifyTimestamp, 'afterCertExpiry');
    });

    it('rejects other values', () => {
      expectInvalid(attempt({ level: 'strict', verifyTimestamp: 'never' }), WABBIT, 'verifyTimestamp "never" is not supported', '"afterCertExpiry"');
      expectInvalid(attempt({ level: 'strict', verifyTimestamp: true }), WABBIT, '"verifyTimestamp" must be a string');
    });
  });

  describe('validationActions', () => {
    const table = {
      strict: { integrity: 'enforce', authenticity: 'enforce', authenticTimestamp: 'enforce', expiry: 'enforce', revocation: 'enforce' },
      permissive: { integrity: 'enforce', authenticity: 'enforce', authenticTimestamp: 'log', expiry: 'log', revocation: 'log' },
      audit: { integrity: 'enforce', authenticity: 'log', authenticTimestamp: 'log', expiry: 'log', revocation: 'log' },
      skip: { integrity: 'skip', authenticity: 'skip', authenticTimestamp: 'skip', expiry: 'skip', revocation: 'skip' },
    } as const;

    for (const level of ['strict', 'permissive', 'audit', 'skip'] as const) {
      it(`gives the specification's row for ${level}`, () => {
        assert.deepEqual(validationActions(withVerification({ level })), table[level]);
      });
    }

    it('applies overrides to strict (logging what it enforces)', () => {
      const s = withVerification({ level: 'strict', override: { expiry: 'log', authenticity: 'log', revocation: 'skip' } });
      assert.deepEqual(validationActions(s), {
        integrity: 'enforce',
        authenticity: 'log',
        authenticTimestamp: 'enforce',
        expiry: 'log',
        revocation: 'skip',
      });
    });

    it('applies overrides to permissive (enforcing what it logs)', () => {
      const s = withVerification({
        level: 'permissive',
        override: { revocation: 'enforce', expiry: 'enforce', authenticTimestamp: 'enforce', authenticity: 'log' },
      });
      assert.deepEqual(validationActions(s), {
        integrity: 'enforce',
        authenticity: 'log',
        authenticTimestamp: 'enforce',
        expiry: 'enforce',
        revocation: 'enforce',
      });
    });

    it('applies overrides to audit and never changes integrity', () => {
      const s = withVerification({ level: 'audit', override: { authenticity: 'enforce', revocation: 'skip' } });
      const actions = validationActions(s);
      assert.deepEqual(actions, { integrity: 'enforce', authenticity: 'enforce', authenticTimestamp: 'log', expiry: 'log', revocation: 'skip' });
      assert.ok(Object.isFrozen(actions));
    });
  });
});
