/**
 * Store and Policy resources -> StoreConfig and PolicyConfig, with their defaults (a scope without a Store or Policy
 * gets the defaults below). Registry CA material is checked to be certificates and normalized to PEM text. Registry
 * credentials come from `dockerConfig` (a file) or `authProvider` (Secrets, see registryCredentials.ts).
 */
import { isAbsolute, resolve } from 'node:path';
import { ARTIFACT_TYPE_SIGNATURE, readTrustedCertificates, type TrustedCertificate } from '../notation/index.js';
import { OciError, canonicalRegistry } from '../oci/index.js';
import type { IssueList } from './errors.js';
import { InputTooLargeError, type InputTracker } from './inputs.js';
import type { ConfigResource } from './kinds.js';
import { dockerConfigFromAuthProvider, type CredentialSources } from './registryCredentials.js';
import type { PolicyConfig, StoreConfig, VerificationPolicyMode } from './types.js';

export const DEFAULT_TTL_SECONDS = 10;
export const DEFAULT_MAX_BLOB_BYTES = 1024 * 1024;
const MAX_CA_FILE_BYTES = 1024 * 1024;

type StoreResource = Extract<ConfigResource, { kind: 'Store' }>;
type PolicyResource = Extract<ConfigResource, { kind: 'Policy' }>;

export const DEFAULT_STORE: StoreConfig = Object.freeze({
  name: 'default',
  cacheEnabled: true,
  ttlSeconds: DEFAULT_TTL_SECONDS,
  plainHttpHosts: Object.freeze([]),
  maxBlobBytes: DEFAULT_MAX_BLOB_BYTES,
});

/**
 * The built-in verification policy, used wherever a Policy is silent: a Notation signature admits the image when any
 * one of the image's signatures verifies under the trust policy (what `notation verify` decides), so an extra,
 * untrusted signature cannot block an image; every other artifact type needs all of its artifacts to verify.
 * `signgate verify --verification-policy` takes its default from here too.
 */
export const DEFAULT_POLICY: PolicyConfig = Object.freeze({
  name: 'default',
  artifactVerificationPolicies: Object.freeze<Record<string, VerificationPolicyMode>>({
    [ARTIFACT_TYPE_SIGNATURE]: 'any',
    default: 'all',
  }),
});

function toPem(certs: readonly TrustedCertificate[]): string {
  return certs
    .map((c) => {
      const b64 = Buffer.from(c.raw).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
      return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
    })
    .join('');
}

function bundleBytes(text: string): Uint8Array | undefined {
  if (text.includes('-----BEGIN ')) return new TextEncoder().encode(text);
  const compact = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return undefined;
  const decoded = Buffer.from(compact, 'base64');
  return decoded.toString('latin1').includes('-----BEGIN ') ? new Uint8Array(decoded) : undefined;
}

function absolute(resource: StoreResource, path: string): string | undefined {
  if (isAbsolute(path)) return path;
  return resource.baseDir === undefined ? undefined : resolve(resource.baseDir, path);
}

async function caBundleOf(resource: StoreResource, tracker: InputTracker, issues: IssueList): Promise<string | undefined> {
  const p = resource.spec.parameters ?? {};
  if (p.caBundle !== undefined) {
    const at = ['spec', 'parameters', 'caBundle'];
    const bytes = bundleBytes(p.caBundle);
    if (!bytes) {
      issues.add('CONFIG_CERTIFICATE', resource.origin, at, 'must be PEM certificates, or PEM certificates in base64');
      return undefined;
    }
    try {
      return toPem(readTrustedCertificates(bytes, 'spec.parameters.caBundle'));
    } catch (err) {
      issues.add('CONFIG_CERTIFICATE', resource.origin, at, (err as Error).message);
      return undefined;
    }
  }
  if (p.caFile === undefined) return undefined;
  const at = ['spec', 'parameters', 'caFile'];
  const path = absolute(resource, p.caFile);
  if (path === undefined) {
    issues.add('CONFIG_INVALID', resource.origin, at, 'must be an absolute path (this resource does not come from a file)');
    return undefined;
  }
  try {
    if ((await tracker.kindOf(path)) === 'missing') {
      issues.add('CONFIG_UNREADABLE', resource.origin, at, `does not exist (${path})`);
      return undefined;
    }
    return toPem(readTrustedCertificates(await tracker.readFile(path, MAX_CA_FILE_BYTES), path));
  } catch (err) {
    const code = err instanceof InputTooLargeError ? 'CONFIG_LIMIT' : 'CONFIG_CERTIFICATE';
    issues.add(code, resource.origin, at, err instanceof InputTooLargeError ? `${path} ${err.message}` : (err as Error).message);
    return undefined;
  }
}

