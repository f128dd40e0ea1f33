import { NotationError } from '../errors.js';

/** Every failure of this module is a TIMESTAMP_INVALID whose message starts with what was being checked. */
export function timestampInvalid(reason: string, cause?: unknown): NotationError {
  return new NotationError(
    'TIMESTAMP_INVALID',
    `timestamp countersignature is invalid: ${reason}`,
    cause === undefined ? undefined : { cause },
  );
}
