import { randomUUID } from 'crypto';
import { DataSource } from 'typeorm';
import { AccessToken, ApiKey, AuthSession, JwtRevocation, Passkey, RefreshToken } from '../../src';
import { connectOutageReadyClient } from '../support/redis-client';

export type DatabaseKind = 'sqlite' | 'postgres';

/** An initialised DataSource holding the library's token and session tables (PostgreSQL: the run's private server, schema made afresh). */
export async function tokenTables(kind: DatabaseKind): Promise<DataSource> {
  const entities = [AccessToken, JwtRevocation, AuthSession, RefreshToken, Passkey, ApiKey];
  let dataSource: DataSource;
  if (kind === 'postgres') {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) throw new Error('TEST_DATABASE_URL is not set: the test services did not start.');
    dataSource = new DataSource({ type: 'postgres', url, entities, synchronize: true, dropSchema: true });
  } else {
    dataSource = new DataSource({ type: 'better-sqlite3', database: ':memory:', entities, synchronize: true });
  }
  return dataSource.initialize();
}

/** A connected client of the run's private Redis, and a key prefix no other suite uses. */
export async function redisWithPrefix(): Promise<{ redis: Awaited<ReturnType<typeof connectOutageReadyClient>>; keyPrefix: string }> {
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error('TEST_REDIS_URL is not set: the test services did not start.');
  return { redis: await connectOutageReadyClient(url), keyPrefix: `rcauth-conformance:${randomUUID()}:` };
}

export const DATABASES: { kind: DatabaseKind; label: string }[] = [
  { kind: 'sqlite', label: 'SQLite' },
  { kind: 'postgres', label: 'PostgreSQL' },
];
