import assert from 'node:assert/strict';
import { NotationError } from '../../../../provider/src/notation/errors.js';
import { checkValidityAt, parseCertificate, type Certificate } from '../../../../provider/src/notation/x509/index.js';
import { createPki, YEAR_MS } from '../../../support/pki.js';

const AT = new Date('2025-06-01T00:00:00Z');

describe('notation/x509: checkValidityAt', () => {
  let chain: Certificate[];
  before(async () => {
    const pki = await createPki({ at: AT });
    chain = [pki.leaf, pki.intermediate, pki.root].map((c) => parseCertificate(c.der));
  });

  function notValid(at: Date, message: RegExp): void {
    assert.throws(
      () => checkValidityAt(chain, at, 'verification time'),
      (err: unknown) => {
        assert.ok(err instanceof NotationError);
        assert.equal(err.code, 'CERTIFICATE_NOT_VALID_AT_TIME');
        assert.match(err.message, message);
        return true;
      },
    );
  }

  it('accepts a time inside every validity window, bounds included', () => {
    checkValidityAt(chain, AT, 'verification time');
    checkValidityAt(chain, new Date(AT.getTime() + YEAR_MS), 'verification time');
    checkValidityAt(chain, new Date(AT.getTime() - YEAR_MS), 'verification time');
  });

  it('names the expired certificate, its window and the time used', () => {
    const later = new Date(AT.getTime() + YEAR_MS + 1000);
    notValid(
      later,
      new RegExp(
        `certificate "C=US,ST=WA,L=Seattle,O=signgate,CN=signgate test signer" has expired at verification time ` +
          `${later.toISOString()}: it is valid from ${new Date(AT.getTime() - YEAR_MS).toISOString()} to ` +
          `${new Date(AT.getTime() + YEAR_MS).toISOString()}`,
      ),
    );
  });

  it('reports a certificate that is not yet valid', () => {
    notValid(new Date(AT.getTime() - YEAR_MS - 1000), /is not yet valid at verification time/);
  });

  it('checks CA certificates too: an expired root fails even when the leaf is valid', () => {
    const root = chain[2] as Certificate;
    assert.throws(
      () => checkValidityAt([root], new Date(AT.getTime() + 3 * YEAR_MS), "the timestamp's genTime"),
      /signgate test root" has expired at the timestamp's genTime/,
    );
  });
});
