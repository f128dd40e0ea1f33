import { NotationError } from '../errors.js';
import type { TrustPolicyStatement } from '../trustpolicy/index.js';
import type { TrustStore } from '../truststore/index.js';
import { timestampWindow, verifyTimestampToken } from '../timestamp/index.js';
import type { SignerInfo } from '../types.js';
import { checkValidityAt, type Certificate } from '../x509/index.js';
import { loadStoreCertificates } from './authenticity.js';

const iso = (d: Date): string => d.toISOString();

/** Expiry: the signature's io.cncf.notary.expiry, when present, is later than the verification time. */
export function verifyExpiry(signerInfo: SignerInfo, now: Date): void {
  if (signerInfo.expiry && now.getTime() >= signerInfo.expiry.getTime()) {
    throw new NotationError(
      'SIGNATURE_EXPIRED',
      `digital signature has expired on ${iso(signerInfo.expiry)} (verification time ${iso(now)}); sign the artifact again`,
    );
  }
}

/**
 * Authentic timestamp. notary.x509.signingAuthority: the authenticSigningTime lies inside every chain certificate's
 * validity. notary.x509: the RFC 3161 countersignature is verified when the statement has a `tsa` store and
 * verifyTimestamp is `always`, or `afterCertExpiry` and a chain certificate has expired; otherwise every chain
 * certificate must be valid now.
 */
export async function verifyAuthenticTimestamp(
  signerInfo: SignerInfo,
  chain: readonly Certificate[],
  statement: TrustPolicyStatement,
  trustStore: TrustStore,
  now: Date,
  /** Further checks of the verified timestamping chain (its revocation), when the caller has any. */
  checkTsaChain?: (tsaChain: readonly Certificate[]) => Promise<void>,
): Promise<string | undefined> {
  if (signerInfo.signingScheme === 'notary.x509.signingAuthority') {
    const at = signerInfo.authenticSigningTime;
    if (!at) throw new NotationError('SIGNED_ATTRIBUTE_INVALID', 'the signature has no authentic signing time');
    checkValidityAt(chain, at, 'the authentic signing time (when the digital signature was produced)');
    return undefined;
  }
  const hasTsaStore = statement.trustStores.some((s) => s.type === 'tsa');
  const expired = chain.some((c) => now > c.notAfter);
  const perform =
    hasTsaStore && (statement.signatureVerification.verifyTimestamp === 'always' || expired);
  if (!perform) {
    checkValidityAt(chain, now, 'verification time');
    return hasTsaStore ? 'timestamp not verified: verifyTimestamp is afterCertExpiry and no certificate has expired' : undefined;
  }
  const token = signerInfo.unsignedAttributes.timestampSignature;
  if (!token || token.byteLength === 0) {
    throw new NotationError(
      'TIMESTAMP_MISSING',
      'no timestamp countersignature was found in the signature envelope, but the trust policy statement ' +
        `"${statement.name}" requires one (tsa store, verifyTimestamp ${statement.signatureVerification.verifyTimestamp}); ` +
        'sign with a timestamp authority (notation sign --timestamp-url ...)',
    );
  }
  const roots = await loadStoreCertificates(statement, trustStore, 'tsa');
  const ts = verifyTimestampToken(token, signerInfo.signature, roots);
  const { lowerLimit: from, upperLimit: to } = timestampWindow(ts);
  for (const cert of chain) {
    if (from < cert.notBefore) {
      throw new NotationError(
        'CERTIFICATE_NOT_VALID_AT_TIME',
        `timestamp can be before certificate "${cert.subject}" validity period: the timestamp is ${iso(ts.genTime)} ` +
          `±${ts.accuracyMs}ms and the certificate is valid from ${iso(cert.notBefore)}`,
      );
    }
    if (to > cert.notAfter) {
      throw new NotationError(
        'CERTIFICATE_NOT_VALID_AT_TIME',
        `timestamp can be after certificate "${cert.subject}" validity period: the timestamp is ${iso(ts.genTime)} ` +
          `±${ts.accuracyMs}ms and the certificate expired at ${iso(cert.notAfter)}`,
      );
    }
  }
  await checkTsaChain?.(ts.tsaChain);
  return `timestamped at ${iso(ts.genTime)} by ${ts.tsaChain[0]?.subject ?? 'a trusted TSA'}`;
}
