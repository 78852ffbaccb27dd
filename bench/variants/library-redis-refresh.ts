import { createClient } from 'redis';
import { RedisStrategy } from '../../src';
import type { VariantServer } from '../variant';
import { startLibraryVariant } from './library-app';
import { tempSqliteFile } from './temp-sqlite';

/** (f′) (f) with refresh tokens on: the access token belongs to a session; sessions in Redis. */
export async function start(): Promise<VariantServer> {
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error('TEST_REDIS_URL is not set.');
  const client = createClient({ url, disableOfflineQueue: true });
  await client.connect();
  const file = tempSqliteFile();
  return startLibraryVariant(
    { type: 'better-sqlite3', database: file.database, synchronize: true, enableWAL: true },
    new RedisStrategy({ redis: client as any, lifetimeSeconds: 3600, keyPrefix: `bench:${process.pid}:` }),
    async () => {
      client.destroy();
      file.remove();
    },
    { lifetimeSeconds: 3600 },
  );
}
