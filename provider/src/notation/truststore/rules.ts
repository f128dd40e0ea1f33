/** The rules every trust store applies, whether read from folders (store.ts) or built in memory (memory.ts). */
import { NotationError } from '../errors.js';
import type { TrustStoreType } from '../types.js';
import { isIssuedBy, type Certificate } from '../x509/index.js';

const STORE_TYPES: readonly string[] = ['ca', 'signingAuthority', 'tsa'];
const STORE_NAME = /^[a-zA-Z0-9_.-]+$/;

export function storeInvalid(ref: string, reason: string, cause?: unknown): NotationError {
  return new NotationError('TRUST_STORE_INVALID', `trust store "${ref}" ${reason}`, cause === undefined ? undefined : { cause });
}

/** The type and name of a named store are valid, or the error that says why not. */
export function checkStoreRef(type: TrustStoreType, name: string): NotationError | undefined {
  const ref = `${type}:${name}`;
  if (!STORE_TYPES.includes(type)) return storeInvalid(ref, `has unsupported type "${type}"; use ca, signingAuthority or tsa`);
  if (!STORE_NAME.test(name) || name === '.' || name === '..') {
    return storeInvalid(ref, 'has an invalid name; a store name matches [a-zA-Z0-9_.-]+ (and is not "." or "..")');
  }
  return undefined;
}

/** A store certificate is a CA or self-signed; a tsa store holds root CAs only. `where` e.g. ` in file "a.pem"`. */
export function checkStoreCertificate(cert: Certificate, type: TrustStoreType, ref: string, where = ''): void {
  if (!cert.isCA && !cert.selfSigned) {
    throw storeInvalid(
      ref,
      `has certificate "${cert.subject}"${where} that is neither a CA certificate nor self-signed; ` +
        'a trust store holds root (or CA) certificates, or self-signed signing certificates',
    );
  }
  if (type === 'tsa' && !isIssuedBy(cert, cert)) {
    throw storeInvalid(
      ref,
      `has certificate "${cert.subject}"${where} that is not a root CA certificate (a self-signed CA); ` +
        'tsa stores hold the root certificates of timestamping authorities',
    );
  }
}
