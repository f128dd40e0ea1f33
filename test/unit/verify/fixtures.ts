/**
 * Shared fixtures of the provider tests (verify, server, e2e): minted PKIs, trust material as VerifierConfigs, Config
 * values built directly (no loader), and signed images pushed to a registry through the oci client.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTrustStore, parseTrustPolicyDocument, readTrustedCertificates, signEnvelope } from '../../../provider/src/notation/index.js';
import type { Descriptor, Repository } from '../../../provider/src/oci/index.js';
import { configDigest, scopeDigest, verifierDigest } from '../../../provider/src/config/index.js';
import type { Config, ScopeConfig, StoreConfig, VerificationPolicyMode, VerifierConfig } from '../../../provider/src/config/types.js';
import { createPki, type Pki } from '../../support/pki.js';

export const AT = new Date('2025-11-01T00:00:00Z');
export const NOTARY = 'application/vnd.cncf.notary.signature';

export class TempDirs {
  private readonly dirs: string[] = [];
  async make(prefix = 'signgate-provider-'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }
  async cleanup(): Promise<void> {
    await Promise.all(this.dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  }
}

/** A notation VerifierConfig trusting `rootPems` (none: certificateCount 0) with one "*" statement. */
export async function verifierConfig(
  dirs: TempDirs,
  rootPems: readonly string[],
  options: { name?: string; identities?: readonly string[]; level?: string; scopes?: readonly string[] } = {},
): Promise<VerifierConfig> {
  const dir = await dirs.make();
  const store = join(dir, 'x509', 'ca', 'test');
  await mkdir(store, { recursive: true });
  await Promise.all(rootPems.map((pem, i) => writeFile(join(store, `root${i}.pem`), pem)));
  const trustPolicy = parseTrustPolicyDocument({
    version: '1.0',
    trustPolicies: [
      {
        name: 'default',
        registryScopes: options.scopes ?? ['*'],
        signatureVerification: { level: options.level ?? 'strict' },
        trustStores: ['ca:test'],
        trustedIdentities: options.identities ?? ['*'],
      },
    ],
  });
  const name = options.name ?? 'notation';
  const fingerprints = rootPems.flatMap((pem) => readTrustedCertificates(new TextEncoder().encode(pem), 'test root').map((c) => c.fingerprint256));
  return {
    name,
    type: 'notation',
    artifactTypes: [NOTARY],
    trustPolicy,
    trustStore: openTrustStore(dir),
    certificateCount: rootPems.length,
    digest: verifierDigest({ name, artifactTypes: [NOTARY], trustPolicy, trustStores: [{ type: 'ca', name: 'test', fingerprints }], crlFingerprints: [] }),
  };
}

export function storeConfig(overrides: Partial<StoreConfig> = {}): StoreConfig {
  return { name: 'oras', cacheEnabled: true, ttlSeconds: 10, plainHttpHosts: [], maxBlobBytes: 1024 * 1024, ...overrides };
}

export function scopeConfig(verifiers: readonly VerifierConfig[], mode: VerificationPolicyMode = 'all', store = storeConfig()): ScopeConfig {
  const parts = { verifiers, store, policy: { name: 'default', artifactVerificationPolicies: { default: mode } } };
  return { ...parts, digest: scopeDigest(parts) };
}

export function makeConfig(generation: number, cluster: ScopeConfig | undefined, namespaces: Record<string, ScopeConfig> = {}): Config {
  const byName = new Map(Object.entries(namespaces));
  return { generation, digest: configDigest(cluster, byName), cluster, namespaces: byName, signingRules: [] };
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** Pushes a small single-layer image under `tag`; returns its manifest descriptor. */
export async function pushImage(repo: Repository, tag: string, text = `layer for ${tag}`): Promise<Descriptor> {
  const config = await repo.pushBlob(enc(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } })), 'application/vnd.oci.image.config.v1+json');
  const layer = await repo.pushBlob(enc(text), 'application/vnd.oci.image.layer.v1.tar');
  return repo.pushManifest(enc(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [layer] })), OCI_MANIFEST, { tag });
}

export interface SignOptions {
  readonly format?: 'jws' | 'cose';
  /** Sign this descriptor instead of the subject (a signature for other content). */
  readonly payloadSubject?: Descriptor;
  /** Flip one byte of the envelope's signature (tampered). */
  readonly tamper?: boolean;
  /** Bind this tag in the signed payload (org.opencontainers.image.ref.name), as a Default signature does. */
  readonly tag?: string;
  /** Annotations of the signature manifest (e.g. the chain thumbprints notation writes). */
  readonly annotations?: Readonly<Record<string, string>>;
  /** The signed signing time (default: a minute before AT; a PKI minted at the wall clock wants the wall clock). */
  readonly signingTime?: Date;
}

/** Signs `subject` with the PKI's leaf and pushes the signature manifest to `repo`. */
export async function signImage(repo: Repository, subject: Descriptor, pki: Pki, options: SignOptions = {}): Promise<void> {
  const target = options.payloadSubject ?? subject;
  const { mediaType, envelope } = await signEnvelope({
    format: options.format ?? 'jws',
    payload: {
      targetArtifact: {
        mediaType: target.mediaType,
        digest: target.digest,
        size: target.size,
        ...(options.tag === undefined ? {} : { annotations: { 'org.opencontainers.image.ref.name': options.tag } }),
      },
    },
    privateKey: pki.leaf.key.privateKey,
    certificateChain: pki.chain,
    signingScheme: 'notary.x509',
    signingTime: options.signingTime ?? new Date(AT.getTime() - 60_000),
  });
  let bytes = envelope;
  if (options.tamper) {
    const jws = JSON.parse(Buffer.from(envelope).toString('utf8')) as { signature: string };
    const sig = Buffer.from(jws.signature, 'base64url');
    sig[sig.length - 1] = (sig[sig.length - 1] ?? 0) ^ 0xff;
    bytes = enc(JSON.stringify({ ...jws, signature: sig.toString('base64url') }));
  }
  await repo.pushSignature({ subject, envelope: bytes, envelopeMediaType: mediaType, ...(options.annotations === undefined ? {} : { annotations: options.annotations }) });
}

export async function testPki(leafSubject?: string): Promise<Pki> {
  return createPki({ at: AT, ...(leafSubject !== undefined ? { leafSubject } : {}) });
}
