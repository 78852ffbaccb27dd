import type { DataSource } from 'typeorm';
import type { AuthenticationBackend } from '../backend';
import { RedisStrategy } from '../strategies/redis';
import { RedisSessionStore, type RedisSessionClient } from './redis-session-store';
import type { SessionStore } from './session-store';
import { TypeOrmSessionStore } from './typeorm-session-store';

/**
 * Gives every backend with refresh tokens and no store of its own the default one: a `RedisStrategy`
 * backend keeps its sessions in the same Redis, any other backend in the DataSource. Backends
 * sharing a Redis client or a DataSource share one store, so the session list shows each session once.
 */
export function attachDefaultSessionStores(backends: readonly AuthenticationBackend[], dataSource: DataSource | undefined): void {
  const stores = new Map<object | undefined, SessionStore>();
  for (const backend of backends) {
    if (!backend.refresh) continue;
    if (!backend.refresh.store) {
      const redis = backend.strategy instanceof RedisStrategy ? backend.strategy.redis : undefined;
      const owner = redis ?? dataSource;
      let store = stores.get(owner);
      if (!store) {
        store = redis ? new RedisSessionStore({ redis: redis as unknown as RedisSessionClient }) : new TypeOrmSessionStore(dataSource);
        stores.set(owner, store);
      }
      backend.refresh.store = store;
    }
    if (backend.refresh.store instanceof TypeOrmSessionStore && dataSource) backend.refresh.store.useDataSource(dataSource);
  }
}
