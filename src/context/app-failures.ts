import type { DataSource } from 'typeorm';
import { BackendUnavailableError } from '../errors';
import { type FailureReporter, logFailure, toClientError } from '../request-failures';
import type { AuthEvents } from '../security/events';
import { DatabaseOutageLog, type DatabaseProbe } from '../stores/outage-log';

/** Which app a refusal belongs to, for the one error handler routing-controllers' drivers share. */
const appOfError = new WeakMap<object, AppFailures>();

/**
 * One app's record of what went wrong while serving it: bugs go to the server log and to this app's
 * `internal.error` listeners, database outages to this app's outage log. Per app, so two apps in one
 * process never report into each other.
 */
export class AppFailures {
  /** This app's database outages: one line when the first request is refused, one when it is back. */
  readonly outages: DatabaseOutageLog;
  /** The misconfigurations this app logged already (one line each, once). */
  private readonly loggedMisconfigurations = new Set<string>();

  constructor(
    private readonly events: AuthEvents,
    dataSource: DataSource | undefined,
  ) {
    this.outages = new DatabaseOutageLog();
    this.outages.probeWith(databaseProbe(dataSource));
  }

  /**
   * Reports a bug met while serving a request: the server log gets it with its stack (a
   * misconfiguration: one line with its fix, once), and `internal.error` listeners (error trackers)
   * get the error.
   */
  readonly report: FailureReporter = (error, where, ip) => {
    logFailure(error, where, this.loggedMisconfigurations);
    this.events.publish({ type: 'internal.error', where, error, ip });
  };

  /** A request of this app was answered 503: the first of an outage is logged. */
  refused(error: BackendUnavailableError): void {
    this.outages.refused(error.cause);
  }

  /** Marks a refusal as this app's, so the drivers' shared error handler counts it here. */
  own<E extends object>(error: E): E {
    appOfError.set(error, this);
    return error;
  }

  /**
   * Runs a store call of this app's flows: an outage answers 503 `AUTH_BACKEND_UNAVAILABLE` (counted
   * in this app's outage log); any other failure is a bug, reported here and answered 500.
   */
  async storeCall<T>(call: () => Promise<T>, where = 'a store call'): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const answer = toClientError(error, this.report, where);
      if (answer instanceof BackendUnavailableError) this.own(answer);
      throw answer;
    }
  }

  /** The app an error was marked as belonging to (see `own`), if any. */
  static ofError(error: unknown): AppFailures | undefined {
    return typeof error === 'object' && error !== null ? appOfError.get(error) : undefined;
  }
}

/** Asks the DataSource for `SELECT 1` once it went away; nothing to ask without one. */
function databaseProbe(dataSource: DataSource | undefined): DatabaseProbe | undefined {
  if (!dataSource) return undefined;
  return async () => {
    if (!dataSource.isInitialized) throw new Error('The DataSource is not initialised.');
    return dataSource.query('SELECT 1');
  };
}
