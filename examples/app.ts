/**
 * The DESIGN.md quick start, runnable: `npm run example`, then open http://localhost:3000/.
 *
 * Environment: `PORT` (default 3000), `HOST` (default 127.0.0.1), `AUTH_SECRET` (≥ 32 random bytes;
 * a random development secret is generated when unset), `SQLITE_PATH` (default
 * examples/app.sqlite), `OIDC_DEMO=1` (a local OpenID provider and a "Sign in with a local
 * provider" button; `OIDC_DEMO_PORT`, default a free port). See docs/example.md.
 */
import 'reflect-metadata';
import { randomBytes } from 'crypto';
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { createExpressServer, HttpError, useContainer } from 'routing-controllers';
import { Container } from 'typedi';
import { DataSource } from 'typeorm';
import {
  Auth,
  AuthenticationBackend,
  AuthErrorHandler,
  BearerTransport,
  CookieTransport,
  AccessToken,
  AuthSession,
  DatabaseStrategy,
  OAuthAccount,
  Passkey,
  RecoveryCode,
  TwoFactorSecret,
  RefreshToken,
  JwtStrategy,
  RedisStrategy,
  RedisWebAuthnChallengeStore,
} from '../src';
import { createClient } from 'redis';
import { apiControllers, EXAMPLE_SCOPES, exampleControllers } from './controllers';
import { docsController } from './docs';
import { DEFAULT_EXAMPLE_DATABASE, exampleDataSourceOptions } from './data-source';
import { consoleMailer, MAILER, type Mailer } from './mailer';
import { startDemoProvider } from './oidc-demo';
import { PAGE_OPTIONS } from './page';
import { User } from './user';
import { ExampleUserManager } from './user-manager';

/** A 303 to the login page, for HTML requests without a session (`onUnauthenticated`). */
class RedirectToLogin extends HttpError {
  constructor() {
    super(303, 'Sign in first: /');
    Object.defineProperty(this, 'stack', { value: undefined }); // never rendered into the page
  }
}

/** The seeded account printed at start. Demo only: a real app never ships a known password. */
export const DEMO_USER = { email: 'demo@example.com', password: 'swordfish-lantern-42', scopes: ['items:write'] } as const;

export interface ExampleOptions {
  /** Default 3000; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1: the example turns off `Secure` cookies, so it stays on loopback. */
  host?: string;
  /** SQLite file (or `:memory:`). Default examples/app.sqlite. Ignored when `databaseUrl` is given. */
  database?: string;
  /** A PostgreSQL URL (env `DATABASE_URL`): users and database tokens live there instead of SQLite. */
  databaseUrl?: string;
  /** A Redis URL (env `REDIS_URL`): the cookie backend keeps its tokens in Redis instead of the database. */
  redisUrl?: string;
  /** ≥ 32 random bytes. Default: generated at start, with a warning (tokens die with the process). */
  secret?: string;
  /** Where verify / reset "emails" go. Default: the console. */
  mailer?: Mailer;
  /** Startup lines. Default console.log. */
  log?: (line: string) => void;
  /** Runs a local OpenID provider on loopback for "Sign in with a local provider" (env `OIDC_DEMO=1`). */
  oidcDemo?: boolean;
  /** The local provider's port. Default 0: a free one. */
  oidcDemoPort?: number;
}

export interface RunningExample {
  /** e.g. http://localhost:3000 */
  url: string;
  server: Server;
  app: any;
  auth: Auth<User>;
  dataSource: DataSource;
  close(): Promise<void>;
}

/**
 * Starts the example: runs the migrations, seeds the demo user, serves the API and the page.
 * One example per process: `Auth.configure` registers itself in typedi's global Container.
 */
