// Key custody behind notation's key-signer seam: key files, PKCS#11 tokens, Notation plugins (contract 1.0).
export { KeyError, type KeyErrorCode } from './errors.js';
export { openSigner, type EnvelopeRequest, type EnvelopeSigner, type KeySource, type SignedEnvelope } from './custody.js';
export { parsePkcs11Uri, type Pkcs11Uri } from './pkcs11/uri.js';
