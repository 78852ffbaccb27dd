/**
 * One app instance, as a separate Node process: what a deployment runs several of behind a
 * load balancer. The scale-out test forks two and talks to both over HTTP.
 *
 * Configured from the environment: TEST_DATABASE_URL (PostgreSQL with the schema already made —
 * instances never synchronize or drop it), TEST_REDIS_URL, SECRET (the JWT secret, shared), REDIS_KEY_PREFIX (optional).
 * It listens on a free 127.0.0.1 port and reports `{ url }` to its parent over IPC; it exits
 * when the parent disconnects or sends SIGTERM.
 */
import 'reflect-metadata';
import { createClient, type RedisClientType } from 'redis';
import { DataSource } from 'typeorm';
import { AccessToken, AuthenticationBackend, AuthSession, BearerTransport, DatabaseStrategy, JwtStrategy, RedisStrategy, RefreshToken } from '../../src';
import { buildApp, User } from './app';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`instance: ${name} is not set`);
  return value;
}

async function main(): Promise<void> {
  const redis = createClient({
    url: required('TEST_REDIS_URL'),
    disableOfflineQueue: true,
    socket: { connectTimeout: 1000, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000) },
  }) as RedisClientType;
  redis.on('error', () => undefined);
  await redis.connect();

  const dataSource = new DataSource({
    type: 'postgres',
    url: required('TEST_DATABASE_URL'),
    entities: [User, AccessToken, AuthSession, RefreshToken],
    synchronize: false,
  });
  const secret = required('SECRET');
  const backends = [
    new AuthenticationBackend({
      name: 'jwt',
      transport: new BearerTransport({ tokenUrl: '/auth/jwt/login' }),
      strategy: new JwtStrategy({ secret, lifetimeSeconds: 3600 }),
    }),
    new AuthenticationBackend({
      name: 'db',
      transport: new BearerTransport({ tokenUrl: '/auth/db/login' }),
      strategy: new DatabaseStrategy({ lifetimeSeconds: 3600 }),
    }),
    new AuthenticationBackend({
      name: 'redis',
      transport: new BearerTransport({ tokenUrl: '/auth/redis/login' }),
      strategy: new RedisStrategy({ redis, lifetimeSeconds: 3600, keyPrefix: process.env.REDIS_KEY_PREFIX }),
    }),
    // Sessions with refresh tokens: in PostgreSQL (TypeORM store) and in Redis (Redis store).
    new AuthenticationBackend({
      name: 'db-refresh',
      transport: new BearerTransport({ tokenUrl: '/auth/db-refresh/login' }),
      strategy: new DatabaseStrategy({ lifetimeSeconds: 3600 }),
      refresh: {},
    }),
    new AuthenticationBackend({
      name: 'redis-refresh',
      transport: new BearerTransport({ tokenUrl: '/auth/redis-refresh/login' }),
      strategy: new RedisStrategy({ redis, lifetimeSeconds: 3600, keyPrefix: process.env.REDIS_KEY_PREFIX }),
      refresh: {},
    }),
  ];
  const app = await buildApp({ dataSource, backends });
  const { url } = await app.listen();

  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await app.close().catch(() => undefined);
    redis.destroy();
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('disconnect', shutdown); // the parent test process is gone
  process.send?.({ url, pid: process.pid });
}

main().catch((error) => {
  process.stderr.write(`instance failed to start: ${error?.stack ?? error}\n`);
  process.exit(1);
});