export async function startExample(options: ExampleOptions = {}): Promise<RunningExample> {
  const log = options.log ?? ((line: string) => console.log(line));
  let secret = options.secret;
  if (!secret) {
    secret = randomBytes(32).toString('base64url');
    log('WARNING: AUTH_SECRET is not set; using a random secret generated at start (development only: JWTs and verify/reset tokens die with this process).');
  }

  // PostgreSQL when DATABASE_URL is set (its schema comes from `synchronize`: the committed
  // migration is SQLite's), SQLite otherwise.
  const dataSource = options.databaseUrl
    ? new DataSource({
        type: 'postgres',
        url: options.databaseUrl,
        entities: [User, AccessToken, AuthSession, RefreshToken, OAuthAccount, TwoFactorSecret, RecoveryCode, Passkey],
        synchronize: true,
      })
    : new DataSource({ ...exampleDataSourceOptions(options.database ?? DEFAULT_EXAMPLE_DATABASE), migrationsRun: true });
  // Redis for the cookie backend's tokens when REDIS_URL is set, the database otherwise.
  const redis = options.redisUrl ? createClient({ url: options.redisUrl, disableOfflineQueue: true }) : undefined;
  if (redis) await redis.connect();

  // Listening first: the passkeys' origin is this server's own (http://localhost:<port>, a secure
  // context for browsers), known only once the port is.
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://localhost:${port}`;

  try {
    Container.set(MAILER, options.mailer ?? consoleMailer);
    const auth = Auth.configure<User>({
      dataSource,
      userEntity: User,
      userManager: ExampleUserManager,
      secret, // signs reset / verify tokens
      scopes: EXAMPLE_SCOPES, // shown in the OpenAPI document, offered by Swagger UI's "Authorize"
      // Second factors: "Set up 2FA" on the page enrols TOTP (a passkey is one too); from then on a
      // login finishes at POST /auth/2fa/verify.
      twoFactor: { issuer: 'routing-controllers-auth example' },
      // Browsers asking for a page are sent to the login page; JSON clients keep the 401.
      onUnauthenticated: (action) => {
        if (!String(action.request.headers.accept ?? '').includes('text/html')) return undefined;
        action.response.setHeader('Location', '/?next=/account');
        return new RedirectToLogin();
      },
      // "Add a passkey" and "Sign in with a passkey" on the page (PasskeyController at /auth/passkeys).
      // The RP ID is the host name the page is opened under: open it at http://localhost:<port>.
      passkeys: {
        rpID: 'localhost',
        rpName: 'routing-controllers-auth example',
        origins: [url],
        // Several instances share their challenges through Redis; one keeps them in memory.
        challengeStore: redis ? new RedisWebAuthnChallengeStore({ redis }) : undefined,
      },
      backends: [
        new AuthenticationBackend({
          name: 'jwt',
          transport: new BearerTransport({ tokenUrl: '/auth/jwt/login' }),
          // Short-lived access tokens (a plain JWT cannot be revoked before `exp`) renewed through
          // refresh tokens (`POST /auth/jwt/refresh`), which can: each login is a session.
          strategy: new JwtStrategy({ secret, lifetimeSeconds: 300 }),
          refresh: { lifetimeSeconds: 30 * 24 * 3600 },
        }),
        new AuthenticationBackend({
          name: 'cookie',
          // cookieSecure: false ONLY because this demo is served over plain http://localhost:
          // a Secure cookie is kept over plain http only for localhost / 127.0.0.1, nowhere else.
          // Keep the default (Secure) in any deployed app: it is served over HTTPS.
          transport: new CookieTransport({ cookieMaxAge: 3600, cookieSecure: false }),
          strategy: redis ? new RedisStrategy({ redis: redis, lifetimeSeconds: 3600 }) : new DatabaseStrategy({ lifetimeSeconds: 3600 }),
          // The page's sessions: listed and ended at /auth/sessions; refreshed by the page's button.
          // cookiePath: where POST /auth/cookie/refresh is, also for the refresh cookie a social login sets.
          refresh: { lifetimeSeconds: 30 * 24 * 3600, reuseIntervalSeconds: 10, cookiePath: '/auth/cookie/refresh' },
        }),
      ],
    });
    log(
      `Storage: users in ${options.databaseUrl ? 'PostgreSQL' : 'SQLite'}, cookie-backend tokens in ${redis ? 'Redis' : options.databaseUrl ? 'PostgreSQL' : 'SQLite'}.`,
    );

    await dataSource.initialize(); // migrationsRun: creates / upgrades the schema
    await seedDemoUser(auth);

    const demoProvider = options.oidcDemo ? await startDemoProvider(options.oidcDemoPort ?? 0, options.host ?? '127.0.0.1') : undefined;
    Container.set(PAGE_OPTIONS, { socialLogin: Boolean(demoProvider) });

    useContainer(Container, { fallbackOnErrors: true }); // typedi 0.10 throws for unregistered controllers otherwise
    // GET /openapi.json, shown by Swagger UI at GET /docs. Built once: the routes do not change.
    const documented = demoProvider ? [...apiControllers, demoProvider.controller] : apiControllers;
    const docs = docsController(auth, documented, `Log in with "Authorize" (the jwt backend): ${DEMO_USER.email} / the password printed at start.`);
    const app = createExpressServer({
      controllers: [...(demoProvider ? [...exampleControllers, demoProvider.controller] : exampleControllers), docs],
      // Listed explicitly because this app lists its middlewares; with no `middlewares` option
      // (the quick start) routing-controllers registers every @Middleware class, this one included.
      middlewares: [AuthErrorHandler],
      authorizationChecker: auth.authorizationChecker,
      currentUserChecker: auth.currentUserChecker,
    });

    server.on('request', app);
    log(`routing-controllers-auth example: ${url}/ (API docs: ${url}/docs)`);
    log(`Demo user: ${DEMO_USER.email} / ${DEMO_USER.password} (scopes: ${DEMO_USER.scopes.join(' ')})`);
    log(`Try: curl -s ${url}/auth/jwt/login -d username=${DEMO_USER.email} -d password=${DEMO_USER.password}`);
    if (demoProvider) {
      demoProvider.serve(url);
      log(`Local OpenID provider (OIDC_DEMO): ${demoProvider.issuer} — press "Sign in with a local provider" and type any name.`);
    }

    return {
      url,
      server,
      app,
      auth,
      dataSource,
      async close() {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await demoProvider?.close();
        if (dataSource.isInitialized) await dataSource.destroy();
        redis?.destroy();
      },
    };
  } catch (error) {
    // Nothing left listening (or connected) when the example cannot start.
    server.close();
    if (dataSource.isInitialized) await dataSource.destroy();
    redis?.destroy();
    throw error;
  }
}

