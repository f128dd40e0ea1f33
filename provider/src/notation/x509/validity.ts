/**
 * Certificate validity at one instant, separate from the chain rules: the caller picks the time (verification time,
 * a timestamp's genTime, or the authentic signing time). Bounds are inclusive, as crypto/x509 treats them.
 */
import { NotationError } from '../errors.js';
import type { Certificate } from './certificate.js';

const iso = (d: Date): string => d.toISOString();

/**
 * Throws CERTIFICATE_NOT_VALID_AT_TIME for the first certificate of `chain` that is expired or not yet valid at `at`.
 * `what` names the time used in the message, e.g. "verification time" or "the timestamp's genTime".
 */
export function checkValidityAt(chain: readonly Certificate[], at: Date, what: string): void {
  if (Number.isNaN(at.getTime())) throw new TypeError(`checkValidityAt: ${what} is not a valid date`);
  for (const cert of chain) {
    const window = `it is valid from ${iso(cert.notBefore)} to ${iso(cert.notAfter)}`;
    if (at < cert.notBefore) {
      throw new NotationError(
        'CERTIFICATE_NOT_VALID_AT_TIME',
        `certificate "${cert.subject}" is not yet valid at ${what} ${iso(at)}: ${window}; ` +
          'check the clock, or use a certificate whose validity has started',
      );
    }
    if (at > cert.notAfter) {
      throw new NotationError(
        'CERTIFICATE_NOT_VALID_AT_TIME',
        `certificate "${cert.subject}" has expired at ${what} ${iso(at)}: ${window}; ` +
          're-sign with a valid certificate, or timestamp signatures so that they outlive their certificates',
      );
    }
  }
}
