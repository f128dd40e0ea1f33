/**
 * Certificate chain rules (signature specification, "Certificate Requirements" and "Other requirements"), in the order
 * notation-core-go's ValidateCodeSigningCertChain / ValidateTimestampingCertChain apply them: the chain is ordered
 * leaf first, each certificate is issued by the next, only the last one is self-signed, then the leaf and CA rules.
 * Validity at a time is a separate step (validity.ts).
 */
import { NotationError } from '../errors.js';
import { WEAK_HASHES } from './algorithms.js';
import type { Certificate } from './certificate.js';
import { linkFailure, type LinkFailure } from './link.js';
import { validateCACertificate, validateLeafCertificate, type Profile } from './rules.js';

/** Far above any real chain; bounds the work an untrusted envelope can cause. */
export const MAX_CHAIN_LENGTH = 16;

const NOUN: Readonly<Record<Profile, string>> = {
  codeSigning: 'signing certificate chain',
  timestamping: 'timestamping certificate chain',
};

const ORDER_HINT =
  'the chain must be ordered: the leaf certificate first, each certificate followed by the one that issued it, ' +
  'ending with the self-signed root';

function linkError(profile: Profile, failure: LinkFailure, context: string): NotationError {
  // A SHA-1 signature breaks a per-certificate rule; every other failure is about the chain's shape.
  if (failure.kind === 'weakHash') return new NotationError('CERTIFICATE_INVALID', `${NOUN[profile]}: ${failure.detail}`);
  return new NotationError('CERTIFICATE_CHAIN_INVALID', `${NOUN[profile]} is invalid: ${context}: ${failure.detail}; ${ORDER_HINT}`);
}

/** A chain of one: the certificate must be self-issued and verify with its own key (it need not be a CA). */
function validateSelfSignedLeaf(cert: Certificate, profile: Profile): void {
  if (cert.signatureHash && WEAK_HASHES.has(cert.signatureHash)) {
    throw new NotationError(
      'CERTIFICATE_INVALID',
      `${NOUN[profile]}: certificate "${cert.subject}" is signed with ${cert.signatureAlgorithm}; SHA-1 (and older) ` +
        'signatures are not accepted',
    );
  }
  if (!cert.selfSigned) {
    throw new NotationError(
      'CERTIFICATE_CHAIN_INVALID',
      `${NOUN[profile]} is invalid: its only certificate "${cert.subject}" is not self-signed (issuer "${cert.issuer}"); ` +
        `include the issuing intermediate and root certificates; ${ORDER_HINT}`,
    );
  }
}

function validateChain(chain: readonly Certificate[], profile: Profile): void {
  if (chain.length === 0) {
    throw new NotationError(
      'CERTIFICATE_CHAIN_INVALID',
      `${NOUN[profile]} is empty; it must contain at least the ${profile === 'codeSigning' ? 'signing' : 'timestamping'} certificate`,
    );
  }
  if (chain.length > MAX_CHAIN_LENGTH) {
    throw new NotationError(
      'CERTIFICATE_CHAIN_INVALID',
      `${NOUN[profile]} has ${chain.length} certificates, more than the limit of ${MAX_CHAIN_LENGTH}`,
    );
  }
  if (chain.length === 1) {
    const only = chain[0] as Certificate;
    validateSelfSignedLeaf(only, profile);
    validateLeafCertificate(only, profile);
    return;
  }
  chain.forEach((cert, i) => {
    const last = i === chain.length - 1;
    if (last) {
      const failure = linkFailure(cert, cert);
      if (failure) throw linkError(profile, failure, `the last certificate "${cert.subject}" is not a valid self-signed root`);
    } else {
      if (linkFailure(cert, cert) === undefined) {
        const role = i === 0 ? 'leaf' : 'intermediate';
        throw new NotationError(
          'CERTIFICATE_CHAIN_INVALID',
          `${NOUN[profile]} is invalid: the ${role} certificate "${cert.subject}" (position ${i + 1}) is self-signed; ` +
            `only the last certificate may be a self-signed root; ${ORDER_HINT}`,
        );
      }
      const parent = chain[i + 1] as Certificate;
      const failure = linkFailure(cert, parent);
      if (failure) {
        throw linkError(profile, failure, `certificate ${i + 1} "${cert.subject}" is not issued by certificate ${i + 2} "${parent.subject}"`);
      }
    }
    if (i === 0) validateLeafCertificate(cert, profile);
    else validateCACertificate(cert, i - 1, profile);
  });
}

/** Code signing chain (leaf first): CERTIFICATE_CHAIN_INVALID for its shape, CERTIFICATE_INVALID for a broken rule. */
export function validateCodeSigningCertChain(chain: readonly Certificate[]): void {
  validateChain(chain, 'codeSigning');
}

/** TSA chain (leaf first), with the timestamping leaf rules (EKU timeStamping only, and critical). */
export function validateTimestampingCertChain(chain: readonly Certificate[]): void {
  validateChain(chain, 'timestamping');
}
