/** Certificates and chains: mutated DER parsed and chains of mutated certificates validated, typed errors only. */
import fc from 'fast-check';
import { NotationError, parseCertificate, validateCodeSigningCertChain } from '../../../provider/src/notation/index.js';
import { createPki } from '../../support/pki.js';
import { checkable, mutatedBytes, typedOnly, type FuzzTarget } from '../harness.js';

const typed = (e: unknown): boolean => e instanceof NotationError;
let chain: readonly Uint8Array[] = [];

export const x509Target: FuzzTarget = {
  name: 'x509',
  what: 'notation/x509: parseCertificate on mutated DER, validateCodeSigningCertChain on chains with one mutated link',
  ciRuns: 800,
  async setup() {
    chain = (await createPki({ at: new Date('2025-11-01T00:00:00Z') })).chain;
  },
  property: () => {
    const input = fc.oneof(
      { weight: 9, arbitrary: fc.nat(2).chain((which) => mutatedBytes(() => chain[which] ?? new Uint8Array()).map((der) => [which, der] as const)) },
      { weight: 1, arbitrary: fc.tuple(fc.nat(2), fc.uint8Array({ maxLength: 256 })) },
    );
    return checkable(fc.property(input, ([which, der]) => {
      const cert = typedOnly(typed, () => parseCertificate(der, 'fuzzed certificate'));
      if (cert === undefined) return;
      const links = chain.map((c, i) => (i === which ? cert : parseCertificate(c)));
      typedOnly(typed, () => validateCodeSigningCertChain(links));
    }));
  },
};
