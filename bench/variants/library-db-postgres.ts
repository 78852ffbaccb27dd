import { DatabaseStrategy } from '../../src';
import type { VariantServer } from '../variant';
import { startLibraryVariant } from './library-app';

/**
 * (e) The database backend on PostgreSQL (`TEST_DATABASE_URL`, a throwaway test database:
 * `synchronize` shapes its `user` / `access_token` tables). The bench user and its tokens are
 * deleted at the end.
 */
export async function start(): Promise<VariantServer> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set.');
  return startLibraryVariant({ type: 'postgres', url, synchronize: true }, new DatabaseStrategy({ lifetimeSeconds: 3600 }));
}
