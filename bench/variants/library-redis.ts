import { createClient } from 'redis';
import { RedisStrategy, type RefreshOptions } from '../../src';
import type { VariantServer } from '../variant';
import { startLibraryVariant } from './library-app';
import { tempSqliteFile } from './temp-sqlite';

/** (f) The Redis backend (`TEST_REDIS_URL`); users in a SQLite file, as in (c); (f′) passes `refresh`. */
export async function start(refresh?: RefreshOptions): Promise<VariantServer> {
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error('TEST_REDIS_URL is not set.');
  const client = createClient({ url, disableOfflineQueue: true });
  await client.connect();
  const file = tempSqliteFile();
  return startLibraryVariant(
    { type: 'better-sqlite3', database: file.database, synchronize: true, enableWAL: true },
    new RedisStrategy({ redis: client, lifetimeSeconds: 3600, keyPrefix: `bench:${process.pid}:` }),
    async () => {
      client.destroy();
      file.remove();
    },
    refresh,
  );
}
