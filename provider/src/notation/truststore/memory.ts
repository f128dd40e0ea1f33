/**
 * A trust store held in memory, for certificates that come from configuration (inline PEM, certificate files, a
 * Kubernetes Secret) rather than from a Notation trust-store folder. It answers `getCertificates` exactly as the
 * folder store does and applies the same rules (trust-store-trust-policy specification, "Trust Store"): every
 * certificate is a CA certificate or self-signed, `tsa` stores hold root CA certificates only, and an empty store is
 * an error at verification time (with a hint that says where its certificates come from).
 */
import { NotationError } from '../errors.js';
import type { TrustStoreType } from '../types.js';
import { parseCertificateFile, type Certificate } from '../x509/index.js';
import { checkStoreCertificate, checkStoreRef, storeInvalid } from './rules.js';
import type { TrustStore } from './store.js';

/** A certificate parsed and checked by `readTrustedCertificates`. */
export type TrustedCertificate = Certificate;

export interface MemoryTrustStoreEntry {
  readonly type: TrustStoreType;
  readonly name: string;
  readonly certificates: readonly TrustedCertificate[];
  /** Where this store's certificates come from and how to add one; said when the store is empty. */
  readonly emptyHint?: string;
}

export interface MemoryTrustStore extends TrustStore {
  /** Distinct certificates (by SHA-256 fingerprint) across all named stores. */
  readonly certificateCount: number;
}

/** Bounds: named stores per trust store, certificates per named store. */
export const MAX_MEMORY_STORES = 256;
export const MAX_MEMORY_STORE_CERTIFICATES = 4096;

const invalid = storeInvalid;

function requireCAOrSelfSigned(cert: Certificate, label: string): void {
  if (!cert.isCA && !cert.selfSigned) {
    throw new NotationError(
      'CERTIFICATE_INVALID',
      `${label} holds certificate "${cert.subject}", which is neither a CA certificate nor self-signed; ` +
        'trust the root (or an intermediate CA) certificate of the signer, or a self-signed signing certificate',
    );
  }
}

/**
 * The certificates of one PEM or DER source (`label` names it in messages: a file path, a resource field), each
 * checked to be a CA certificate or self-signed, as every trust store requires.
 */
export function readTrustedCertificates(bytes: Uint8Array, label: string): TrustedCertificate[] {
  const certs = parseCertificateFile(bytes, label);
  for (const cert of certs) requireCAOrSelfSigned(cert, label);
  return certs;
}

function checkEntry(entry: MemoryTrustStoreEntry): readonly Certificate[] {
  const ref = `${entry.type}:${entry.name}`;
  const bad = checkStoreRef(entry.type, entry.name);
  if (bad) throw bad;
  if (entry.certificates.length > MAX_MEMORY_STORE_CERTIFICATES) {
    throw invalid(ref, `has ${entry.certificates.length} certificates, more than the limit of ${MAX_MEMORY_STORE_CERTIFICATES}`);
  }
  const seen = new Set<string>();
  const unique: Certificate[] = [];
  for (const cert of entry.certificates) {
    checkStoreCertificate(cert, entry.type, ref);
    if (seen.has(cert.fingerprint256)) continue;
    seen.add(cert.fingerprint256);
    unique.push(cert);
  }
  return Object.freeze(unique);
}

/** A trust store over the given named stores; every rule is checked here, so a bad entry throws at once. */
export function createMemoryTrustStore(entries: readonly MemoryTrustStoreEntry[]): MemoryTrustStore {
  if (entries.length > MAX_MEMORY_STORES) {
    throw new NotationError('TRUST_STORE_INVALID', `${entries.length} named trust stores, more than the limit of ${MAX_MEMORY_STORES}`);
  }
  const stores = new Map<string, { readonly certs: readonly Certificate[]; readonly hint?: string }>();
  const all = new Set<string>();
  for (const entry of entries) {
    const ref = `${entry.type}:${entry.name}`;
    if (stores.has(ref)) throw invalid(ref, 'is defined twice; give each named store one entry');
    const certs = checkEntry(entry);
    for (const cert of certs) all.add(cert.fingerprint256);
    stores.set(ref, entry.emptyHint === undefined ? { certs } : { certs, hint: entry.emptyHint });
  }
  return Object.freeze({
    certificateCount: all.size,
    getCertificates(type: TrustStoreType, name: string): Promise<readonly Certificate[]> {
      const ref = `${type}:${name}`;
      const store = stores.get(ref);
      if (!store) {
        const known = [...stores.keys()].join(', ') || 'none';
        return Promise.reject(
          new NotationError(
            'TRUST_STORE_NOT_FOUND',
            `trust store "${ref}" is not configured (configured stores: ${known}); define it or correct the trust policy`,
          ),
        );
      }
      if (store.certs.length === 0) {
        const hint = store.hint ?? 'add the trusted root certificates to it';
        return Promise.reject(invalid(ref, `has no certificates; ${hint}`));
      }
      return Promise.resolve(store.certs);
    },
  });
}
