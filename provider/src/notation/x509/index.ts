// Certificates for the Notary Project: parsing, chain rules (code signing and timestamping), validity at a time.
export {
  parseCertificate,
  type Certificate,
  type KeyUsageName,
  type PublicKeyInfo,
} from './certificate.js';
export { parseCertificateFile } from './file.js';
export { validateCodeSigningCertChain, validateTimestampingCertChain } from './chain.js';
export { checkValidityAt } from './validity.js';
export { isIssuedBy } from './link.js';
export { readChildren, readTlv, tlvBytes, type Tlv } from './der.js';
export { describeSignatureAlgorithm, type HashName } from './algorithms.js';
