export { verifySignature, type VerifySignatureInput } from './verifier.js';
export type { RevocationInput } from './revocation.js';
export {
  VALIDATION_ORDER,
  failedValidation,
  firstLoggedFailure,
  type ValidationName,
  type ValidationResult,
  type VerificationOutcome,
} from './outcome.js';
