/**
 * How a command ends when it cannot give its answer: exit 2 for a usage or configuration problem (the user's flags,
 * references and files), exit 3 for "could not decide" (the registry did not answer, content did not match its
 * digest, anything unexpected). Exit 1 ("not verified") is never an error: commands return it for a decided verdict.
 */
import { SigngateError } from '../errors.js';
import { UsageError, type CommandIO } from './io.js';

/** Codes of the layers below that name the user's own input rather than the registry's answer. */
const USAGE_CODES: ReadonlySet<string> = new Set([
  // oci: the reference, the client options, the Docker config, an OCI layout on disk
  'REFERENCE_INVALID',
  'CONFIG_INVALID',
  'CREDENTIALS_INVALID',
  'LAYOUT_NOT_FOUND',
  'LAYOUT_INVALID',
  'TAG_AMBIGUOUS',
  'TOKEN_REALM_REFUSED', // a token realm off the registry's domain: --allowed-token-realm lets it have the credentials
  // notation: the trust policy, the trust store, the signing key and certificates
  'TRUST_POLICY_INVALID',
  'TRUST_POLICY_NOT_APPLICABLE',
  'TRUST_STORE_INVALID',
  'TRUST_STORE_NOT_FOUND',
  'SIGN_REQUEST_INVALID',
]);

export type ExitCode = 2 | 3;

export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof UsageError) return 2;
  return err instanceof SigngateError && USAGE_CODES.has(err.code) ? 2 : 3;
}

/**
 * A failure while reading the arguments as a usage error: node:util parseArgs errors (unknown option, missing value)
 * keep their message; a string becomes the message.
 */
export function toUsageError(err: unknown): UsageError {
  if (err instanceof UsageError) return err;
  return new UsageError(err instanceof Error ? err.message : String(err), err instanceof Error ? { cause: err } : undefined);
}

/** The `--output json` form of a failure: `{"error":{"code","message","exitCode"}}`. */
export function errorObject(err: unknown): { readonly error: { readonly code: string; readonly message: string; readonly exitCode: ExitCode } } {
  const code = err instanceof SigngateError ? err.code : 'UNEXPECTED_ERROR';
  const message = err instanceof Error ? err.message : String(err);
  return { error: { code, message, exitCode: exitCodeFor(err) } };
}

/** True when the arguments ask for `--output json` (read before they are parsed, so a usage error can answer in it). */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  const args = end < 0 ? argv : argv.slice(0, end);
  return args.some((a, i) => a === '--output=json' || (a === '--output' && args[i + 1] === 'json'));
}

/**
 * Reports `err` for `signgate <command>`: its message on stderr, `help` after it for a usage error in text mode, the
 * error object on stdout with `--output json`. Returns the exit code.
 */
export function reportFailure(io: CommandIO, command: string, err: unknown, options: { readonly json: boolean; readonly help?: string }): ExitCode {
  const { error } = errorObject(err);
  io.stderr.write(`signgate ${command}: ${error.message}\n${options.help !== undefined && !options.json ? `\n${options.help}` : ''}`);
  if (options.json) io.stdout.write(`${JSON.stringify({ error }, null, 2)}\n`);
  return error.exitCode;
}
