import type { AuthEvents } from '../security/events';

/** The part of a node-redis client (or cluster) that reports errors; a hand-written client may lack it. */
interface ErrorEmitter {
  on?(event: 'error', listener: (error: Error) => void): unknown;
}

/** At most one log line per client in this many milliseconds, however many errors it emits. */
export const REDIS_ERROR_LOG_INTERVAL_MS = 60_000;

interface Watch {
  /** Every `Auth` whose strategies use this client: each gets the `store.error` event. */
  events: Set<AuthEvents>;
  lastLoggedAt: number;
  suppressed: number;
}

const watched = new WeakMap<object, Watch>();

/**
 * node-redis emits `'error'` on every failed reconnect; with no listener Node turns that into an
 * uncaught exception, and a lost Redis would crash the app instead of answering 503. So the
 * library listens to the app's client (once per client, however many strategies share it) and
 * reports what it hears rather than swallowing it: a `store.error` auth event for every error, and
 * a log line at most once a minute (a Redis that stays down would otherwise flood the log with a
 * line per reconnect attempt), saying how many errors the interval held.
 */
export function watchRedisErrors(client: object, events?: AuthEvents): void {
  if (!hasOn(client)) return;
  let watch = watched.get(client);
  if (!watch) {
    const created: Watch = { events: new Set(), lastLoggedAt: -Infinity, suppressed: 0 };
    watched.set(client, created);
    client.on('error', (error: Error) => {
      for (const target of created.events) target.publish({ type: 'store.error', store: 'redis', error });
      const now = Date.now();
      if (now - created.lastLoggedAt < REDIS_ERROR_LOG_INTERVAL_MS) {
        created.suppressed++;
        return;
      }
      const more = created.suppressed > 0 ? ` (${created.suppressed} more since the last report)` : '';
      created.lastLoggedAt = now;
      created.suppressed = 0;
      console.error(`routing-controllers-auth: the Redis client reported an error${more}: ${error?.message ?? error}`);
    });
    watch = created;
  }
  if (events) watch.events.add(events);
}

function hasOn(client: object & ErrorEmitter): client is Required<ErrorEmitter> {
  return typeof client?.on === 'function';
}