export async function buildStore(
  resource: StoreResource,
  tracker: InputTracker,
  issues: IssueList,
  credentials: CredentialSources = {},
): Promise<StoreConfig> {
  const p = resource.spec.parameters ?? {};
  const caBundle = await caBundleOf(resource, tracker, issues);
  let dockerConfigPath: string | undefined;
  if (p.authProvider !== undefined) {
    const owner = { origin: resource.origin, at: ['spec', 'parameters', 'authProvider'], defaultNamespace: resource.namespace };
    dockerConfigPath = await dockerConfigFromAuthProvider(p.authProvider, owner, issues, credentials);
  } else if (p.dockerConfig !== undefined) {
    dockerConfigPath = absolute(resource, p.dockerConfig);
    const at = ['spec', 'parameters', 'dockerConfig'];
    if (dockerConfigPath === undefined) {
      issues.add('CONFIG_INVALID', resource.origin, at, 'must be an absolute path (this resource does not come from a file)');
    } else if ((await tracker.kindOf(dockerConfigPath)) !== 'file') {
      issues.add('CONFIG_UNREADABLE', resource.origin, at, `is not a file (${dockerConfigPath}); point it at a Docker config.json`);
    }
  }
  const hosts = [...new Set((p.plainHttp ?? []).flatMap((h, i) => canonicalHost(h, resource, ['spec', 'parameters', 'plainHttp', i], issues)))];
  const realms = [...new Set((p.allowedTokenRealms ?? []).flatMap((h, i) => canonicalHost(h, resource, ['spec', 'parameters', 'allowedTokenRealms', i], issues)))];
  return Object.freeze({
    name: resource.name,
    cacheEnabled: p.cacheEnabled ?? true,
    ttlSeconds: p.ttl ?? DEFAULT_TTL_SECONDS,
    plainHttpHosts: Object.freeze(hosts),
    ...(realms.length === 0 ? {} : { allowedTokenRealms: Object.freeze(realms) }),
    ...(caBundle === undefined ? {} : { caBundle }),
    ...(dockerConfigPath === undefined ? {} : { dockerConfigPath }),
    maxBlobBytes: p.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES,
  });
}

/**
 * A Policy's table as written, completed by DEFAULT_POLICY where it is silent. A `default` entry speaks for every
 * artifact type the Policy does not name (Notation signatures included, as in Ratify), so `{default: all}` keeps
 * Ratify's "all for everything"; without one, the built-in entries fill in.
 */
export function buildPolicy(resource: PolicyResource): PolicyConfig {
  const given: Record<string, VerificationPolicyMode> = Object.fromEntries(
    Object.entries(resource.spec.parameters?.artifactVerificationPolicies ?? {}),
  );
  const policies = Object.hasOwn(given, 'default') ? given : { ...DEFAULT_POLICY.artifactVerificationPolicies, ...given };
  return Object.freeze({ name: resource.name, artifactVerificationPolicies: Object.freeze(policies) });
}

/** A registry host in oci/reference's canonical form, or an issue at `at` saying why it has none. */
function canonicalHost(host: string, resource: StoreResource, at: readonly (string | number)[], issues: IssueList): string[] {
  try {
    return [canonicalRegistry(host, { singleLabel: true })];
  } catch (error) {
    if (!(error instanceof OciError)) throw error;
    issues.add('CONFIG_INVALID', resource.origin, at, error.message);
    return [];
  }
}
