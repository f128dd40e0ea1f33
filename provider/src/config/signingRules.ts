/**
 * SigningRule resources -> SigningRuleConfig: the registry in oci's canonical form, the namespace (a repository path
 * prefix), the key door (file | pkcs11 | plugin, exactly one), the signature type and envelope, and the trigger.
 * Namespaces of one registry may not overlap: one rule decides for each repository, and a second one is rejected
 * naming the first (as TCR allows one policy per namespace). Registry credentials are the Store's: a `dockerConfig` file,
 * or (signer --kubernetes only) an `authProvider` whose dockerconfigjson Secrets registryCredentials.ts merges.
 */
import { isAbsolute, resolve } from 'node:path';
import { canonicalRegistry, OciError } from '../oci/index.js';
import type { DocumentOrigin, IssueList } from './errors.js';
import type { ConfigResource, StoreAuthProvider } from './kinds.js';
import { checkAuthProvider, dockerConfigFromAuthProvider, type CredentialSources } from './registryCredentials.js';
import type { SigningKeyConfig, SigningRuleConfig } from './types.js';

export interface SigningRuleSpec {
  readonly registry: string;
  readonly namespace: string;
  readonly key: {
    readonly file?: { readonly key: string; readonly certificateChain: string; readonly secretName?: string };
    readonly pkcs11?: { readonly uri: string; readonly certificateChain?: string };
    readonly plugin?: { readonly name: string; readonly id: string; readonly config?: Readonly<Record<string, string>> };
  };
  readonly signatureType?: 'Default' | 'Simple';
  readonly envelope?: 'jws' | 'cose';
  readonly expiry?: string;
  readonly trigger?: 'Automatic' | 'Manual';
  readonly enabled?: boolean;
  readonly removeSignaturesOnDelete?: boolean;
  readonly registryCredentials?: { readonly dockerConfig?: string; readonly authProvider?: StoreAuthProvider; readonly plainHttp?: boolean };
}

/** The Secrets of a SigningRule's authProvider (the Kubernetes signer supplies them), and their default namespace. */
export interface SigningRuleCredentialSources extends CredentialSources {
  /** The signer's namespace: where a Secret that names no namespace is read. */
  readonly signerNamespace?: string;
}

type Rule = Extract<ConfigResource, { kind: 'SigningRule' }>;

const SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };

/** What the schema cannot say: exactly one key door, a registry host that oci reads, one source of credentials. */
export function checkSigningRule(spec: SigningRuleSpec, issues: IssueList, at: DocumentOrigin): boolean {
  let ok = true;
  const credentials = spec.registryCredentials;
  if (credentials?.authProvider !== undefined) {
    const where = ['spec', 'registryCredentials', 'authProvider'];
    if (!checkAuthProvider(credentials.authProvider, credentials.dockerConfig !== undefined, issues, at, where)) ok = false;
  }
  const doors = (['file', 'pkcs11', 'plugin'] as const).filter((d) => spec.key[d] !== undefined);
  if (doors.length !== 1) {
    ok = false;
    const reason = doors.length === 0 ? 'needs one of file, pkcs11 or plugin' : `sets ${doors.join(' and ')}; give exactly one of file, pkcs11 or plugin`;
    issues.add('CONFIG_INVALID', at, ['spec', 'key'], reason);
  }
  try {
    canonicalRegistry(spec.registry, { singleLabel: true });
  } catch (err) {
    if (!(err instanceof OciError)) throw err;
    ok = false;
    issues.add('CONFIG_INVALID', at, ['spec', 'registry'], err.message);
  }
  return ok;
}

/** An absolute path; a relative one needs the config file's folder (a resource from the Kubernetes API has none). */
function pathOf(r: Rule, path: string, at: readonly string[], issues: IssueList): string | undefined {
  if (isAbsolute(path)) return path;
  if (r.baseDir !== undefined) return resolve(r.baseDir, path);
  issues.add('CONFIG_INVALID', r.origin, [...at], `"${path}" is relative, but this SigningRule comes from no file; give an absolute path`);
  return undefined;
}

