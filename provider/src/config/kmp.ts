/**
 * KeyManagementProviders -> trusted certificates. `inline` parses PEM from the resource; `file` reads PEM/DER files
 * or folders of them (an empty folder is allowed: nothing verifies until a certificate is added, and the message says
 * where), or a Notation trust-store folder through notation's own reader; `secret` asks a resolver (the Kubernetes
 * source supplies one). Every certificate must be a CA certificate or self-signed, as in a Notation trust store.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { openTrustStore, readTrustedCertificates, type TrustedCertificate } from '../notation/index.js';
import type { IssueList } from './errors.js';
import { InputTooLargeError, type InputTracker } from './inputs.js';
import type { ConfigResource, TrustStoreTypeName } from './kinds.js';

export const MAX_CERTIFICATE_FILE_BYTES = 1024 * 1024;
export const MAX_FILES_PER_FOLDER = 1000;
const CERTIFICATE_EXTENSIONS = ['.pem', '.crt', '.cer', '.der'];
const NOT_ABSOLUTE = 'must be an absolute path (this resource does not come from a file)';

export interface SecretReference {
  readonly namespace: string;
  readonly name: string;
  readonly keys?: readonly string[];
  /** The Secret must be of this type (e.g. kubernetes.io/dockerconfigjson); any type when absent. */
  readonly type?: string;
}
export interface SecretEntry {
  readonly key: string;
  readonly bytes: Uint8Array;
}
/** Reads a Secret's entries (`keys`, by default those ending in .crt or .pem), checking `type` if given. Throws when it cannot. */
export type SecretResolver = (ref: SecretReference) => Promise<readonly SecretEntry[]>;

export type KmpResource = Extract<ConfigResource, { kind: 'KeyManagementProvider' }>;

export interface ResolvedKmp {
  readonly resource: KmpResource;
  /** Certificates for named store `type:name` (a trust-store folder answers per store; the others ignore the name). */
  certificatesFor(type: TrustStoreTypeName, name: string): Promise<readonly TrustedCertificate[]>;
  /** Certificates it holds, when that does not depend on the store (undefined for a trust-store folder). */
  readonly count: number | undefined;
  /** Where its certificates come from and how to add one: said when a store ends up empty. */
  readonly hint: string;
}

function label(resource: KmpResource): string {
  const kind = resource.namespace === undefined ? 'KeyManagementProvider' : 'NamespacedKeyManagementProvider';
  return `${kind} "${resource.namespace === undefined ? '' : `${resource.namespace}/`}${resource.name}"`;
}

