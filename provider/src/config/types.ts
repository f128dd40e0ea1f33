/**
 * The one validated configuration the provider runs on, built from custom resources of config.signgate.dev/v1alpha1
 * (KeyManagementProvider, Verifier, Store, Policy and their Namespaced twins) read from YAML files or, later, from
 * the Kubernetes API. Values are frozen; a new Config (with a higher generation) replaces the old one as a whole.
 */
import type { Crl, TrustPolicyDocument, TrustStore } from '../notation/index.js';

export type VerificationPolicyMode = 'all' | 'any';

/** A Verifier of type notation, with its certificate stores already resolved from KeyManagementProviders. */
export interface VerifierConfig {
  /** metadata.name (Ratify's verifier name; shown as verifierName in verdicts). */
  readonly name: string;
  readonly type: 'notation';
  /** Artifact types this verifier handles; default [application/vnd.cncf.notary.signature]. */
  readonly artifactTypes: readonly string[];
  readonly trustPolicy: TrustPolicyDocument;
  /** `verificationCertStores` resolved to certificates: `<type>:<name>` -> the KMPs' certificates. */
  readonly trustStore: TrustStore;
  /** How many trusted certificates the stores hold in all (0: nothing can verify; the provider says how to add one). */
  readonly certificateCount: number;
  /** CRLs from spec.parameters.revocation.crlFiles, consulted before any network fetch (absent: none). */
  readonly crls?: readonly Crl[];
  /**
   * spec.parameters.verifyTag: a key with a tag passes only with a verified signature whose payload binds that tag
   * (org.opencontainers.image.ref.name; verify/tagBinding.ts). Absent: off.
   */
  readonly verifyTag?: true;
  /** Content hash of everything above (digest.ts `verifierDigest`): certificates and CRLs by fingerprint. */
  readonly digest: string;
}

/** The Store (type oras): how registries are reached and cached. */
export interface StoreConfig {
  readonly name: string;
  readonly cacheEnabled: boolean;
  /** TTL of tag -> digest and referrer lists, seconds (default 10). */
  readonly ttlSeconds: number;
  /** Hosts reached over plain HTTP (loopback hosts always are). */
  readonly plainHttpHosts: readonly string[];
  /**
   * Canonical token realm hosts (host[:port]) off a registry's own domain that may receive its credentials (oci
   * tokenRealm.ts); absent when the Store lists none.
   */
  readonly allowedTokenRealms?: readonly string[];
  /** Extra CA certificates (PEM text) trusted for registry TLS. */
  readonly caBundle?: string;
  /** Path of a Docker config.json with registry credentials. */
  readonly dockerConfigPath?: string;
  /** Signature envelope size cap in bytes (default 1 MiB). */
  readonly maxBlobBytes: number;
}

/** The Policy (type config-policy). */
export interface PolicyConfig {
  readonly name: string;
  /** artifactType -> all|any, plus the key "default" for every other type (default: all). */
  readonly artifactVerificationPolicies: Readonly<Record<string, VerificationPolicyMode>>;
}

/** The effective configuration for one scope: cluster-wide, or one namespace (its Namespaced* kinds over the cluster's). */
export interface ScopeConfig {
  readonly verifiers: readonly VerifierConfig[];
  readonly store: StoreConfig;
  readonly policy: PolicyConfig;
  /**
   * Content hash of this scope's effective configuration (digest.ts `scopeDigest`), equal on every replica that
   * loaded the same configuration: the configuration part of every verdict cache key.
   */
  readonly digest: string;
}

export interface Config {
  /** Bumped on every accepted change (a per-process counter, for logs and resource status; caches key on `digest`). */
  readonly generation: number;
  /** Content hash of the whole effective configuration (digest.ts `configDigest`): equal replicas log equal digests. */
  readonly digest: string;
  /** Cluster-wide configuration; undefined when no Verifier is configured at all. */
  readonly cluster: ScopeConfig | undefined;
  /** Effective configuration of namespaces that have Namespaced* resources. */
  readonly namespaces: ReadonlyMap<string, ScopeConfig>;
  /** SigningRules (read by `signgate signer`; `signgate serve` ignores them), at most one per registry namespace. */
  readonly signingRules: readonly SigningRuleConfig[];
}

/** The key a SigningRule signs with, by custody door (the shapes `signgate sign` takes). */
export type SigningKeyConfig =
  | { readonly door: 'file'; readonly keyPath: string; readonly certificateChainPath: string }
  /** A key file in a Kubernetes Secret of the signer's namespace (`spec.key.file.secretName`): entries, not paths. */
  | { readonly door: 'secret'; readonly secretName: string; readonly keyEntry: string; readonly certificateChainEntry: string }
  | { readonly door: 'pkcs11'; readonly uri: string; readonly certificateChainPath?: string }
  | { readonly door: 'plugin'; readonly name: string; readonly keyId: string; readonly pluginConfig: Readonly<Record<string, string>> };

/** A SigningRule: sign every tag pushed into `registry`/`namespace`/... with `key`. */
export interface SigningRuleConfig {
  readonly name: string;
  /** Canonical host[:port]. */
  readonly registry: string;
  /** Repository path prefix: the rule covers `namespace/...`. */
  readonly namespace: string;
  readonly key: SigningKeyConfig;
  /** Default binds the tag (payload annotation org.opencontainers.image.ref.name); Simple only the digest. */
  readonly signatureType: 'Default' | 'Simple';
  readonly envelope: 'jws' | 'cose';
  readonly expirySeconds?: number;
  /** Automatic: pushes and resync; Manual: backfill only. */
  readonly trigger: 'Automatic' | 'Manual';
  readonly enabled: boolean;
  /** Opt-in: deleting the rule deletes the signatures made with its certificate from its namespace (signing/removal.ts). */
  readonly removeSignaturesOnDelete: boolean;
  readonly plainHttp: boolean;
  readonly dockerConfigPath?: string;
}

/** Where a Config comes from (files today, the Kubernetes API later); the serving path only calls current(). */
export interface ConfigSource {
  /** The last good configuration; undefined until one has loaded. */
  current(): Config | undefined;
  /** Called with each new good configuration. Returns an unsubscribe function. */
  subscribe(listener: (config: Config) => void): () => void;
  /** The last rejected load (file, path and reason), if the latest attempt failed; the last good config stays. */
  lastError(): string | undefined;
  close(): Promise<void>;
}
