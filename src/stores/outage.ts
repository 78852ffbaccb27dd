/**
 * The one rule that tells a store outage (answer 503 `AUTH_BACKEND_UNAVAILABLE`, try again) from
 * everything else (a bug: 500, logged, never disguised as an outage). The authenticator, the
 * controllers, the user store, the strategies, the revocation stores and the rate limits all ask it.
 */

/** Thrown by the library's own store code when it refuses to wait for an unreachable store. */
export class StoreUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreUnreachableError';
  }
}

/** Socket errors of a store that is down, restarting or unreachable. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * PostgreSQL SQLSTATEs of the same: class 08 (connection exception), 57P01-57P03 (admin
 * shutdown, crash shutdown, cannot connect now — a server stopping or starting), 53300 (too many
 * connections), 53400 (configuration limit exceeded). SQLite's busy/locked: another writer holds
 * the file, which passes.
 */
const UNAVAILABLE_CODES = /^(08...|57P0[123]|53300|53400|SQLITE_BUSY|SQLITE_LOCKED)$/;

/**
 * Outages reported with a message only: node-postgres and pg-pool (a lost, never-made or closed
 * connection or pool), better-sqlite3 once its database was closed, rate-limiter-flexible's check of
 * a client that is not ready.
 */
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|Cannot use a pool after calling end on the pool|The database connection is not open|Redis connection is not ready/i;

/**
 * node-redis (4–6) reports a closed, offline, reconnecting or timed-out client with these classes;
 * they set no `name`, so their constructor's name is what tells them apart. `TimeoutError` and its
 * subclasses are node-redis 5.x/6's command timeouts.
 */
const REDIS_UNAVAILABLE_CLASSES = new Set([
  'ConnectionTimeoutError',
  'SocketTimeoutError',
  'ClientClosedError',
  'ClientOfflineError',
  'DisconnectsClientError',
  'SocketClosedUnexpectedlyError',
  'RootNodesUnavailableError',
  'ReconnectStrategyError',
  'TimeoutError',
  'SocketTimeoutDuringMaintenanceError',
  'CommandTimeoutDuringMaintenanceError',
]);

/** Redis error replies of a server that is up but cannot serve right now (loading, failing over). */
const REDIS_UNAVAILABLE_REPLIES = /^(LOADING|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY) /;

/**
 * True when `error` means "the store cannot be reached right now" (503, try again) rather than
 * "this call is wrong" (a bug, 500). Looks through TypeORM's `QueryFailedError` (`driverError`),
 * node-redis' `ReconnectStrategyError` (`originalError`) and `cause` chains.
 */
export function isStoreOutage(error: unknown): boolean {
  let current: any = error;
  for (let depth = 0; current && depth < 4; depth++) {
    if (current instanceof StoreUnreachableError) return true;
    const code = current.code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_CODES.test(code))) return true;
    if (typeof current.message === 'string') {
      if (UNAVAILABLE_MESSAGES.test(current.message)) return true;
      if (current.constructor?.name === 'ErrorReply' || current.constructor?.name === 'SimpleError') {
        if (REDIS_UNAVAILABLE_REPLIES.test(current.message)) return true;
      }
    }
    if (REDIS_UNAVAILABLE_CLASSES.has(current.constructor?.name)) return true;
    current = current.driverError ?? current.originalError ?? current.cause;
  }
  return false;
}
