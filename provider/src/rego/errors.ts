/**
 * The one error class of the Rego engine. It deliberately does not extend signgate's SigngateError: rego/ imports
 * nothing from the rest of the project. Codes follow OPA's own (`rego_parse_error`, `eval_conflict_error`, ...) so that
 * messages read like OPA's and conformance cases can compare codes.
 */
export type RegoErrorCode =
  | 'rego_parse_error'
  | 'rego_compile_error'
  | 'rego_unsafe_var_error'
  | 'rego_recursion_error'
  | 'rego_type_error'
  | 'eval_type_error'
  | 'eval_builtin_error'
  | 'eval_conflict_error'
  | 'eval_cancel_error'
  | 'eval_internal_error';

export interface RegoLocation {
  readonly file: string;
  readonly row: number;
  readonly col: number;
}

export class RegoError extends Error {
  readonly code: RegoErrorCode;
  readonly location: RegoLocation | undefined;

  constructor(code: RegoErrorCode, message: string, location?: RegoLocation, options?: { cause?: unknown }) {
    super(location ? `${location.file}:${location.row}: ${code}: ${message}` : `${code}: ${message}`, options);
    this.code = code;
    this.location = location;
    this.name = 'RegoError';
  }
}

/** A builtin failure: with strict builtin errors it stops evaluation, otherwise the call is undefined (like OPA). */
export class BuiltinError extends RegoError {
  constructor(code: 'eval_type_error' | 'eval_builtin_error', message: string) {
    super(code, message);
    this.name = 'BuiltinError';
  }
}
