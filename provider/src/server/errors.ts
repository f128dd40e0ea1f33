import { SigngateError } from '../errors.js';

/** Every failure the server reports for a request it cannot read. Append new codes; never rename one. */
export type ServerErrorCode =
  | 'BODY_TOO_LARGE' // 413: the request body is over the limit
  | 'BODY_INVALID' // 400: not JSON, or not a JSON object
  | 'REQUEST_INVALID' // 400: wrong apiVersion or kind, request.keys missing or not an array of strings
  | 'TOO_MANY_KEYS' // 400: more keys than the limit
  | 'KEY_TOO_LONG' // 400: a key longer than the limit
  | 'TLS_INVALID' // certificate, key or client CA file unreadable or not matching
  | 'SETTINGS_INVALID' // a server setting (address, timeout, limit) is invalid
  | 'OVERLOADED'; // 503 with Retry-After: --max-concurrent-requests requests are being answered already

export class ServerError extends SigngateError<ServerErrorCode> {
  /** The HTTP status a request-level error is answered with. */
  readonly status: number;

  constructor(code: ServerErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(code, message, options);
    this.status = options?.status ?? (code === 'BODY_TOO_LARGE' ? 413 : code === 'TLS_INVALID' || code === 'SETTINGS_INVALID' ? 500 : 400);
  }
}
