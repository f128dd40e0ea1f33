import type { NotationError } from '../errors.js';
import type { Certificate } from '../x509/index.js';
import type { ValidationAction, VerificationLevelName } from '../trustpolicy/index.js';
import type { EnvelopeContent, Payload } from '../types.js';

/**
 * The validations of the trust policy spec, in the order they run. `trustedIdentity` is checked with the
 * authenticity action (notation records it inside authenticity; signgate lists it on its own line).
 */
export const VALIDATION_ORDER = [
  'integrity',
  'authenticity',
  'trustedIdentity',
  'expiry',
  'authenticTimestamp',
  'revocation',
] as const;
export type ValidationName = (typeof VALIDATION_ORDER)[number];

/** One step's result: always recorded, whatever its action. */
export interface ValidationResult {
  readonly type: ValidationName;
  readonly action: ValidationAction;
  /** Absent when the step passed or was not run (action skip). */
  readonly error?: NotationError;
  /** Extra information for people, e.g. "revocation was not checked". */
  readonly note?: string;
}

/** Everything a verification found out, returned on failure too (as notation-go's VerificationOutcome). */
export interface VerificationOutcome {
  readonly statement: string;
  readonly level: VerificationLevelName;
  readonly results: readonly ValidationResult[];
  /** The verified envelope content, when integrity passed. */
  readonly content?: EnvelopeContent;
  readonly payload?: Payload;
  /** The signing certificate chain, leaf first, when it parsed. */
  readonly certificateChain?: readonly Certificate[];
  /** The earliest nextUpdate of the OCSP answers and CRLs a good revocation result relied on: reuse no longer. */
  readonly revocationValidUntil?: Date;
  /** The enforced failure that decided the outcome; absent means the signature is verified. */
  readonly error?: NotationError;
}

/** The first failure that was only logged, in validation order (for "passed, with logged failures"). */
export function firstLoggedFailure(outcome: VerificationOutcome): ValidationResult | undefined {
  for (const name of VALIDATION_ORDER) {
    const r = outcome.results.find((x) => x.type === name && x.action === 'log' && x.error);
    if (r) return r;
  }
  return undefined;
}

/** The result that carries the deciding error. */
export function failedValidation(outcome: VerificationOutcome): ValidationResult | undefined {
  return outcome.error ? outcome.results.find((r) => r.error === outcome.error) : undefined;
}
