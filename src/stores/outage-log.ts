/**
 * The server log's record of a database outage: clients get 503 `AUTH_BACKEND_UNAVAILABLE` and
 * the app recovers by itself, but an operator must see that it happened, when, and for how many
 * requests. One line when the first request is refused, one when the database answers again
 * (with the count); nothing per request in between. Redis outages are logged by the client watch
 * (src/redis/error-watch.ts), from the client's own error events.
 */

/** How often a database that went away is asked whether it is back. */
export const OUTAGE_PROBE_INTERVAL_MS = 1000;

/** node-redis errors (they set no `name`: their constructor's name tells them) and the library's own Redis waits. */
const REDIS_ERROR =
  /^(ErrorReply|SimpleError|ConnectionTimeoutError|SocketTimeoutError|ClientClosedError|ClientOfflineError|DisconnectsClientError|SocketClosedUnexpectedlyError|RootNodesUnavailableError|ReconnectStrategyError|TimeoutError|SocketTimeoutDuringMaintenanceError|CommandTimeoutDuringMaintenanceError)$/;

function isRedisError(error: unknown): boolean {
  let current: any = error;
  for (let depth = 0; current && depth < 4; depth++) {
    if (REDIS_ERROR.test(current.constructor?.name ?? '')) return true;
    if (typeof current.message === 'string' && /^Redis /.test(current.message)) return true;
    current = current.driverError ?? current.originalError ?? current.cause;
  }
  return false;
}

/** The outage's first words, without a stack: the driver's message, e.g. `connect ECONNREFUSED 127.0.0.1:5432`. */
function reasonOf(error: unknown): string {
  let current: any = error;
  for (let depth = 0; current && depth < 4; depth++) {
    if (typeof current.message === 'string' && current.message) return current.message.split('\n')[0];
    current = current.driverError ?? current.cause;
  }
  return 'no reason given';
}

interface Outage {
  since: number;
  refused: number;
  probing: boolean;
}

/** Asks the database whether it answers (`SELECT 1`). */
export type DatabaseProbe = () => Promise<unknown>;

export class DatabaseOutageLog {
  private outage: Outage | undefined;
  private probe: DatabaseProbe | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs = OUTAGE_PROBE_INTERVAL_MS,
    private readonly log: (line: string) => void = (line) => console.error(line),
  ) {}

  /** True from the first refused request of an outage until the database answers again. */
  get open(): boolean {
    return this.outage !== undefined;
  }

  /** The database to probe once an outage began (each app's `AppFailures` gives its DataSource's). */
  probeWith(probe: DatabaseProbe | undefined): void {
    this.stop(); // an outage of the previous database is no longer this one's
    this.probe = probe;
  }

  /** A request was answered 503 because of `cause`; the first one of an outage is logged. */
  refused(cause: unknown): void {
    // No cause: a store of the app's own said "unavailable" without saying which; Redis: its client's watch logs it.
    if (!this.probe || cause === undefined || isRedisError(cause)) return;
    if (this.outage) {
      this.outage.refused++;
      return;
    }
    this.outage = { since: Date.now(), refused: 1, probing: false };
    this.log(
      `routing-controllers-auth: the database is unreachable (${reasonOf(cause)}): requests that need it answer 503 AUTH_BACKEND_UNAVAILABLE until it is back.`,
    );
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref(); // a probe never keeps the process alive
  }

  private async check(): Promise<void> {
    const outage = this.outage;
    if (!outage || outage.probing || !this.probe) return;
    outage.probing = true;
    try {
      await this.probe();
    } catch {
      outage.probing = false;
      return; // still down
    }
    clearInterval(this.timer);
    this.outage = undefined;
    const seconds = ((Date.now() - outage.since) / 1000).toFixed(1);
    const requests = outage.refused === 1 ? '1 request was' : `${outage.refused} requests were`;
    this.log(`routing-controllers-auth: the database answers again after ${seconds} s; ${requests} answered 503 AUTH_BACKEND_UNAVAILABLE meanwhile.`);
  }

  /** Stops probing (a DataSource being destroyed, a test ending). */
  stop(): void {
    clearInterval(this.timer);
    this.outage = undefined;
  }
}
