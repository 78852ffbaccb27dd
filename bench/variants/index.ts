import type { VariantDescriptor } from '../variant';

/** The reference rows every other row is compared with. */
export const BARE = 'bare';
export const HANDWRITTEN = 'handwritten-jwt';
/** (a′): two routes that differ by microseconds; the spread of its ratio to (a) is the run's noise. */
export const FLOOR = 'checkers-only';

/**
 * Every variant, in table order. The references: (a) no auth at all, (a′) routing-controllers'
 * own cost for the decorators (the floor of any checker) and (b) the best hand-written checker
 * (DESIGN.md, "Performance facts"). Targets: the "Performance" issue's, as ratios within one run.
 */
export const VARIANTS: VariantDescriptor[] = [
  { id: BARE, label: '(a) routing-controllers, no auth', module: 'bare' },
  { id: FLOOR, label: '(a′) @Authorized + @CurrentUser, checkers check nothing', module: 'checkers-only' },
  { id: HANDWRITTEN, label: '(b) hand-written checker (jsonwebtoken + KeyObject)', module: 'handwritten-jwt' },
  {
    id: 'jwt',
    label: '(c) library: Bearer + JwtStrategy',
    module: 'library-jwt',
    target: { of: BARE, ratio: 0.9 },
    memoryTarget: { of: BARE, extraMB: 25 },
  },
  { id: 'db-sqlite', label: '(d) library: Bearer + DatabaseStrategy, SQLite', module: 'library-db-sqlite', target: { of: BARE, ratio: 0.85 } },
  // With refresh on, the access-token route must not get slower (a session token vs a plain one).
  {
    id: 'db-sqlite-refresh',
    label: '(d′) library: (d) with refresh tokens on',
    module: 'library-db-sqlite-refresh',
    target: { of: 'db-sqlite', ratio: 0.95 },
  },
  // An API key must cost no more than a database token on the same file (the target).
  {
    id: 'api-key-sqlite',
    label: '(h) library: ApiKeyTransport + ApiKeyStrategy, SQLite',
    module: 'library-api-key-sqlite',
    target: { of: 'db-sqlite', ratio: 0.95 },
  },
  {
    id: 'db-postgres',
    label: '(e) library: Bearer + DatabaseStrategy, PostgreSQL',
    module: 'library-db-postgres',
    skipReason: () => (process.env.TEST_DATABASE_URL ? undefined : 'TEST_DATABASE_URL is not set'),
    target: { of: 'jwt', ratio: 0.8 },
  },
  {
    id: 'redis',
    label: '(f) library: Bearer + RedisStrategy',
    module: 'library-redis',
    skipReason: () => (process.env.TEST_REDIS_URL ? undefined : 'TEST_REDIS_URL is not set'),
    target: { of: BARE, ratio: 0.8 },
  },
  {
    id: 'redis-refresh',
    label: '(f′) library: (f) with refresh tokens on',
    module: 'library-redis-refresh',
    skipReason: () => (process.env.TEST_REDIS_URL ? undefined : 'TEST_REDIS_URL is not set'),
    target: { of: 'redis', ratio: 0.95 },
  },
];

/**
 * Not a row of the GET table: the library with its login route, measured by bench/login-storm.ts
 * (GET /items latency at a fixed rate, with and without a storm of logins).
 */
export const LOGIN_STORM: VariantDescriptor = {
  id: 'login-storm',
  label: '(g) library: Bearer + JwtStrategy with login routes, SQLite',
  module: 'library-login-storm',
};
