/** Socket errors of a database that is down, restarting or unreachable. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * PostgreSQL SQLSTATEs of the same: class 08 (connection exception), 57P01-57P03 (admin
 * shutdown, crash shutdown, cannot connect now — a server stopping or starting), 53300 (too many
 * connections), 53400 (configuration limit exceeded). SQLite's busy/locked: another writer holds
 * the file, which passes.
 */
const UNAVAILABLE_CODES = /^(08...|57P0[123]|53300|53400|SQLITE_BUSY|SQLITE_LOCKED)$/;

/** node-postgres and pg-pool report a lost or never-made connection with a message only. */
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable/i;

/**
 * True when `error` means "the database cannot be reached right now" (answer 503, try again)
 * rather than "this query is wrong" (a bug, 500). Looks through TypeORM's `QueryFailedError`
 * (`driverError`) and `cause` chains.
 */
export function isConnectionFailure(error: unknown): boolean {
  let current: any = error;
  for (let depth = 0; current && depth < 4; depth++) {
    const code = current.code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_CODES.test(code))) return true;
    if (typeof current.message === 'string' && UNAVAILABLE_MESSAGES.test(current.message)) return true;
    current = current.driverError ?? current.cause;
  }
  return false;
}
