/** The streams a command writes to (process.stdout/stderr in the binary, buffers in tests). */
export interface CommandIO {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** A usage or configuration problem: exit code 2 with this message. */
export class UsageError extends Error {}
