/**
 * A mistake the user can fix: the CLI prints its message (and hint) without
 * a stack trace and exits with its code.
 */
export class CliError extends Error {
  override readonly name = "CliError";

  constructor(
    message: string,
    /** A next step shown under the message. */
    readonly hint?: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
