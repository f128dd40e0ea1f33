/**
 * The TSA certificate path: from the signing certificate through the token's certificates to one of the `tsa` store
 * roots. The path ends at a token certificate byte-identical to a store root, or at a store root that issued the
 * last certificate reached (crypto/x509 Verify with the store as its root pool, as notation does).
 */
import { isIssuedBy, type Certificate } from '../x509/index.js';
import { timestampInvalid } from './errors.js';
import { OID } from './oids.js';

const MAX_PATH = 10;

export function buildTsaChain(
  signer: Certificate,
  tokenCertificates: readonly Certificate[],
  roots: readonly Certificate[],
): Certificate[] {
  const chain = [signer];
  let current = signer;
  while (chain.length <= MAX_PATH) {
    if (roots.some((r) => r.fingerprint256 === current.fingerprint256)) return chain;
    const root = roots.find((r) => isIssuedBy(current, r));
    if (root) {
      chain.push(root);
      return chain;
    }
    const next = tokenCertificates.find((c) => !chain.includes(c) && isIssuedBy(current, c));
    if (!next) break;
    chain.push(next);
    current = next;
  }
  const trusted = roots.map((r) => `"${r.subject}"`).join(', ') || 'none';
  throw timestampInvalid(
    `the TSA certificate chain does not lead to a trusted root: the path from "${signer.subject}" ends at ` +
      `"${current.subject}" (issuer "${current.issuer}"), and the tsa trust store holds ${trusted}; add the TSA's root ` +
      'certificate to the tsa store named by the trust policy',
  );
}

/**
 * crypto/x509 Verify also requires every CA certificate that restricts its extended key usages to allow
 * timeStamping (or any purpose); notation inherits that check.
 */
export function checkChainKeyPurposes(chain: readonly Certificate[]): void {
  for (const cert of chain.slice(1)) {
    const purposes = cert.extKeyUsage?.purposes;
    if (purposes && !purposes.includes(OID.timeStamping) && !purposes.includes(OID.anyExtendedKeyUsage)) {
      throw timestampInvalid(`CA certificate "${cert.subject}" of the TSA chain restricts its extended key usage and excludes timeStamping`);
    }
  }
}
