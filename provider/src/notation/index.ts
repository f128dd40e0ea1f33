// The notation layer's surface: verify one signature against trust material, and sign.
export { NotationError, type NotationErrorCode } from './errors.js';
export {
  ARTIFACT_TYPE_SIGNATURE,
  MEDIA_TYPE_COSE,
  MEDIA_TYPE_JWS,
  MEDIA_TYPE_PAYLOAD,
  type Descriptor,
  type EnvelopeMediaType,
  type Payload,
  type SignerInfo,
  type SigningScheme,
} from './types.js';
export {
  parseTrustPolicyDocument,
  selectStatement,
  validationActions,
  type TrustPolicyDocument,
  type TrustPolicyStatement,
} from './trustpolicy/index.js';
export { openTrustStore, type TrustStore } from './truststore/index.js';
export {
  createMemoryTrustStore,
  readTrustedCertificates,
  type MemoryTrustStore,
  type MemoryTrustStoreEntry,
  type TrustedCertificate,
} from './truststore/index.js';
export {
  VALIDATION_ORDER,
  failedValidation,
  firstLoggedFailure,
  verifySignature,
  type RevocationInput,
  type ValidationName,
  type ValidationResult,
  type VerificationOutcome,
  type VerifySignatureInput,
} from './verifier/index.js';
export {
  KEY_SPECS,
  algorithmForKeySpec,
  checkGeneratedEnvelope,
  keySpecName,
  privateKeySigner,
  serializePayload,
  signEnvelope,
  type AlgorithmSpec,
  type KeySignature,
  type KeySigner,
  type KeySpec,
  type SignRequest,
} from './signer/index.js';
export { parseCertificate, validateCodeSigningCertChain } from './x509/index.js';
export {
  createRevocationChecker,
  createRevocationFetch,
  MAX_CRL_BYTES,
  openCrlDirectory,
  parseCrlFile,
  type Crl,
  type FetchLike,
  type RevocationChecker,
  type RevocationCheckerOptions,
  type RevocationEvents,
} from './revocation/index.js';
