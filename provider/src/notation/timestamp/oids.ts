/** Object identifiers and algorithm tables of CMS (RFC 5652), RFC 3161 and ESS (RFC 2634, RFC 5035). */

export const OID = {
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  /** ETSI baseline time-stamp policy (RFC 3628 5.2): an absent accuracy means one second. */
  baselineTimestampPolicy: '0.4.0.2023.1.1',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  anyExtendedKeyUsage: '2.5.29.37.0',
} as const;

export type DigestName = 'sha256' | 'sha384' | 'sha512';

/** The digests a timestamp may use (as tspclient-go: SHA-256, SHA-384, SHA-512). */
export const DIGESTS: Readonly<Record<string, DigestName>> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

export type SignatureScheme = 'pkcs1' | 'pss' | 'ecdsa';

const RSA = '1.2.840.113549.1.1.1';
const RSA_PSS = '1.2.840.113549.1.1.10';
const FIXED: Readonly<Record<string, { readonly scheme: SignatureScheme; readonly hash: DigestName }>> = {
  '1.2.840.113549.1.1.11': { scheme: 'pkcs1', hash: 'sha256' },
  '1.2.840.113549.1.1.12': { scheme: 'pkcs1', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { scheme: 'pkcs1', hash: 'sha512' },
  '1.2.840.10045.4.3.2': { scheme: 'ecdsa', hash: 'sha256' },
  '1.2.840.10045.4.3.3': { scheme: 'ecdsa', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { scheme: 'ecdsa', hash: 'sha512' },
};

/**
 * The SignerInfo's signature scheme and hash from its digestAlgorithm and signatureAlgorithm, as tspclient-go's
 * ToSignatureAlgorithm resolves them: rsaEncryption and RSASSA-PSS take the hash from digestAlgorithm, the combined
 * OIDs carry their own. `undefined` for anything else (SHA-1 included).
 */
export function signatureSchemeOf(
  digestOid: string,
  signatureOid: string,
): { readonly scheme: SignatureScheme; readonly hash: DigestName } | undefined {
  const digest = DIGESTS[digestOid];
  if (signatureOid === RSA) return digest ? { scheme: 'pkcs1', hash: digest } : undefined;
  if (signatureOid === RSA_PSS) return digest ? { scheme: 'pss', hash: digest } : undefined;
  return FIXED[signatureOid];
}
