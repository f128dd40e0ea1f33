import { SigngateError } from '../errors.js';

/** Every failure of the sign-on-push service. Append new codes; never rename one. */
export type SigningErrorCode =
  | 'RULE_NOT_FOUND' // backfill/status names a rule or scope no SigningRule covers
  | 'BASELINE_STORE_FAILED' // the baseline record cannot be read or written
  | 'QUEUE_FULL' // more pending tags than the queue holds; resync picks them up later
  | 'TAG_NOT_UPDATED'; // a push event names a digest the tag does not (yet) point to

export class SigningError extends SigngateError<SigningErrorCode> {}
