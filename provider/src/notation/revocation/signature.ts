/**
 * Signatures over CRLs and OCSP responses (RFC 5280 5.1.1.3, RFC 6960 4.2.1): the signed TBS bytes, the algorithm
 * and the signing certificate's key, checked with node:crypto as crypto/x509's CheckSignature does. MD2/MD5 are
 * refused; SHA-1 is accepted here as Go accepts it for CRLs and OCSP responses.
 */
import { constants, verify, type VerifyKeyObjectInput } from 'node:crypto';
import type { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { describeSignatureAlgorithm, type Certificate } from '../x509/index.js';

const RSASSA_PSS = '1.2.840.113549.1.1.10';
const NODE_HASH: Readonly<Record<string, string>> = {
  'SHA-1': 'sha1',
  'SHA-224': 'sha224',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

/** Why `signature` over `tbs` does not verify with `signer`'s key, or undefined when it does. */
export function signatureFailure(
  signer: Certificate,
  algorithm: AlgorithmIdentifier,
  tbs: Uint8Array,
  signature: Uint8Array,
): string | undefined {
  let described: { name: string; hash?: string };
  try {
    described = describeSignatureAlgorithm(algorithm);
  } catch {
    return `its signature algorithm parameters do not decode`;
  }
  const keyType = signer.publicKey.type;
  const key = signer.x509.publicKey;
  let input: VerifyKeyObjectInput;
  let hash: string | null;
  if (described.name === 'Ed25519') {
    if (keyType !== 'ed25519') return `its Ed25519 signature does not fit the ${keyType} key of "${signer.subject}"`;
    input = { key };
    hash = null;
  } else {
    hash = described.hash ? (NODE_HASH[described.hash] ?? null) : null;
    if (hash === null) return `its signature algorithm ${described.name} is not supported`;
    const ecdsa = described.name.startsWith('ECDSA');
    if (ecdsa !== (keyType === 'ec') || (!ecdsa && keyType !== 'rsa' && keyType !== 'rsa-pss')) {
      return `its ${described.name} signature does not fit the ${keyType} key of "${signer.subject}"`;
    }
    if (ecdsa) input = { key, dsaEncoding: 'der' };
    else if (algorithm.algorithm === RSASSA_PSS) input = { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO };
    else input = { key, padding: constants.RSA_PKCS1_PADDING };
  }
  try {
    if (verify(hash, tbs, input, signature)) return undefined;
  } catch {
    // a malformed signature value is a signature that does not verify
  }
  return `its signature does not verify with the key of "${signer.subject}"`;
}