/** Creates the demo user, or restores its password and scopes if someone changed them. */
async function seedDemoUser(auth: Auth<User>): Promise<void> {
  const fields = { password: DEMO_USER.password, scopes: [...DEMO_USER.scopes], isActive: true, isVerified: true };
  const existing = await auth.userManager.getByEmail(DEMO_USER.email);
  if (!existing) {
    await auth.userManager.create({ email: DEMO_USER.email, ...fields }, { safe: false }); // safe: false sets scopes etc.
    return;
  }
  const intact =
    existing.isActive &&
    DEMO_USER.scopes.every((s) => existing.scopes.includes(s)) &&
    (await auth.userManager.authenticate(DEMO_USER.email, DEMO_USER.password));
  if (!intact) await auth.userManager.update(existing, fields, { safe: false });
}

async function main(): Promise<void> {
  const port = process.env.PORT ? Number(process.env.PORT) : 3000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not "${process.env.PORT}".`);
  const example = await startExample({
    port,
    host: process.env.HOST || undefined,
    database: process.env.SQLITE_PATH || undefined,
    databaseUrl: process.env.DATABASE_URL || undefined,
    redisUrl: process.env.REDIS_URL || undefined,
    secret: process.env.AUTH_SECRET || undefined,
    oidcDemo: process.env.OIDC_DEMO === '1',
    oidcDemoPort: process.env.OIDC_DEMO_PORT ? Number(process.env.OIDC_DEMO_PORT) : undefined,
  });
  const stop = () => {
    example.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((error: Error) => {
    // Configuration errors (e.g. a short AUTH_SECRET) are for a human: the message, no stack.
    console.error(`The example could not start: ${error.message}`);
    process.exit(1);
  });
}
