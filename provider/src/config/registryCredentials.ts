/**
 * An `authProvider` (Ratify's `{name: k8Secrets, secrets: [{secretName, namespace}]}`, a Store's
 * `spec.parameters.authProvider` or a SigningRule's `spec.registryCredentials.authProvider`) -> one Docker config.json. Each Secret must be of type kubernetes.io/dockerconfigjson; their `auths` are merged, the first Secret
 * naming a registry winning (Ratify asks them in order and takes the first match). Secrets are read through the
 * SecretResolver and the result is kept by a DockerConfigWriter, both supplied by the Kubernetes source (serve's and the
 * signer's); in plain files the resource is rejected.
 */
import type { IssueList } from './errors.js';
import type { DocumentOrigin } from './errors.js';
import type { StoreAuthProvider } from './kinds.js';
import type { SecretResolver } from './kmp.js';

export const DOCKER_CONFIG_SECRET_TYPE = 'kubernetes.io/dockerconfigjson';
export const DOCKER_CONFIG_KEY = '.dockerconfigjson';

/** Keeps a Docker config.json (its text) somewhere the registry client can read it and returns the path. */
export type DockerConfigWriter = (json: string) => Promise<string>;

export interface CredentialSources {
  readonly resolveSecret?: SecretResolver;
  readonly writeDockerConfig?: DockerConfigWriter;
}

/** Who asks: where its authProvider is, and the namespace of Secrets that name none. */
export interface AuthProviderOwner {
  readonly origin: DocumentOrigin;
  readonly at: readonly (string | number)[];
  /** A NamespacedStore's own namespace, or the signer's for a SigningRule; kinds.ts requires one on a cluster-wide Store. */
  readonly defaultNamespace: string | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `auths` of one Secret's `.dockerconfigjson`; throws an Error saying what is wrong. */
function authsOf(bytes: Uint8Array, label: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new Error(`${label} key ${DOCKER_CONFIG_KEY} is not JSON; recreate it with kubectl create secret docker-registry`);
  }
  const auths = isRecord(parsed) ? parsed.auths : undefined;
  if (!isRecord(auths)) throw new Error(`${label} key ${DOCKER_CONFIG_KEY} holds no "auths" mapping of registry credentials`);
  for (const [registry, entry] of Object.entries(auths)) {
    if (!isRecord(entry)) throw new Error(`${label}: auths["${registry}"] must be a mapping (auth, or username and password)`);
  }
  return auths;
}

/** What the schema cannot say of an authProvider beside a dockerConfig (`withDockerConfig`); false after adding issues. */
export function checkAuthProvider(
  auth: StoreAuthProvider,
  withDockerConfig: boolean,
  issues: IssueList,
  at: DocumentOrigin,
  where: readonly (string | number)[],
): boolean {
  let ok = true;
  if (withDockerConfig) {
    ok = false;
    issues.add('CONFIG_INVALID', at, [...where], 'cannot be combined with dockerConfig; use one of them');
  }
  if (auth.serviceAccountName !== undefined) {
    ok = false;
    const reason =
      "is not supported: Ratify also reads that ServiceAccount's imagePullSecrets, signgate reads only the Secrets listed " +
      'in secrets (so RBAC can name each one); remove it and list those Secrets under secrets';
    issues.add('CONFIG_INVALID', at, [...where, 'serviceAccountName'], reason);
  }
  return ok;
}

/**
 * The path of the merged Docker config of `auth`, or undefined (issues added). The resource's own checks (kinds.ts,
 * signingRules.ts) have already refused serviceAccountName and the dockerConfig conflict.
 */
export async function dockerConfigFromAuthProvider(
  auth: StoreAuthProvider,
  owner: AuthProviderOwner,
  issues: IssueList,
  sources: CredentialSources,
): Promise<string | undefined> {
  const at = [...owner.at];
  if (!sources.resolveSecret || !sources.writeDockerConfig) {
    const reason =
      `${auth.name} reads Kubernetes Secrets and works only with --kubernetes (signgate serve --kubernetes, signgate signer serve --kubernetes); ` +
      "in a file use dockerConfig: the path of a Docker config.json (mount the Secret's .dockerconfigjson and give its path)";
    issues.add('CONFIG_INVALID', owner.origin, at, reason);
    return undefined;
  }
  const merged: Record<string, unknown> = {};
  let failed = false;
  for (const [i, ref] of auth.secrets.entries()) {
    const namespace = ref.namespace ?? owner.defaultNamespace ?? '';
    const label = `Secret ${namespace}/${ref.secretName}`;
    try {
      const entries = await sources.resolveSecret({ namespace, name: ref.secretName, keys: [DOCKER_CONFIG_KEY], type: DOCKER_CONFIG_SECRET_TYPE });
      const entry = entries.find((e) => e.key === DOCKER_CONFIG_KEY);
      if (!entry) throw new Error(`${label} has no key ${DOCKER_CONFIG_KEY}`);
      for (const [registry, credential] of Object.entries(authsOf(entry.bytes, label))) {
        if (!Object.hasOwn(merged, registry)) merged[registry] = credential;
      }
    } catch (err) {
      failed = true;
      issues.add('CONFIG_UNREADABLE', owner.origin, [...at, 'secrets', i], err instanceof Error ? err.message : String(err));
    }
  }
  if (failed) return undefined;
  try {
    return await sources.writeDockerConfig(JSON.stringify({ auths: merged }));
  } catch (err) {
    issues.add('CONFIG_UNREADABLE', owner.origin, at, `the registry credentials could not be written: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}
