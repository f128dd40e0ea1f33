/**
 * The one error base of signgate. Each layer (oci, notation, config, server, ...) has one subclass with its own
 * UPPER_SNAKE code union. Codes never change once released; messages may. `cause` is for logs only: it never goes
 * into a Gatekeeper response.
 */
export class SigngateError<C extends string = string> extends Error {
  readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}
