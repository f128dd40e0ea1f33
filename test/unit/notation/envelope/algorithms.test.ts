import assert from 'node:assert/strict';
import { ALGORITHMS, algorithmForKey, parseEnvelope } from '../../../../provider/src/notation/envelope/index.js';
import { createKeyPair, createPki, type KeyKind, type Pki } from '../../../support/pki.js';
import { assertNotationError, coseHeader, craftCose, craftJws, jwsHeader, type Alg } from '../../../support/envelopes.js';

const AT = new Date('2025-03-01T12:00:00Z');

describe('notation/envelope: algorithm selection', () => {
  let rsa2048: Pki;
  let p256: Pki;
  let rsa1024: Pki;

  before(async () => {
    rsa2048 = await createPki({ at: AT, leafKey: 'rsa-2048' });
    p256 = await createPki({ at: AT, leafKey: 'ec-p256' });
    rsa1024 = await createPki({ at: AT, leafKey: 'rsa-1024' });
  });

  function both(pki: Pki, envelopeAlg: Alg, signAlg: Alg = envelopeAlg): Array<() => unknown> {
    const key = pki.leaf.key.privateKey;
    const jws = craftJws({ alg: signAlg, key, chain: pki.chain, protectedHeader: jwsHeader(envelopeAlg) });
    const cose = craftCose({ alg: signAlg, key, chain: pki.chain, protectedHeader: coseHeader(envelopeAlg) });
    return [() => parseEnvelope('application/jose+json', jws).verify(), () => parseEnvelope('application/cose', cose).verify()];
  }

  it('derives the algorithm from the key (RSA 2048/3072 -> PS256/384, P-256/384/521 -> ES256/384/512) from one table', async () => {
    const kinds: Record<string, KeyKind> = { PS256: 'rsa-2048', PS384: 'rsa-3072', ES256: 'ec-p256', ES384: 'ec-p384', ES512: 'ec-p521' };
    for (const [alg, kind] of Object.entries(kinds)) {
      const { privateKey } = await createKeyPair(kind, { shared: true });
      assert.equal(algorithmForKey(privateKey).name, alg);
    }
    assert.deepEqual(
      ALGORITHMS.map((a) => [a.name, a.coseId, a.hash]),
      [
        ['PS256', -37, 'sha256'], ['PS384', -38, 'sha384'], ['PS512', -39, 'sha512'],
        ['ES256', -7, 'sha256'], ['ES384', -35, 'sha384'], ['ES512', -36, 'sha512'],
      ],
    );
  });

  it('fails ALGORITHM_MISMATCH when alg is not the one the leaf key requires (JWS and COSE)', () => {
    // PS384 header and a real PS384 signature, made with an RSA-2048 key: notation requires PS256 for it
    for (const run of both(rsa2048, 'PS384')) assertNotationError(run, 'ALGORITHM_MISMATCH', /says PS384.*RSA 2048-bit.*requires PS256/);
    for (const run of both(p256, 'ES384', 'ES256')) assertNotationError(run, 'ALGORITHM_MISMATCH', /requires ES256/);
    for (const run of both(p256, 'PS256', 'ES256')) assertNotationError(run, 'ALGORITHM_MISMATCH');
  });

  it('rejects an RSA-1024 leaf as ALGORITHM_UNSUPPORTED', () => {
    for (const run of both(rsa1024, 'PS256')) assertNotationError(run, 'ALGORITHM_UNSUPPORTED', /RSA 1024-bit/);
  });

  it('rejects alg values outside the Notary Project set (none, HS256, RS256)', () => {
    for (const alg of ['none', 'HS256', 'RS256', 42]) {
      const env = craftJws({ alg: 'ES256', key: p256.leaf.key.privateKey, chain: p256.chain, protectedHeader: { ...jwsHeader('ES256'), alg } });
      assertNotationError(() => parseEnvelope('application/jose+json', env).verify(), 'ALGORITHM_UNSUPPORTED', /PS256, PS384/);
    }
  });
});
