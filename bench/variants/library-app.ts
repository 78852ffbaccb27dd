import 'reflect-metadata';
import { randomUUID } from 'crypto';
import { Authorized, createExpressServer, CurrentUser, Get, JsonController, useContainer } from 'routing-controllers';
import { Container } from 'typedi';
import { DataSource, type DataSourceOptions, Entity } from 'typeorm';
import {
  AccessToken,
  ApiKey,
  Auth,
  AuthController,
  AuthenticationBackend,
  AuthErrorHandler,
  AuthSession,
  BaseUser,
  BearerTransport,
  RefreshToken,
  type HttpExchange,
  type RefreshOptions,
  type Strategy,
  type Transport,
} from '../../src';
import { positiveInt } from '../env';
import type { VariantServer } from '../variant';

/** DataSourceOptions without `entities`, kept per driver (a plain Omit would merge the union). */
type WithoutEntities<T> = T extends unknown ? Omit<T, 'entities'> : never;

@Entity('user')
export class BenchUser extends BaseUser {}

/** The quick start's route: `@Authorized()` + `@CurrentUser()`, one lookup per request. */
@JsonController('/items')
class LibraryItems {
  @Authorized()
  @Get('/')
  list(@CurrentUser() user: BenchUser) {
    return { owner: user.id };
  }
}

@JsonController('/auth/bench')
class BenchAuthController extends AuthController {
  constructor() {
    super('bench');
  }
}

/** What a session start reads of a request. */
const BENCH_EXCHANGE = { header: (name: string) => (name === 'user-agent' ? 'bench' : undefined), ip: '127.0.0.1' } as unknown as HttpExchange;

/**
 * A library variant: one Bearer backend with the given strategy, configured as the quick
 * start does, with a fresh user and a token made in code. With `refresh`, the backend has
 * refresh tokens on: the measured access token belongs to a session (as a login's does), and
 * `POST /auth/bench/refresh` is served, with one fresh session per refresh chain the runner runs.
 */
export async function startLibraryVariant(
  connection: WithoutEntities<DataSourceOptions>,
  strategy: Strategy,
  cleanup: () => void | Promise<void> = () => undefined,
  refresh?: RefreshOptions,
  /** A transport other than Bearer, and how the measured credential is made (API keys: not by `createToken`). */
  credential?: { transport: Transport; make: (user: BenchUser) => Promise<string> },
): Promise<VariantServer> {
  const dataSource = new DataSource({ ...connection, entities: [BenchUser, AccessToken, AuthSession, RefreshToken, ApiKey] });
  const transport = credential?.transport ?? new BearerTransport({ tokenUrl: '/auth/login' });
  const backend = new AuthenticationBackend({ name: 'bench', transport, strategy, refresh });
  const auth = Auth.configure<BenchUser>({
    dataSource,
    userEntity: BenchUser,
    secret: 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz',
    backends: [backend],
    rateLimits: false,
  });
  await dataSource.initialize();
  const user = await auth.userManager.create({ email: `bench-${randomUUID()}@example.com`, password: 'a bench passphrase, not common' });
  let token: string;
  let seeds: string[] | undefined;
  if (refresh) {
    const scopes = await auth.userManager.getScopes(user);
    const { session } = await auth.sessions.start(backend, user.id, scopes, BENCH_EXCHANGE);
    token = await strategy.write({ userId: user.id, scopes, lifetimeSeconds: strategy.lifetimeSeconds, sessionId: session.id });
    // One chain per connection per run (warm-up included): a chain is never resumed across runs.
    // A user per chain, as clients are: one user refreshing thousands of times holds thousands of
    // live access tokens, which is not what this row measures.
    const chains = (positiveInt('BENCH_ROUNDS', 5) + 1) * positiveInt('BENCH_CONNECTIONS', 10);
    seeds = [];
    for (let i = 0; i < chains; i++) {
      const client = await auth.userManager.create({ email: `bench-${randomUUID()}@example.com`, password: 'a bench passphrase, not common' });
      seeds.push((await auth.sessions.start(backend, client.id, scopes, BENCH_EXCHANGE)).refreshToken);
    }
  } else {
    token = credential ? await credential.make(user) : await auth.createToken(user);
  }

  useContainer(Container, { fallbackOnErrors: true });
  const app = createExpressServer({
    controllers: refresh ? [LibraryItems, BenchAuthController] : [LibraryItems],
    middlewares: [AuthErrorHandler],
    authorizationChecker: auth.authorizationChecker,
    currentUserChecker: auth.currentUserChecker,
  });
  return {
    app,
    token,
    expectedOwner: user.id,
    refresh: seeds ? { path: '/auth/bench/refresh', seeds } : undefined,
    async close() {
      await auth.revokeAllTokens(user.id);
      await auth.userManager.delete(user);
      await dataSource.destroy();
      await cleanup();
    },
  };
}
