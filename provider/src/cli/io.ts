import { SigngateError } from '../errors.js';

/** The streams a command writes to (process.stdout/stderr in the binary, buffers in tests). */
export interface CommandIO {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/**
 * A usage or configuration problem: exit code 2 with this message. `code` is `USAGE_INVALID` for flags and arguments,
 * or the code of the layer error it wraps (e.g. `TRUST_POLICY_INVALID`), so `--output json` can name it.
 */
export class UsageError extends SigngateError<string> {
  constructor(message: string, options?: { readonly code?: string; readonly cause?: unknown }) {
    super(options?.code ?? 'USAGE_INVALID', message, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}
