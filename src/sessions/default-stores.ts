import type { AuthenticationBackend } from '../backend';
import type { PluginContext } from '../lifecycle';
import { RedisSessionStore, type RedisSessionClient } from './redis-session-store';
import type { SessionStore } from './session-store';
import { TypeOrmSessionStore } from './typeorm-session-store';

/**
 * Gives every backend with refresh tokens and no store of its own the default one: the store its
 * strategy offers (`Strategy.defaultSessionStore`, e.g. a `RedisStrategy`'s Redis), else the
 * DataSource's tables, one `TypeOrmSessionStore` shared by those backends so the session list shows
 * each session once. Then each store, given or default, is initialised once with the app's context.
 */
export function attachDefaultSessionStores(backends: readonly AuthenticationBackend[], context: PluginContext): void {
  let databaseStore: SessionStore | undefined;
  const stores = new Set<SessionStore>();
  for (const backend of backends) {
    if (!backend.refresh) continue;
    backend.refresh.store ??= backend.strategy.defaultSessionStore?.() ?? (databaseStore ??= new TypeOrmSessionStore(context.dataSource));
    stores.add(backend.refresh.store);
  }
  for (const store of stores) store.init?.(context);
}

/** One `RedisSessionStore` per client: backends (and strategies) sharing a client share the store, so each session is listed once. */
const redisStores = new WeakMap<object, RedisSessionStore>();

/** The sessions store on a strategy's Redis client (see `RedisStrategy.defaultSessionStore`). */
export function redisSessionStoreOn(redis: object): RedisSessionStore {
  let store = redisStores.get(redis);
  if (!store) {
    store = new RedisSessionStore({ redis: redis as unknown as RedisSessionClient });
    redisStores.set(redis, store);
  }
  return store;
}