function absolute(resource: KmpResource, path: string): string | undefined {
  if (isAbsolute(path)) return path;
  return resource.baseDir === undefined ? undefined : resolve(resource.baseDir, path);
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function readCertificateFile(tracker: InputTracker, path: string): Promise<TrustedCertificate[]> {
  const bytes = await tracker.readFile(path, MAX_CERTIFICATE_FILE_BYTES);
  return readTrustedCertificates(bytes, path);
}

async function fromPaths(resource: KmpResource, paths: readonly string[], tracker: InputTracker, issues: IssueList) {
  const certs: TrustedCertificate[] = [];
  const folders: string[] = [];
  for (const [i, path] of paths.entries()) {
    const at = ['spec', 'parameters', 'paths', i];
    const abs = absolute(resource, path);
    if (abs === undefined) {
      issues.add('CONFIG_INVALID', resource.origin, at, NOT_ABSOLUTE);
      continue;
    }
    try {
      const kind = await tracker.kindOf(abs);
      if (kind === 'missing') {
        issues.add('CONFIG_UNREADABLE', resource.origin, at, `does not exist (${abs}); create it or correct the path`);
      } else if (kind === 'directory') {
        folders.push(abs);
        const names = (await tracker.listDirectory(abs)).filter(
          (n) => !n.startsWith('.') && CERTIFICATE_EXTENSIONS.some((e) => n.toLowerCase().endsWith(e)),
        );
        if (names.length > MAX_FILES_PER_FOLDER) {
          issues.add('CONFIG_LIMIT', resource.origin, at, `holds ${names.length} certificate files, more than ${MAX_FILES_PER_FOLDER}`);
          continue;
        }
        for (const name of names) {
          const file = join(abs, name);
          if ((await tracker.kindOf(file)) === 'file') certs.push(...(await readCertificateFile(tracker, file)));
        }
      } else {
        certs.push(...(await readCertificateFile(tracker, abs)));
      }
    } catch (err) {
      const code = err instanceof InputTooLargeError ? 'CONFIG_LIMIT' : 'CONFIG_CERTIFICATE';
      issues.add(code, resource.origin, at, err instanceof InputTooLargeError ? `${abs} ${err.message}` : reasonOf(err));
    }
  }
  const where = folders.length > 0 ? folders.join(', ') : paths.join(', ');
  const hint =
    `${label(resource)} reads certificates from ${where} and found none; copy the root CA certificate of your signer ` +
    `(PEM, as a *.pem or *.crt file) into ${folders[0] ?? 'one of its paths'} and the configuration reloads by itself`;
  return { certs, hint };
}

function fromTrustStoreFolder(resource: KmpResource, path: string, tracker: InputTracker, issues: IssueList): ResolvedKmp | undefined {
  const root = absolute(resource, path);
  if (root === undefined) {
    issues.add('CONFIG_INVALID', resource.origin, ['spec', 'parameters', 'trustStorePath'], NOT_ABSOLUTE);
    return undefined;
  }
  const store = openTrustStore(root);
  return {
    resource,
    count: undefined,
    hint: `${label(resource)} reads the Notation trust store ${root}; add certificates to its x509/<type>/<name>/ folder`,
    async certificatesFor(type, name) {
      const dir = join(root, 'x509', type, name);
      // Stamp the folder (even when missing) so that creating or changing it reloads the configuration.
      if ((await tracker.kindOf(dir)) === 'directory') {
        for (const entry of await tracker.listDirectory(dir)) await tracker.noteFile(join(dir, entry));
      }
      return store.getCertificates(type, name);
    },
  };
}

async function fromSecret(resource: KmpResource, issues: IssueList, resolver?: SecretResolver) {
  const ref = resource.spec.parameters?.secretRef;
  const at = ['spec', 'parameters', 'secretRef'];
  if (!ref) return undefined;
  if (!resolver) {
    const reason = 'secret reads a Kubernetes Secret and works with `signgate serve --kubernetes` only; in a file use type inline or file';
    issues.add('CONFIG_INVALID', resource.origin, ['spec', 'type'], reason);
    return undefined;
  }
  const namespace = ref.namespace ?? resource.namespace;
  if (namespace === undefined) {
    issues.add('CONFIG_INVALID', resource.origin, [...at, 'namespace'], 'is required for a cluster-wide KeyManagementProvider');
    return undefined;
  }
  const certs: TrustedCertificate[] = [];
  try {
    const entries = await resolver({ namespace, name: ref.name, ...(ref.keys ? { keys: ref.keys } : {}) });
    for (const entry of entries) {
      certs.push(...readTrustedCertificates(entry.bytes, `Secret ${namespace}/${ref.name} key ${entry.key}`));
    }
  } catch (err) {
    issues.add('CONFIG_CERTIFICATE', resource.origin, at, reasonOf(err));
    return undefined;
  }
  const hint = `${label(resource)} reads Secret ${namespace}/${ref.name} and found no certificate; add the root CA certificate (PEM) to it`;
  return { certs, hint };
}

function fixed(resource: KmpResource, certs: readonly TrustedCertificate[], hint: string): ResolvedKmp {
  const frozen = Object.freeze([...certs]);
  return { resource, count: frozen.length, hint, certificatesFor: () => Promise.resolve(frozen) };
}

/** The certificates of one KeyManagementProvider, or undefined (with issues added) when they cannot be had. */
export async function resolveKmp(
  resource: KmpResource,
  tracker: InputTracker,
  issues: IssueList,
  resolver?: SecretResolver,
): Promise<ResolvedKmp | undefined> {
  const before = issues.items.length;
  const p = resource.spec.parameters ?? {};
  if (resource.spec.type === 'inline' && p.value !== undefined) {
    try {
      const certs = readTrustedCertificates(new TextEncoder().encode(p.value), 'spec.parameters.value');
      return fixed(resource, certs, `${label(resource)} holds inline certificates`);
    } catch (err) {
      issues.add('CONFIG_CERTIFICATE', resource.origin, ['spec', 'parameters', 'value'], reasonOf(err));
      return undefined;
    }
  }
  if (resource.spec.type === 'file' && p.trustStorePath !== undefined) {
    return fromTrustStoreFolder(resource, p.trustStorePath, tracker, issues);
  }
  const found =
    resource.spec.type === 'file' && p.paths !== undefined
      ? await fromPaths(resource, p.paths, tracker, issues)
      : await fromSecret(resource, issues, resolver);
  if (!found || issues.items.length > before) return undefined;
  return fixed(resource, found.certs, found.hint);
}
