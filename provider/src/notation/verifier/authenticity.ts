import { NotationError } from '../errors.js';
import { matchTrustedIdentity, type TrustPolicyStatement } from '../trustpolicy/index.js';
import type { TrustStore } from '../truststore/index.js';
import type { SigningScheme, TrustStoreType } from '../types.js';
import type { Certificate } from '../x509/index.js';

/** Which store type a signing scheme is anchored in (trust-store-trust-policy spec). */
export function storeTypeFor(scheme: SigningScheme): TrustStoreType {
  return scheme === 'notary.x509.signingAuthority' ? 'signingAuthority' : 'ca';
}

/** Loads every certificate of the statement's stores of one type; a missing or broken store is an error. */
export async function loadStoreCertificates(
  statement: TrustPolicyStatement,
  trustStore: TrustStore,
  type: TrustStoreType,
): Promise<readonly Certificate[]> {
  const refs = statement.trustStores.filter((s) => s.type === type);
  const all: Certificate[] = [];
  for (const ref of refs) all.push(...(await trustStore.getCertificates(ref.type, ref.name)));
  return all;
}

/**
 * Authenticity: some certificate of the signature's chain is byte-identical to a certificate of the statement's
 * `ca` (notary.x509) or `signingAuthority` (notary.x509.signingAuthority) stores. No path building, as notation.
 */
export async function verifyAuthenticity(
  chain: readonly Certificate[],
  scheme: SigningScheme,
  statement: TrustPolicyStatement,
  trustStore: TrustStore,
): Promise<void> {
  const type = storeTypeFor(scheme);
  const names = statement.trustStores.filter((s) => s.type === type).map((s) => `${s.type}:${s.name}`);
  if (names.length === 0) {
    throw new NotationError(
      'UNTRUSTED_SIGNER',
      `the trust policy statement "${statement.name}" names no "${type}" trust store, which a ${scheme} signature needs; ` +
        `add "${type}:<name>" to its trustStores`,
    );
  }
  const trusted = await loadStoreCertificates(statement, trustStore, type);
  const fingerprints = new Set(trusted.map((c) => c.fingerprint256));
  if (!chain.some((c) => fingerprints.has(c.fingerprint256))) {
    throw new NotationError(
      'UNTRUSTED_SIGNER',
      `signature is not produced by a trusted signer: the signature's certificate chain does not contain any trusted ` +
        `certificate of trust stores ${names.join(', ')} (leaf: ${chain[0]?.subject ?? 'none'}); add the signer's root or ` +
        'signing certificate to one of them',
    );
  }
}

/** Trusted identity: the leaf subject matches one of the statement's x509.subject identities (or `*`). */
export function verifyTrustedIdentity(leaf: Certificate, statement: TrustPolicyStatement): string {
  const matched = matchTrustedIdentity(statement, leaf.subjectAttributes);
  if (matched === undefined) {
    const types = leaf.subjectAttributes.map((a) => a.type);
    const repeated = types.find((t, i) => types.indexOf(t) !== i);
    throw new NotationError(
      'UNTRUSTED_IDENTITY',
      (repeated !== undefined ? `signing certificate subject repeats the attribute ${repeated}, which never matches an x509.subject identity; ` : '') +
      `signing certificate "${leaf.subject}" does not match the X.509 trusted identities ` +
        `[${statement.trustedIdentities.join('; ')}] defined in the trust policy statement "${statement.name}"; ` +
        'add its subject to trustedIdentities if this signer is trusted',
    );
  }
  return matched;
}
