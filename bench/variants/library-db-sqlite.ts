import { DatabaseStrategy, type RefreshOptions } from '../../src';
import type { VariantServer } from '../variant';
import { startLibraryVariant } from './library-app';
import { tempSqliteFile } from './temp-sqlite';

/** (d) The library's database backend: opaque tokens as AccessToken rows in a SQLite file; (d′) passes `refresh`. */
export async function start(refresh?: RefreshOptions): Promise<VariantServer> {
  const file = tempSqliteFile();
  return startLibraryVariant(
    { type: 'better-sqlite3', database: file.database, synchronize: true, enableWAL: true },
    new DatabaseStrategy({ lifetimeSeconds: 3600 }),
    () => file.remove(),
    refresh,
  );
}
