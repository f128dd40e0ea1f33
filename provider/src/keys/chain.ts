/**
 * The certificate chain that comes with a key in custody (from --cert, the token, or a plugin's answer) meets the
 * Notary Project certificate requirements before anything is signed with it: one rule, both doors.
 */
import { NotationError, parseCertificate, validateCodeSigningCertChain } from '../notation/index.js';
import { KeyError, type KeyErrorCode } from './errors.js';

/** Throws KeyError `code` (default CERTIFICATE_INVALID) naming `who` when the chain breaks a requirement. */
export function checkCertificateChain(who: string, chain: readonly Uint8Array[], code: KeyErrorCode = 'CERTIFICATE_INVALID'): void {
  try {
    validateCodeSigningCertChain(chain.map((der) => parseCertificate(der)));
  } catch (err) {
    if (!(err instanceof NotationError)) throw err;
    throw new KeyError(code, `the certificate chain of ${who} breaks the Notary Project certificate requirements: ${err.message}`, { cause: err });
  }
}
