/**
 * A problem with what the operator gave the command-line tool (a file, an entity, an email, a
 * password): printed as one line on stderr, exit code 2. Anything else is a bug or an outage.
 */
export class CliError extends Error {
  readonly exitCode = 2;
}

/** The first line of an error's message: a driver's multi-line dump is no use on a terminal. */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].trim();
}
