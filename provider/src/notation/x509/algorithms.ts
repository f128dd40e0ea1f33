/** Certificate signature algorithms by OID, with the hash they use (the SHA-1 rule needs it). */
import { AsnConvert } from '@peculiar/asn1-schema';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';
import type { AlgorithmIdentifier } from '@peculiar/asn1-x509';

export type HashName = 'MD2' | 'MD5' | 'SHA-1' | 'SHA-224' | 'SHA-256' | 'SHA-384' | 'SHA-512';

/** Hashes a certificate must not be signed with (signature specification: no SHA1WithRSA / ECDSAWithSHA1). */
export const WEAK_HASHES: ReadonlySet<HashName> = new Set<HashName>(['MD2', 'MD5', 'SHA-1']);

export const HASH_OIDS: Readonly<Record<string, HashName>> = {
  '1.2.840.113549.2.2': 'MD2',
  '1.2.840.113549.2.5': 'MD5',
  '1.3.14.3.2.26': 'SHA-1',
  '2.16.840.1.101.3.4.2.4': 'SHA-224',
  '2.16.840.1.101.3.4.2.1': 'SHA-256',
  '2.16.840.1.101.3.4.2.2': 'SHA-384',
  '2.16.840.1.101.3.4.2.3': 'SHA-512',
};

const RSASSA_PSS = '1.2.840.113549.1.1.10';

const SIGNATURE_ALGORITHMS: Readonly<Record<string, { readonly name: string; readonly hash?: HashName }>> = {
  '1.2.840.113549.1.1.2': { name: 'MD2-RSA', hash: 'MD2' },
  '1.2.840.113549.1.1.4': { name: 'MD5-RSA', hash: 'MD5' },
  '1.2.840.113549.1.1.5': { name: 'SHA1-RSA', hash: 'SHA-1' },
  '1.3.14.3.2.29': { name: 'SHA1-RSA', hash: 'SHA-1' },
  '1.2.840.113549.1.1.14': { name: 'SHA224-RSA', hash: 'SHA-224' },
  '1.2.840.113549.1.1.11': { name: 'SHA256-RSA', hash: 'SHA-256' },
  '1.2.840.113549.1.1.12': { name: 'SHA384-RSA', hash: 'SHA-384' },
  '1.2.840.113549.1.1.13': { name: 'SHA512-RSA', hash: 'SHA-512' },
  '1.2.840.10040.4.3': { name: 'DSA-SHA1', hash: 'SHA-1' },
  '1.2.840.10045.4.1': { name: 'ECDSA-SHA1', hash: 'SHA-1' },
  '1.2.840.10045.4.3.1': { name: 'ECDSA-SHA224', hash: 'SHA-224' },
  '1.2.840.10045.4.3.2': { name: 'ECDSA-SHA256', hash: 'SHA-256' },
  '1.2.840.10045.4.3.3': { name: 'ECDSA-SHA384', hash: 'SHA-384' },
  '1.2.840.10045.4.3.4': { name: 'ECDSA-SHA512', hash: 'SHA-512' },
  '1.3.101.112': { name: 'Ed25519' },
};

/** The algorithm's display name and hash; an unknown OID gives its dotted form and no hash. */
export function describeSignatureAlgorithm(alg: AlgorithmIdentifier): { name: string; hash?: HashName } {
  if (alg.algorithm === RSASSA_PSS) {
    // RFC 4055: absent parameters mean SHA-1.
    let hash: HashName | undefined = 'SHA-1';
    if (alg.parameters && alg.parameters.byteLength > 0) {
      const params = AsnConvert.parse(alg.parameters, RsaSaPssParams);
      hash = HASH_OIDS[params.hashAlgorithm.algorithm];
    }
    return hash ? { name: `${hash.replace('-', '')}-RSAPSS`, hash } : { name: 'RSAPSS' };
  }
  return SIGNATURE_ALGORITHMS[alg.algorithm] ?? { name: alg.algorithm };
}
