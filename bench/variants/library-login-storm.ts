import 'reflect-metadata';
import { randomBytes } from 'crypto';
import { readdirSync, readFileSync } from 'fs';
import { Worker } from 'worker_threads';
import { Authorized, createExpressServer, CurrentUser, Get, JsonController, useContainer } from 'routing-controllers';
import { Container } from 'typedi';
import { DataSource, Entity } from 'typeorm';
import {
  AccessToken,
  Argon2PasswordHasher,
  Auth,
  AuthController,
  AuthenticationBackend,
  AuthErrorHandler,
  BaseUser,
  BearerTransport,
  JwtStrategy,
} from '../../src';
import { positiveInt } from '../env';
import type { VariantServer } from '../variant';
import { tempSqliteFile } from './temp-sqlite';

@Entity('user')
class StormUser extends BaseUser {}

@JsonController('/items')
class StormItems {
  @Authorized()
  @Get('/')
  list(@CurrentUser() user: StormUser) {
    return { owner: user.id };
  }
}

@JsonController('/auth/storm')
class StormAuthController extends AuthController {
  constructor() {
    super('storm');
  }
}

/**
 * (g) The library as an app with a login route: (c)'s `GET /items` (Bearer + JwtStrategy, users in
 * a SQLite file) plus `POST /auth/storm/login`, with `BENCH_STORM_ACCOUNTS` (200) registered users
 * whose passwords go to the runner over IPC (never printed). The password hasher is the library's
 * default (argon2id, 19 MiB, t=2, p=1, default concurrency bound) unless `BENCH_STORM_HASH_CONCURRENCY`
 * sets the bound ("unbounded" = only libuv's 4 threads bound it, as before the bound existed).
 *
 * Rate limits stay on with the library's per-IP default (100 per 15 min); the app trusts its
 * loopback proxy, and the runner sends each login from its own address in `X-Forwarded-For` (a
 * distributed storm, which per-IP limits do not absorb). The per-account budget is raised, since
 * the storm reuses its 200 accounts for thousands of attempts; a 429 would be counted as a failure.
 */
export async function start(): Promise<VariantServer> {
  const poolNice = process.env.BENCH_STORM_POOL_NICE;
  if (poolNice) await startThreadpoolAt(Number(poolNice));
  const file = tempSqliteFile();
  const dataSource = new DataSource({
    type: 'better-sqlite3',
    database: file.database,
    synchronize: true,
    enableWAL: true,
    entities: [StormUser, AccessToken],
  });
  const bound = process.env.BENCH_STORM_HASH_CONCURRENCY;
  const hasher = new Argon2PasswordHasher(bound ? { concurrency: bound === 'unbounded' ? 1024 : positiveInt('BENCH_STORM_HASH_CONCURRENCY', 1) } : {});
  const backend = new AuthenticationBackend({
    name: 'storm',
    transport: new BearerTransport({ tokenUrl: '/auth/storm/login' }),
    strategy: new JwtStrategy({ secret: 'bench-storm-jwt-secret-0123456789-abcdefghijklmnopqrstuvwxyz', lifetimeSeconds: 3600 }),
  });
  const auth = Auth.configure<StormUser>({
    dataSource,
    userEntity: StormUser,
    secret: 'bench-storm-secret-0123456789-abcdefghijklmnopqrstuvwxyz',
    backends: [backend],
    passwordHasher: hasher,
    rateLimits: { limits: { login: { perAccount: { points: 1_000_000, durationSeconds: 900 } } } },
  });
  await dataSource.initialize();

  const accounts: { username: string; password: string }[] = [];
  const users: StormUser[] = [];
  const count = positiveInt('BENCH_STORM_ACCOUNTS', 200);
  for (let i = 0; i < count; i++) {
    const account = {
      username: `storm-${i}-${randomBytes(4).toString('hex')}@example.com`,
      password: `storm ${randomBytes(12).toString('base64url')} passphrase`,
    };
    users.push(await auth.userManager.create({ email: account.username, password: account.password }));
    accounts.push(account);
  }

  useContainer(Container, { fallbackOnErrors: true });
  const app = createExpressServer({
    controllers: [StormItems, StormAuthController],
    middlewares: [AuthErrorHandler],
    authorizationChecker: auth.authorizationChecker,
    currentUserChecker: auth.currentUserChecker,
  });
  app.set('trust proxy', 'loopback');
  return {
    app,
    token: await auth.createToken(users[0]),
    expectedOwner: users[0].id,
    login: {
      path: '/auth/storm/login',
      accounts,
      hashConcurrency:
        `${bound === 'unbounded' ? 'unbounded (libuv: 4)' : hasher.concurrency}` +
        (poolNice ? `, libuv threads at nice ${poolNice} (${threadsAtNice(Number(poolNice))} threads)` : ''),
    },
    async close() {
      await dataSource.destroy();
      file.remove();
    },
  };
}

/**
 * Experiment (`BENCH_STORM_POOL_NICE=19`): libuv's threadpool threads are created all at once by
 * the first thread that queues work, and inherit that thread's nice value (Linux: nice is per
 * thread). A worker thread that lowers its own priority and then queues the first work leaves
 * every pool thread (argon2 included) at that nice value, the event loop untouched; no privilege
 * is needed. Works only if nothing has used the threadpool yet.
 */
async function startThreadpoolAt(nice: number): Promise<void> {
  const worker = new Worker(`require('os').setPriority(${nice}); require('fs').promises.stat('/').then(() => process.exit(0));`, { eval: true });
  await new Promise((resolve, reject) => worker.once('exit', resolve).once('error', reject));
}

/** How many of this process's threads run at `nice` (Linux /proc; field 19 of stat). */
function threadsAtNice(nice: number): number {
  return readdirSync('/proc/self/task').filter((tid) => {
    const fields = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[16]) === nice;
  }).length;
}
