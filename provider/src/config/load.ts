/**
 * The loader: config paths (or ready-made documents) -> CRD schema checks -> typed resources -> one Config. Every
 * problem of every file is collected before one ConfigError is thrown.
 */
import { buildConfig } from './build.js';
import { loadCrdCatalog } from './crds.js';
import { ConfigError, IssueList, type ConfigIssue } from './errors.js';
import { InputTracker, type Stamps } from './inputs.js';
import type { SecretResolver } from './kmp.js';
import type { DockerConfigWriter } from './registryCredentials.js';
import { parseResources } from './kinds.js';
import { readConfigDocuments, type SourceDocument } from './sources.js';
import type { Config } from './types.js';

export interface LoadOptions {
  /** The generation the new Config carries. */
  readonly generation: number;
  /** Folder of the CRDs whose schemas validate the documents (default: the package's crds/). */
  readonly crdsDir?: string;
  /** Reads Secrets for KeyManagementProviders of type secret and Store authProvider (the Kubernetes source supplies it). */
  readonly resolveSecret?: SecretResolver;
  /** Keeps a Docker config.json built from Secrets and returns its path (the Kubernetes source supplies it). */
  readonly writeDockerConfig?: DockerConfigWriter;
  /** The signer's namespace: where a SigningRule's authProvider reads Secrets that name none. */
  readonly signerNamespace?: string;
}

/** One load attempt: the Config or the error, plus what was read (for the watcher). */
export interface LoadAttempt {
  readonly config?: Config;
  readonly error?: ConfigError;
  readonly stamps: Stamps;
  /** SHA-256 of everything read; equal digests mean nothing changed. */
  readonly digest: string;
}

async function build(
  documents: readonly SourceDocument[],
  tracker: InputTracker,
  issues: IssueList,
  options: LoadOptions,
): Promise<Config> {
  const catalog = await loadCrdCatalog(options.crdsDir);
  const resources = parseResources(documents, catalog, issues);
  return buildConfig(resources, {
    generation: options.generation,
    tracker,
    issues,
    ...(options.resolveSecret ? { resolveSecret: options.resolveSecret } : {}),
    ...(options.writeDockerConfig ? { writeDockerConfig: options.writeDockerConfig } : {}),
    ...(options.signerNamespace === undefined ? {} : { signerNamespace: options.signerNamespace }),
  });
}

async function attempt(
  read: (tracker: InputTracker, issues: IssueList) => Promise<readonly SourceDocument[]>,
  options: LoadOptions,
): Promise<LoadAttempt> {
  const tracker = new InputTracker();
  const issues = new IssueList();
  try {
    const documents = await read(tracker, issues);
    const config = await build(documents, tracker, issues, options);
    if (!issues.empty) return { error: new ConfigError(issues.sorted()), stamps: tracker.stamps, digest: tracker.digest() };
    return { config, stamps: tracker.stamps, digest: tracker.digest() };
  } catch (err) {
    const error = err instanceof ConfigError ? err : unexpected(err);
    return { error, stamps: tracker.stamps, digest: tracker.digest() };
  }
}

function unexpected(err: unknown): ConfigError {
  const reason = err instanceof Error ? err.message : String(err);
  return new ConfigError([{ code: 'CONFIG_UNREADABLE', file: '(config)', path: '', reason: `could not be loaded: ${reason}` }], {
    cause: err,
  });
}

/** Loads config files or folders; never throws (see LoadAttempt.error). */
export function attemptLoadFromFiles(paths: readonly string[], options: LoadOptions): Promise<LoadAttempt> {
  return attempt((tracker, issues) => readConfigDocuments(paths, tracker, issues), options);
}

/**
 * The Config of multi-document YAML files and folders of them (`*.yaml`, `*.yml`). Throws ConfigError listing every
 * problem (file:line, document, kind/name, field path, reason).
 */
export async function loadConfigFromFiles(paths: readonly string[], options: LoadOptions): Promise<Config> {
  const result = await attemptLoadFromFiles(paths, options);
  if (result.error || !result.config) throw result.error ?? unexpected(new Error('no configuration'));
  return result.config;
}

/** The Config of documents from another source (the Kubernetes API): same checks, same errors. */
export async function loadConfigFromDocuments(documents: readonly SourceDocument[], options: LoadOptions): Promise<Config> {
  const result = await attempt(() => Promise.resolve(documents), options);
  if (result.error || !result.config) throw result.error ?? unexpected(new Error('no configuration'));
  return result.config;
}

/**
 * The schema and per-kind problems of `documents` (no file, Secret or certificate is read): what a controller reports
 * on each resource's status, and what `crds/samples` are tested with.
 */
export async function checkDocuments(documents: readonly SourceDocument[], options: { crdsDir?: string } = {}): Promise<ConfigIssue[]> {
  const issues = new IssueList();
  parseResources(documents, await loadCrdCatalog(options.crdsDir), issues);
  return issues.sorted();
}
