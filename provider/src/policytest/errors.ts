import { SigngateError } from '../errors.js';

/** Failures of the Suite runner: unreadable or malformed files, invalid templates / constraints, external data. */
export type PolicyTestErrorCode =
  | 'SUITE_INVALID'
  | 'FILE_UNREADABLE'
  | 'TEMPLATE_INVALID'
  | 'CONSTRAINT_INVALID'
  | 'OBJECT_INVALID'
  | 'FIXTURE_MISSING'
  | 'PROVIDER_FAILED'
  | 'ENGINE_UNAVAILABLE';

export class PolicyTestError extends SigngateError<PolicyTestErrorCode> {}
