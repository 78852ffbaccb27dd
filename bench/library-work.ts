/**
 * `npm run bench:library -- <jwt|database|redis|api-key> [sqlite|postgres]`: the library's own work per
 * authenticated request, without HTTP: `authorizationChecker` + `currentUserChecker` on a request
 * object carrying a Bearer token, as routing-controllers calls them, with ten requests in flight.
 * Prints wall and CPU microseconds per request (medians of five 2-second runs).
 *
 * Under `valgrind --tool=callgrind` the same script counts instructions, which do not depend on
 * what else the machine is doing: run it with BENCH_LIBRARY_REQUESTS=1 and =4001 (and
 * BENCH_LIBRARY_WARMUP=2000) and divide the difference by 4000 (docs/benchmark.md shows how).
 */
import 'reflect-metadata';
import { randomUUID } from 'crypto';
import { rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { performance } from 'perf_hooks';
import { type Action } from 'routing-controllers';
import { DataSource, type DataSourceOptions, Entity } from 'typeorm';
import {
  AccessToken,
  ApiKey,
  ApiKeyStrategy,
  ApiKeyTransport,
  Auth,
  AuthenticationBackend,
  AuthSession,
  BaseUser,
  BearerTransport,
  DatabaseStrategy,
  JwtRevocation,
  JwtStrategy,
  RedisStrategy,
  RefreshToken,
  type Strategy,
  type Transport,
} from '../src';

@Entity('user')
class WorkUser extends BaseUser {}

type Store = 'sqlite' | 'postgres';

const kind = process.argv[2];
const store = (process.argv[3] ?? 'sqlite') as Store;
const fixedRequests = process.env.BENCH_LIBRARY_REQUESTS ? Number(process.env.BENCH_LIBRARY_REQUESTS) : undefined;
const warmup = Number(process.env.BENCH_LIBRARY_WARMUP ?? 20_000);

function connection(file: string): DataSourceOptions {
  const entities = [WorkUser, AccessToken, AuthSession, RefreshToken, JwtRevocation, ApiKey];
  if (store === 'postgres') {
    if (!process.env.TEST_DATABASE_URL) throw new Error('Set TEST_DATABASE_URL for the PostgreSQL rows.');
    return { type: 'postgres', url: process.env.TEST_DATABASE_URL, synchronize: true, entities };
  }
  return { type: 'better-sqlite3', database: file, synchronize: true, enableWAL: true, entities };
}

async function strategyFor(): Promise<{ strategy: Strategy; close(): Promise<void> }> {
  if (kind === 'jwt') return { strategy: new JwtStrategy({ secret: 'bench-jwt-secret-0123456789-abcdefghijklmnopqrstuvwxyz' }), close: async () => undefined };
  if (kind === 'database') return { strategy: new DatabaseStrategy(), close: async () => undefined };
  if (kind === 'api-key') return { strategy: new ApiKeyStrategy(), close: async () => undefined };
  if (kind === 'redis') {
    if (!process.env.TEST_REDIS_URL) throw new Error('Set TEST_REDIS_URL for the Redis row.');
    const { createClient } = require('redis') as typeof import('redis');
    const redis = createClient({ url: process.env.TEST_REDIS_URL });
    await redis.connect();
    return { strategy: new RedisStrategy({ redis }), close: async () => void (await redis.quit()) };
  }
  throw new Error('Name a strategy: jwt, database, redis or api-key (then sqlite or postgres for the users).');
}

async function main(): Promise<void> {
  const file = join(tmpdir(), `rcauth-library-work-${process.pid}.sqlite`);
  const dataSource = new DataSource(connection(file));
  const backendStore = await strategyFor();
  const strategy = backendStore.strategy;
  const transport: Transport = strategy instanceof ApiKeyStrategy ? new ApiKeyTransport() : new BearerTransport({ tokenUrl: '/login' });
  const auth = Auth.configure<WorkUser>({
    dataSource,
    userEntity: WorkUser,
    secret: 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz',
    backends: [new AuthenticationBackend({ name: 'work', transport, strategy })],
    rateLimits: false,
  });
  await dataSource.initialize();
  await auth.ready();
  const user = await auth.userManager.create({ email: `work-${randomUUID()}@example.com`, password: 'a bench passphrase, not common' });
  // An API key is made as POST /api-keys makes it; the other credentials as code makes them.
  const credential = strategy instanceof ApiKeyStrategy ? (await strategy.createKey(user, { name: 'work', scopes: [] }, [])).key : await auth.createToken(user);
  const authorization = `Bearer ${credential}`;

  // What routing-controllers hands the checkers: a fresh request per call (the library keeps its state on it).
  const oneRequest = async () => {
    const action = { request: { method: 'GET', headers: { authorization, host: 'localhost' } }, response: {} } as unknown as Action;
    const allowed = await auth.authorizationChecker(action, []);
    const current = await auth.currentUserChecker(action);
    if (allowed !== true || current?.id !== user.id) throw new Error('the request was not authenticated');
  };
  const inFlight = async (until: () => boolean) => {
    let done = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (!until()) {
          await oneRequest();
          done++;
        }
      }),
    );
    return done;
  };

  try {
    let warmed = 0;
    await inFlight(() => warmed++ >= warmup);
    if (fixedRequests !== undefined) {
      let sent = 0;
      await inFlight(() => sent++ >= fixedRequests);
      return;
    }
    const runs: { wall: number; cpu: number }[] = [];
    for (let run = 0; run < 5; run++) {
      const cpu = process.cpuUsage();
      const started = performance.now();
      const done = await inFlight(() => performance.now() - started > 2000);
      const used = process.cpuUsage(cpu);
      runs.push({ wall: ((performance.now() - started) * 1000) / done, cpu: (used.user + used.system) / done });
    }
    const median = (values: number[]) => values.sort((a, b) => a - b)[2];
    console.log(
      `${kind} (users in ${store}): ${median(runs.map((r) => r.wall)).toFixed(1)} µs per request, ` +
        `${median(runs.map((r) => r.cpu)).toFixed(1)} µs of CPU (medians of 5 runs, 10 requests in flight)`,
    );
  } finally {
    await auth.userManager.delete(user);
    await dataSource.destroy();
    await backendStore.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  }
}

main().catch((error: Error) => {
  console.error(`bench:library failed: ${error.message}`);
  process.exitCode = 1;
});
