import { AuthHttpError, BackendUnavailableError } from '../errors';
import type { PluginContext } from '../lifecycle';
import { isStoreOutage } from '../stores/outage';
import { isRedisCluster } from './commands';
import { watchRedisErrors } from './error-watch';
import { assertRedisOpen, assertRedisReady, type RedisClientState } from './readiness';
import { commandTimeoutOption, withinRedisTimeout } from './time-limit';

export interface RedisConnectionOptions {
  /** The store as the app wrote it, naming it in errors: e.g. `RedisStrategy({ redis })`. */
  who: string;
  /** The store's `commandTimeoutMs` option (default 1000 ms; `null`: as long as the client waits). */
  commandTimeoutMs?: number | null;
}

/**
 * The app's node-redis client as a store uses it, so every Redis store gets the same guarantees
 * by holding one of these: its client's errors are watched (never an uncaught `'error'`), `ready()`
 * refuses a client that is not connected, and every command is refused at once while the client
 * is not ready and given up after the time limit, an outage reaching the caller as 503
 * `AUTH_BACKEND_UNAVAILABLE` (`BackendUnavailableError`, the node-redis error as its `cause`).
 */
export class RedisConnection<C extends RedisClientState & object> {
  /** A cluster routes each key to its own shard: no MULTI over keys of different slots. */
  readonly isCluster: boolean;
  readonly commandTimeoutMs: number | null;
  private readonly who: string;

  constructor(
    readonly client: C,
    options: RedisConnectionOptions,
  ) {
    this.who = options.who;
    this.commandTimeoutMs = commandTimeoutOption(options.commandTimeoutMs, options.who);
    this.isCluster = isRedisCluster(client);
    // Listened to from the start: an app that never configures `Auth` must not crash on the first 'error' either.
    watchRedisErrors(client);
  }

  /** The `init` of the store: its client's errors also become `store.error` events of the app. */
  init(context: Pick<PluginContext, 'events'>): void {
    watchRedisErrors(this.client, context.events);
  }

  /** The `ready` of the store: `AuthConfigurationError` naming the fix when the client is not connected. */
  async ready(): Promise<void> {
    assertRedisOpen(this.client, this.who);
  }

  /**
   * Sends `commands` (one, or several sent together, e.g. a `Promise.all`), bounded by the time
   * limit as a whole; refused at once while the client is not ready.
   */
  async run<T>(commands: (client: C) => Promise<T>): Promise<T> {
    try {
      assertRedisReady(this.client);
      return await withinRedisTimeout(commands(this.client), this.commandTimeoutMs);
    } catch (error) {
      throw error instanceof AuthHttpError || !isStoreOutage(error) ? error : BackendUnavailableError.causedBy(error);
    }
  }
}
