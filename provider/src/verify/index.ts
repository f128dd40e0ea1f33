export {
  verifyArtifact,
  type ArtifactVerification,
  type SignatureManifestRef,
  type SignatureSource,
  type SignatureVerification,
  type VerifyArtifactInput,
} from './executor.js';
export { makeVerdict, toVerdict, type Verdict, type VerdictContext, type VerifierReport } from './verdict.js';
export type { ArtifactReport, ArtifactResult } from './artifactReports.js';
export { stampVerdict, verdictJson } from './verdictJson.js';
export {
  createProviderExecutor,
  type ExecutorEvents,
  type ItemContext,
  type ItemErrorCode,
  type ItemResult,
  type ProviderExecutor,
  type ProviderExecutorOptions,
  type ProviderExecutorStats,
  type InvalidatingProviderExecutor,
  type VerdictInvalidation,
  type VerificationOutcomeLabel,
} from './provider.js';
export { createEventInvalidation, type EventInvalidation, type EventInvalidationOptions, type InvalidationKind, type InvalidationLogEvent, type PushedImage } from './invalidation.js';
export { createPrewarm, parsePrewarmScope, type Prewarm, type PrewarmOptions, type PrewarmOutcome, type PrewarmScope } from './prewarm.js';
export { createRegistryPool, type PooledRegistry, type RegistryCacheCounts, type RegistryPool } from './registryPool.js';
export { parseKey, KeyError, type ProviderKey } from './key.js';
export { policyFor } from './policy.js';
export { RegistrySignatureSource, resolveSubject, type RegistryLike, type ResolvedSubject } from './registrySource.js';
export { NO_CERTIFICATE_REASON } from './subject.js';
export { bindTag, requestedTag, TAG_NOT_SIGNED } from './tagBinding.js';
export { DEFAULT_VERDICT_CACHE_BYTES, type VerdictCacheOptions, type VerdictCacheStats } from './verdictCache.js';
export {
  createAudit,
  startAudit,
  type Audit,
  type AuditCycle,
  type AuditCycles,
  type AuditEvents,
  type AuditOptions,
  type AuditOutcome,
  type AuditPod,
  type AuditResult,
  type AuditSinks,
} from './audit.js';
export {
  SharedVerdictCache,
  type Invalidation,
  type SharedCacheClient,
  type SharedCacheEvents,
  type SharedCacheOperation,
  type SharedCacheOutcome,
  type SharedVerdictCacheOptions,
} from './sharedCache.js';
export { connectSharedCache, parseSharedCacheUrl, type SharedCacheUrl } from './sharedCacheRedis.js';
export { MIN_SHARED_CACHE_KEY_BYTES, SharedCacheError, type SharedCacheErrorCode } from './sharedVerdict.js';
