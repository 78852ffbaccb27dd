import { ApiKeyStrategy, ApiKeyTransport } from '../../src';
import type { VariantServer } from '../variant';
import { startLibraryVariant } from './library-app';
import { tempSqliteFile } from './temp-sqlite';

/**
 * (h) The library's API keys: `ApiKeyTransport` (`Authorization: Bearer <key>`) + `ApiKeyStrategy`
 * on a SQLite file (key row joined with its owner per request, the owner's scopes, the last use
 * written at most once a minute). Its target: no slower than (d), the database token on the same file.
 */
export async function start(): Promise<VariantServer> {
  const file = tempSqliteFile();
  const strategy = new ApiKeyStrategy();
  return startLibraryVariant(
    { type: 'better-sqlite3', database: file.database, synchronize: true, enableWAL: true },
    strategy,
    () => file.remove(),
    undefined,
    { transport: new ApiKeyTransport(), make: async (user) => (await strategy.createKey(user, { name: 'bench', scopes: [] }, [])).key },
  );
}
