/** Trust policy documents: mutated valid documents and arbitrary JSON, NotationError only; selection on survivors. */
import fc from 'fast-check';
import { NotationError, parseTrustPolicyDocument, selectStatement } from '../../../provider/src/notation/index.js';
import { checkable, mutatedJson, typedOnly, type FuzzTarget } from '../harness.js';

const typed = (e: unknown): boolean => e instanceof NotationError;
const valid = (): unknown => ({
  version: '1.0',
  trustPolicies: [
    {
      name: 'team',
      registryScopes: ['registry.example.com/team/app', 'Docker.io/nginx', '[::1]:5000/x'],
      signatureVerification: { level: 'strict', override: { revocation: 'log' } },
      trustStores: ['ca:team', 'tsa:ts'],
      trustedIdentities: ['x509.subject: C=US, ST=WA, O=team, CN=signer'],
    },
    { name: 'all', registryScopes: ['*'], signatureVerification: { level: 'audit' }, trustStores: ['signingAuthority:sa'], trustedIdentities: ['*'] },
  ],
});

export const trustPolicyTarget: FuzzTarget = {
  name: 'trustpolicy',
  what: 'notation/trustpolicy: parseTrustPolicyDocument on mutated and arbitrary JSON, then selectStatement',
  ciRuns: 2000,
  property: () =>
    checkable(fc.property(fc.oneof({ weight: 8, arbitrary: mutatedJson(valid) }, { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }) }), fc.string({ maxLength: 60 }), (doc, reference) => {
      const parsed = typedOnly(typed, () => parseTrustPolicyDocument(doc));
      if (parsed === undefined) return;
      typedOnly(typed, () => selectStatement(parsed, reference));
      typedOnly(typed, () => selectStatement(parsed, `registry.example.com/team/app@sha256:${'a'.repeat(64)}`));
    })),
};
