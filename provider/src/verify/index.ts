export {
  verifyArtifact,
  type ArtifactVerification,
  type SignatureManifestRef,
  type SignatureSource,
  type SignatureVerification,
  type VerifyArtifactInput,
} from './executor.js';
export { toVerdict, type Verdict, type VerdictContext, type VerifierReport } from './verdict.js';
