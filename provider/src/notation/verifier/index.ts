export { verifySignature, type VerifySignatureInput } from './verifier.js';
export {
  VALIDATION_ORDER,
  failedValidation,
  firstLoggedFailure,
  type ValidationName,
  type ValidationResult,
  type VerificationOutcome,
} from './outcome.js';