function keyOf(r: Rule, issues: IssueList): SigningKeyConfig | undefined {
  const { file, pkcs11, plugin } = r.spec.key;
  if (file?.secretName !== undefined) return { door: 'secret', secretName: file.secretName, keyEntry: file.key, certificateChainEntry: file.certificateChain };
  if (file !== undefined) {
    const keyPath = pathOf(r, file.key, ['spec', 'key', 'file', 'key'], issues);
    const certificateChainPath = pathOf(r, file.certificateChain, ['spec', 'key', 'file', 'certificateChain'], issues);
    return keyPath === undefined || certificateChainPath === undefined ? undefined : { door: 'file', keyPath, certificateChainPath };
  }
  if (pkcs11 !== undefined) {
    if (pkcs11.certificateChain === undefined) return { door: 'pkcs11', uri: pkcs11.uri };
    const certificateChainPath = pathOf(r, pkcs11.certificateChain, ['spec', 'key', 'pkcs11', 'certificateChain'], issues);
    return certificateChainPath === undefined ? undefined : { door: 'pkcs11', uri: pkcs11.uri, certificateChainPath };
  }
  const p = plugin as NonNullable<typeof plugin>;
  return { door: 'plugin', name: p.name, keyId: p.id, pluginConfig: Object.freeze({ ...(p.config ?? {}) }) };
}

/** Two namespaces overlap when one is the other or a path prefix of it. */
function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

/** The rule's Docker config path: its dockerConfig file, or the file merged from its authProvider's Secrets. */
async function dockerConfigOf(r: Rule, issues: IssueList, sources: SigningRuleCredentialSources): Promise<{ path?: string; ok: boolean }> {
  const credentials = r.spec.registryCredentials;
  if (credentials?.authProvider !== undefined) {
    const owner = { origin: r.origin, at: ['spec', 'registryCredentials', 'authProvider'], defaultNamespace: sources.signerNamespace };
    const path = await dockerConfigFromAuthProvider(credentials.authProvider, owner, issues, sources);
    return path === undefined ? { ok: false } : { path, ok: true };
  }
  if (credentials?.dockerConfig === undefined) return { ok: true };
  const path = pathOf(r, credentials.dockerConfig, ['spec', 'registryCredentials', 'dockerConfig'], issues);
  return path === undefined ? { ok: false } : { path, ok: true };
}

export async function buildSigningRules(
  resources: readonly ConfigResource[],
  issues: IssueList,
  sources: SigningRuleCredentialSources = {},
): Promise<readonly SigningRuleConfig[]> {
  const out: SigningRuleConfig[] = [];
  const owners: Rule[] = [];
  for (const r of resources) {
    if (r.kind !== 'SigningRule') continue;
    const spec = r.spec;
    const registry = canonicalRegistry(spec.registry, { singleLabel: true });
    const first = owners.find((o) => canonicalRegistry(o.spec.registry, { singleLabel: true }) === registry && overlaps(o.spec.namespace, spec.namespace));
    if (first !== undefined) {
      const line = first.origin.lineOf?.([]);
      issues.add(
        'CONFIG_INVALID',
        r.origin,
        ['spec', 'namespace'],
        `${registry}/${spec.namespace} is already covered by SigningRule "${first.name}" (${registry}/${first.spec.namespace}, in ${first.origin.file}${line === undefined ? '' : `:${line}`}); one rule per registry namespace: change or delete one of them`,
      );
      continue;
    }
    owners.push(r);
    const key = keyOf(r, issues);
    const dockerConfig = await dockerConfigOf(r, issues, sources);
    if (key === undefined || !dockerConfig.ok) continue;
    const expiry = spec.expiry === undefined ? undefined : Number(spec.expiry.slice(0, -1)) * (SECONDS[spec.expiry.slice(-1)] ?? 0);
    out.push(
      Object.freeze({
        name: r.name,
        registry,
        namespace: spec.namespace,
        key: Object.freeze(key),
        signatureType: spec.signatureType ?? 'Default',
        envelope: spec.envelope ?? 'jws',
        ...(expiry === undefined ? {} : { expirySeconds: expiry }),
        trigger: spec.trigger ?? 'Automatic',
        enabled: spec.enabled ?? true,
        removeSignaturesOnDelete: spec.removeSignaturesOnDelete ?? false,
        plainHttp: spec.registryCredentials?.plainHttp ?? false,
        ...(dockerConfig.path === undefined ? {} : { dockerConfigPath: dockerConfig.path }),
      }),
    );
  }
  return Object.freeze(out);
}
