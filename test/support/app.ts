import 'reflect-metadata';
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import {
  Authorized,
  createExpressServer,
  createKoaServer,
  CurrentUser,
  Get,
  HttpCode,
  JsonController,
  Post,
  useContainer,
  useExpressServer,
  type RoutingControllersOptions,
} from 'routing-controllers';
import { Container } from 'typedi';
import { DataSource, Entity, Column } from 'typeorm';
import {
  AccessToken,
  ApiKey,
  Auth,
  JwtRevocation,
  AuthSession,
  RefreshToken,
  RecoveryCode,
  TwoFactorSecret,
  AuthController,
  AuthenticationBackend,
  AuthErrorHandler,
  BaseUser,
  BearerTransport,
  CookieTransport,
  DatabaseStrategy,
  JwtStrategy,
  Passkey,
  type AuthOptions,
} from '../../src';

useContainer(Container, { fallbackOnErrors: true });

@Entity('user')
export class User extends BaseUser {
  @Column({ type: 'varchar', length: 100, nullable: true })
  displayName?: string | null;
}

export const SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
export const PASSWORD = 'correct horse battery staple';

export type DataSourceKind = 'sqlite' | 'postgres';

export function makeDataSource(kind: DataSourceKind = 'sqlite'): DataSource {
  if (kind === 'postgres') {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) throw new Error('TEST_DATABASE_URL is not set: the test services did not start.');
    return new DataSource({
      type: 'postgres',
      url,
      entities: [User, AccessToken, JwtRevocation, AuthSession, RefreshToken, TwoFactorSecret, RecoveryCode, Passkey, ApiKey],
      synchronize: true,
      dropSchema: true,
    });
  }
  return new DataSource({
    type: 'better-sqlite3',
    database: ':memory:',
    entities: [User, AccessToken, JwtRevocation, AuthSession, RefreshToken, TwoFactorSecret, RecoveryCode, Passkey, ApiKey],
    synchronize: true,
  });
}

export function defaultBackends(): AuthenticationBackend[] {
  return [
    new AuthenticationBackend({
      name: 'jwt',
      transport: new BearerTransport({ tokenUrl: '/auth/jwt/login' }),
      strategy: new JwtStrategy({ secret: SECRET, lifetimeSeconds: 3600 }),
    }),
    new AuthenticationBackend({
      name: 'db',
      transport: new BearerTransport({ tokenUrl: '/auth/db/login' }),
      strategy: new DatabaseStrategy({ lifetimeSeconds: 3600 }),
    }),
    new AuthenticationBackend({
      name: 'cookie',
      transport: new CookieTransport({ cookieMaxAge: 3600 }),
      strategy: new DatabaseStrategy({ lifetimeSeconds: 3600 }),
    }),
  ];
}

/**
 * The routing-controllers driver the HTTP tests run on: `TEST_DRIVER=express` (Express 4, default),
 * `express5` or `koa`. `npm test` runs the HTTP suites once per driver.
 */
export type Driver = 'express' | 'express5' | 'koa';
export const DRIVER: Driver = (process.env.TEST_DRIVER as Driver) || 'express';

function createServerApp(driver: Driver, options: RoutingControllersOptions): { handler: any; setTrustProxy: (on: boolean) => void } {
  if (driver === 'koa') {
    const koa = createKoaServer(options);
    return { handler: koa.callback(), setTrustProxy: (on) => void (koa.proxy = on) };
  }
  const app = driver === 'express5' ? useExpressServer(require('express5')(), options) : createExpressServer(options);
  return { handler: app, setTrustProxy: (on) => void app.set('trust proxy', on ? 'loopback' : false) };
}

export interface TestApp {
  /** What supertest takes: an Express app or a Koa request handler. */
  app: any;
  driver: Driver;
  /** Express `trust proxy` / Koa `proxy` for loopback clients. */
  setTrustProxy(on: boolean): void;
  auth: Auth<User>;
  dataSource: DataSource;
  /** A real listening server, for keep-alive and raw-socket tests. */
  listen(): Promise<{ url: string; server: Server }>;
  close(): Promise<void>;
}

/** A real routing-controllers Express app with login controllers for each backend. */
export async function buildApp(
  options: Partial<AuthOptions<User>> & {
    dataSourceKind?: DataSourceKind;
    /** More controllers; a function is given the configured `Auth` (for controllers made from it, e.g. `auth.swaggerUi()`). */
    extraControllers?: Function[] | ((auth: Auth<User>) => Function[]);
    keepDataSource?: boolean;
  } = {},
): Promise<TestApp> {
  const dataSource = options.dataSource ?? makeDataSource(options.dataSourceKind);
  const auth = Auth.configure<User>({
    dataSource,
    userEntity: User,
    secret: SECRET,
    backends: options.backends ?? defaultBackends(),
    // Suites make many attempts from one address; the rate-limit suite turns limits on itself.
    rateLimits: false,
    ...options,
  });
  if (!dataSource.isInitialized) await dataSource.initialize();

  const controllers: Function[] = [];
  for (const backend of auth.backends) {
    @JsonController(`/auth/${backend.name}`)
    class BackendAuthController extends AuthController {
      constructor() {
        super(backend.name, auth);
      }
    }
    controllers.push(BackendAuthController);
  }

  @JsonController('/items')
  class ItemsController {
    @Authorized()
    @Get('/')
    list(@CurrentUser() user: User) {
      return { owner: user.email };
    }

    @Authorized(['items:write'])
    @Get('/admin')
    admin() {
      return { ok: true };
    }

    @Authorized(['items:write', 'items:read'])
    @Get('/both')
    both() {
      return { ok: true };
    }

    @Get('/whoami')
    whoami(@CurrentUser() user?: User) {
      return { email: user?.email ?? null };
    }

    @Authorized()
    @Post('/')
    @HttpCode(201)
    create(@CurrentUser() user: User) {
      return { created: true, by: user.email };
    }
  }
  const extra = typeof options.extraControllers === 'function' ? options.extraControllers(auth) : (options.extraControllers ?? []);
  controllers.push(ItemsController, ...extra);

  const { handler: app, setTrustProxy } = createServerApp(DRIVER, {
    controllers,
    middlewares: [AuthErrorHandler],
    authorizationChecker: auth.authorizationChecker,
    currentUserChecker: auth.currentUserChecker,
  });

  const servers: Server[] = [];
  return {
    app,
    driver: DRIVER,
    setTrustProxy,
    auth,
    dataSource,
    async listen() {
      const server = createServer(app);
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
    },
    async close() {
      for (const s of servers) {
        s.closeAllConnections();
        await new Promise((resolve) => s.close(resolve));
      }
      if (dataSource.isInitialized && !options.keepDataSource) await dataSource.destroy();
    },
  };
}

export async function createUser(auth: Auth<User>, fields: Partial<User> & { email: string; password?: string }) {
  return auth.userManager.create({ password: PASSWORD, ...fields }, { safe: false });
}
