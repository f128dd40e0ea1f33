// The sign-on-push service: SigningRules applied to pushed tags, with a queue, resync, baseline, backfill and status.
export { SigningError, type SigningErrorCode } from './errors.js';
export { fileBaselineStore, type Baseline, type BaselineStore } from './baseline.js';
export { signerIdentity, type SignerIdentity } from './coverage.js';
export type { RuleKey, TagOutcome } from './reconcile.js';
export { removeRuleSignatures, type RemovalInput, type RemovalSummary, type RemovedSignature } from './removal.js';
export {
  SigningService,
  type BackfillSummary,
  type RuleChanges,
  type RuleStatus,
  type SigningLogEvent,
  type SigningMetrics,
  type SigningServiceOptions,
  type TagStatus,
} from './service.js';
