// The OCI trust policy document v1.0: parse and validate it, pick the statement for an artifact, the level table,
// and trusted-identity matching.
export { parseTrustPolicyDocument } from './document.js';
export { selectStatement } from './scope.js';
export { validationActions } from './level.js';
export { parseDistinguishedName } from './dn.js';
export { matchTrustedIdentity } from './identity.js';
export type {
  TrustPolicyDocument,
  TrustPolicyStatement,
  TrustStoreRef,
  ValidationAction,
  ValidationType,
  VerificationLevelName,
} from './types.js';
