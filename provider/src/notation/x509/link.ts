/**
 * Issuer linkage, as Go's crypto/x509 CheckSignatureFrom plus the raw-name comparison that notation-core-go's
 * isIssuedBy adds: the parent may sign certificates (a v3 parent needs basicConstraints cA, and keyCertSign when it
 * has keyUsage), the child is not signed with a weak hash, the parent's key verifies the child's signature, and the
 * child's issuer name equals the parent's subject name byte for byte.
 *
 * The same chains are checked on every verification and each signature check is an RSA/ECDSA operation, so
 * successful links are remembered by the pair of fingerprints in a bounded map.
 */
import { WEAK_HASHES } from './algorithms.js';
import type { Certificate } from './certificate.js';

const LINK_CACHE_LIMIT = 4096;
const verifiedLinks = new Map<string, true>();

export type LinkFailure =
  | { readonly kind: 'name'; readonly detail: string }
  | { readonly kind: 'weakHash'; readonly detail: string }
  | { readonly kind: 'parentNotCA'; readonly detail: string }
  | { readonly kind: 'signature'; readonly detail: string };

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

function verifiesWith(child: Certificate, parent: Certificate): boolean {
  try {
    return child.x509.verify(parent.x509.publicKey);
  } catch {
    return false;
  }
}

/** Why `child` is not issued by `parent`, or `undefined` when it is. */
export function linkFailure(child: Certificate, parent: Certificate): LinkFailure | undefined {
  if (child.signatureHash && WEAK_HASHES.has(child.signatureHash)) {
    return {
      kind: 'weakHash',
      detail: `certificate "${child.subject}" is signed with ${child.signatureAlgorithm}; SHA-1 (and older) signatures are not accepted`,
    };
  }
  if ((parent.version === 3 && !parent.basicConstraints) || (parent.basicConstraints && !parent.basicConstraints.ca)) {
    return { kind: 'parentNotCA', detail: `certificate "${parent.subject}" is not a CA (basicConstraints cA is not true)` };
  }
  if (parent.keyUsage && !parent.keyUsage.usages.includes('keyCertSign')) {
    return { kind: 'parentNotCA', detail: `certificate "${parent.subject}" has keyUsage without keyCertSign` };
  }
  if (!sameBytes(child.rawIssuer, parent.rawSubject)) {
    return { kind: 'name', detail: `the issuer name of "${child.subject}" is "${child.issuer}", not "${parent.subject}"` };
  }
  const key = `${child.fingerprint256}:${parent.fingerprint256}`;
  if (verifiedLinks.has(key)) return undefined;
  if (!verifiesWith(child, parent)) {
    return { kind: 'signature', detail: `the signature of "${child.subject}" does not verify with the key of "${parent.subject}"` };
  }
  if (verifiedLinks.size >= LINK_CACHE_LIMIT) {
    const oldest = verifiedLinks.keys().next().value;
    if (oldest !== undefined) verifiedLinks.delete(oldest);
  }
  verifiedLinks.set(key, true);
  return undefined;
}

/** True when `parent` issued `child` (see linkFailure for the rules). */
export function isIssuedBy(child: Certificate, parent: Certificate): boolean {
  return linkFailure(child, parent) === undefined;
}
