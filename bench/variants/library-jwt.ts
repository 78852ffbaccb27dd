import { JwtStrategy } from '../../src';
import type { VariantServer } from '../variant';
import { startLibraryVariant } from './library-app';
import { tempSqliteFile } from './temp-sqlite';

/** (c) The library's JWT backend; users live in a SQLite file (the token holds only the id). */
export async function start(): Promise<VariantServer> {
  const file = tempSqliteFile();
  return startLibraryVariant(
    { type: 'better-sqlite3', database: file.database, synchronize: true, enableWAL: true },
    new JwtStrategy({ secret: 'bench-jwt-secret-0123456789-abcdefghijklmnopqrstuvwxyz', lifetimeSeconds: 3600 }),
    () => file.remove(),
  );
}
