import { DatabaseStrategy } from '../../src';
import type { VariantServer } from '../variant';
import { startLibraryVariant } from './library-app';
import { tempSqliteFile } from './temp-sqlite';

/** (d′) (d) with refresh tokens on: the access token belongs to a session; sessions in SQLite. */
export async function start(): Promise<VariantServer> {
  const file = tempSqliteFile();
  return startLibraryVariant(
    { type: 'better-sqlite3', database: file.database, synchronize: true, enableWAL: true },
    new DatabaseStrategy({ lifetimeSeconds: 3600 }),
    file.remove,
    { lifetimeSeconds: 3600 },
  );
}
