import type { VariantServer } from '../variant';
import { start as startDatabaseVariant } from './library-db-sqlite';

/** (d′) (d) with refresh tokens on: the access token belongs to a session; sessions in SQLite. */
export function start(): Promise<VariantServer> {
  return startDatabaseVariant({ lifetimeSeconds: 3600 });
}
