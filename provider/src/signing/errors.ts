import { SigngateError } from '../errors.js';

/** Every failure of the sign-on-push service. Append new codes; never rename one. */
export type SigningErrorCode =
  | 'RULE_NOT_FOUND' // backfill/status names a rule or scope no SigningRule covers
  | 'BASELINE_STORE_FAILED' // the baseline record cannot be read or written
  | 'QUEUE_FULL' // more pending tags than the queue holds; resync picks them up later
  | 'TAG_NOT_UPDATED' // a push event names a digest the tag does not (yet) point to
  | 'SIGNER_IDENTITY_UNKNOWN' // removal needs the rule's certificate, which a plugin key shows only once it has signed
  | 'REGISTRY_DELETE_REFUSED' // the registry refuses deletes (not enabled, 401/403): removal stopped, nothing more removed
  | 'SIGNATURE_REMOVAL_FAILED'; // removal stopped on another registry error (network, 5xx, ...): retry

export class SigningError extends SigngateError<SigningErrorCode> {}
