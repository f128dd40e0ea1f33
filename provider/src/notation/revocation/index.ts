// Certificate revocation evaluation (OCSP, CRLs) for the verifier: the checker with its caches, CRL files, HTTP seam.
export { createRevocationChecker, type CheckChainOptions, type RevocationChecker, type RevocationCheckerOptions } from './checker.js';
export { MAX_CRL_BYTES, parseCrlFile, type Crl } from './crl.js';
export { openCrlDirectory, type CrlDirectory } from './crlDirectory.js';
export { createRevocationFetch, type FetchLike } from './http.js';
export type { CertRevocationResult, RevocationEvents, RevocationFetch, RevocationRequest, ServerResult } from './types.js';
