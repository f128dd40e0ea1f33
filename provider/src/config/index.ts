// signgate's configuration: custom resources of config.signgate.dev/v1alpha1 (schemas from crds/) -> one frozen Config.
export type {
  Config,
  ConfigSource,
  PolicyConfig,
  ScopeConfig,
  SigningKeyConfig,
  SigningRuleConfig,
  StoreConfig,
  VerificationPolicyMode,
  VerifierConfig,
} from './types.js';
export { ConfigError, formatIssue, type ConfigErrorCode, type ConfigIssue } from './errors.js';
export { checkDocuments, loadConfigFromDocuments, loadConfigFromFiles, type LoadOptions } from './load.js';
export { watchConfigFiles, type FileConfigSource, type Timers, type WatchFolder, type WatchOptions } from './watch.js';
export type { SourceDocument } from './sources.js';
export type { SecretEntry, SecretReference, SecretResolver } from './kmp.js';
export type { DockerConfigWriter } from './registryCredentials.js';
export { API_VERSION, loadCrdCatalog, type CrdCatalog } from './crds.js';
export { crdsDirectory, defaultConfigPath } from './paths.js';
export { serialRunner, type SerialRunner } from './serialRunner.js';
export { DEFAULT_POLICY } from './settings.js';
export { configDigest, scopeDigest, verifierDigest, type VerifierDigestInput } from './digest.js';
