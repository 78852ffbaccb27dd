import { expect } from 'chai';
import fc from 'fast-check';
import http from 'http';
import request from 'supertest';
import { DataSource, type Logger } from 'typeorm';
import {
  AccessToken,
  Argon2PasswordHasher,
  AuthenticationBackend,
  BearerTransport,
  JwtRevocation,
  JwtStrategy,
  MAX_PASSWORD_LENGTH,
  type PasswordHasher,
  type TokenGrant,
} from '../../src';
import { MAX_BODY_BYTES } from '../../src/http/body';
import { MAX_TOKEN_LENGTH } from '../../src/strategies/strategy';
import { RESET_AUDIENCE, VERIFY_AUDIENCE } from '../../src/users/user-tokens';
import { buildApp, createUser, defaultBackends, PASSWORD, SECRET, User, type TestApp } from '../support/app';
import { asyncPropertyOf, createWorld, PROPERTIES, PropertyStats, sanityProblems, type FuzzWorld } from '../support/fuzz-cases';
import { userControllers } from '../support/user-routes';

// The module object jsonwebtoken's callers use (`import jwt from 'jsonwebtoken'` compiles to a
// property lookup on it at call time), so wrapping its functions here counts every parse.

const jsonwebtoken = require('jsonwebtoken') as typeof import('jsonwebtoken');

/**
 * A short, seeded run of every fuzz property (docs/fuzz.md) against a real listening app.
 * `npm run fuzz` runs the same properties for 100,000 cases.
 *
 * FUZZ_SEED reproduces a run (the seed is printed); FUZZ_RUNS changes the cases per property.
 */
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20261122;
const RUNS = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : 100;

describe(`fuzz (fast-check, seed ${SEED}, ${RUNS} cases per property)`, function () {
  this.timeout(120_000);
  let world: FuzzWorld;
  const totals: { name: string; stats: PropertyStats }[] = [];

  before(async () => {
    world = await createWorld();
    console.log(`      fuzz seed ${SEED} (reproduce with FUZZ_SEED=${SEED})`);
  });
  after(async () => {
    for (const { name, stats } of totals) console.log(`      ${name.padEnd(14)} ${String(stats.cases).padStart(4)} cases  ${stats.histogram()}`);
    await world?.close();
  });

  PROPERTIES.forEach((property, index) => {
    it(`${property.name}: ${property.description}`, async () => {
      const stats = new PropertyStats();
      totals.push({ name: property.name, stats });
      // One seed per property (derived from SEED), so each reproduces on its own.
      await fc.assert(asyncPropertyOf(world, property, stats), { seed: SEED + index, numRuns: RUNS });
      expect(stats.cases).to.be.at.least(RUNS);
      // Not vacuous: the app answered with more than one kind of status.
      expect(stats.statuses.size, stats.histogram()).to.be.greaterThan(1);
    });
  });

  it('genuine credentials got through during the run (the oracles are not vacuous)', () => {
    const accepted = totals.filter((t) => ['authorization', 'cookie'].includes(t.name)).reduce((n, t) => n + (t.stats.statuses.get(200) ?? 0), 0);
    expect(accepted).to.be.greaterThan(0);
    const loggedIn = totals.find((t) => t.name === 'login-body')!.stats;
    expect((loggedIn.statuses.get(200) ?? 0) + (loggedIn.statuses.get(204) ?? 0)).to.be.greaterThan(0);
  });

  it('the process is still up and still authenticates afterwards', async () => {
    expect(await sanityProblems(world)).to.deep.equal([]);
  });
});

/** The classic JWT bug: reads the claims without checking the signature. */
class SignatureBlindJwtStrategy extends JwtStrategy {
  override async read(token: string): ReturnType<JwtStrategy['read']> {
    const payload = jsonwebtoken.decode(token) as { sub?: unknown; scope?: unknown } | null;
    if (!payload || typeof payload.sub !== 'string') return super.read(token);
    const grant: TokenGrant = { userId: payload.sub, scopes: typeof payload.scope === 'string' ? payload.scope.split(' ') : [] };
    return grant;
  }
}

describe('fuzz (control): the properties catch a broken library', function () {
  this.timeout(60_000);
  let world: FuzzWorld;
  before(async () => {
    const [, ...others] = defaultBackends();
    const blind = new AuthenticationBackend({
      name: 'jwt',
      transport: new BearerTransport({ tokenUrl: '/auth/jwt/login' }),
      strategy: new SignatureBlindJwtStrategy({ secret: SECRET, lifetimeSeconds: 3600 }),
    });
    world = await createWorld({ backends: [blind, ...others] });
  });
  after(() => world?.close());

  it('a JWT strategy that skips the signature check fails the jwt property with FORGERY ACCEPTED', async () => {
    const jwtProperty = PROPERTIES.find((p) => p.name === 'jwt')!;
    const details = await fc.check(asyncPropertyOf(world, jwtProperty, new PropertyStats()), { seed: SEED, numRuns: RUNS });
    expect(details.failed).to.equal(true);
    expect(String((details.errorInstance as Error)?.message)).to.contain('FORGERY ACCEPTED');
  });
});

/** Counts every call into the real argon2id hasher, with the password's length. */
class CountingHasher implements PasswordHasher {
  private readonly inner = new Argon2PasswordHasher();
  readonly calls: { op: 'hash' | 'verify' | 'burn'; length: number }[] = [];
  hash(password: string) {
    this.calls.push({ op: 'hash', length: password.length });
    return this.inner.hash(password);
  }
  verify(password: string, hashed: string) {
    this.calls.push({ op: 'verify', length: password.length });
    return this.inner.verify(password, hashed);
  }
  burn(password: string) {
    this.calls.push({ op: 'burn', length: password.length });
    return this.inner.burn(password);
  }
}

/** Counts the SQL statements TypeORM runs (the strategies' lookups included). */
class CountingLogger implements Logger {
  readonly queries: string[] = [];
  logQuery(query: string) {
    this.queries.push(query);
  }
  logQueryError() {}
  logQuerySlow() {}
  logSchemaBuild() {}
  logMigration() {}
  log() {}
}

/** Counts jsonwebtoken's parses (verify and decode) while `work` runs. */
async function countingJwtParses<T>(work: () => Promise<T>): Promise<{ result: T; parses: number }> {
  const { verify, decode } = jsonwebtoken;
  let parses = 0;
  (jsonwebtoken as any).verify = (...args: unknown[]) => (parses++, (verify as any)(...args));
  (jsonwebtoken as any).decode = (...args: unknown[]) => (parses++, (decode as any)(...args));
  try {
    return { result: await work(), parses };
  } finally {
    (jsonwebtoken as any).verify = verify;
    (jsonwebtoken as any).decode = decode;
  }
}

/** A JWT signed with the app's secret, padded with a junk claim to exactly `length` characters. */
function signedJwtOfLength(length: number, claims: Record<string, unknown>, options: import('jsonwebtoken').SignOptions): string {
  const make = (pad: number) => jsonwebtoken.sign({ ...claims, pad: 'x'.repeat(pad) }, SECRET, { algorithm: 'HS256', ...options });
  // Every extra byte of payload adds 1 or 2 base64url characters: walk up to the exact length.
  let pad = Math.max(0, Math.floor(((length - make(0).length) * 3) / 4) - 4);
  while (make(pad).length < length) pad++;
  const token = make(pad);
  if (token.length !== length) throw new Error(`no token of exactly ${length} characters (got ${token.length})`);
  return token;
}

/** Sends `body` with `Transfer-Encoding: chunked` (no Content-Length), as a streaming client would. */
function sendChunked(url: string, method: string, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${path}`, { method, headers: { ...headers, 'transfer-encoding': 'chunked' }, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    // The server may answer (and stop reading) long before the last chunk: a write error after that is expected.
    req.on('error', (error) => (req.writableEnded ? undefined : reject(error)));
    const chunk = 64 * 1024;
    for (let i = 0; i < body.length; i += chunk) req.write(body.slice(i, i + chunk));
    req.end();
  });
}

describe('limits: bodies, tokens and passwords are capped before any expensive work', function () {
  this.timeout(60_000);
  let t: TestApp;
  let url: string;
  let hasher: CountingHasher;
  let logger: CountingLogger;
  let user: User;
  let accessToken: string;
  let resetToken: string;
  const MB = 1024 * 1024;
  /** Login's cap, in UTF-16 units (1024 code points take at most 2048): src/controllers/dto.ts. */
  const LOGIN_CAP = MAX_PASSWORD_LENGTH * 2;
  const email = 'limits@example.com';

  before(async () => {
    hasher = new CountingHasher();
    logger = new CountingLogger();
    const dataSource = new DataSource({
      type: 'better-sqlite3',
      database: ':memory:',
      entities: [User, AccessToken, JwtRevocation],
      synchronize: true,
      logger,
    });
    t = await buildApp({ dataSource, passwordHasher: hasher, rateLimits: false, extraControllers: userControllers });
    user = await createUser(t.auth, { email });
    accessToken = await t.auth.createToken(user, { backend: 'jwt' });
    resetToken = (await t.auth.userManager.forgotPassword(user))!;
    ({ url } = await t.listen());
    // The request path reads through better-sqlite3 statements of its own (not TypeORM's logger):
    // count those too, by wrapping the Statement prototype's readers.
    const statementProto = Object.getPrototypeOf((dataSource.driver as any).databaseConnection.prepare('SELECT 1'));
    for (const method of ['get', 'all'] as const) {
      const original = statementProto[method];
      restoreStatement.push(() => (statementProto[method] = original));
      statementProto[method] = function (this: { source: string }, ...args: unknown[]) {
        logger.queries.push(this.source);
        return original.apply(this, args);
      };
    }
  });
  const restoreStatement: (() => void)[] = [];
  beforeEach(() => {
    hasher.calls.length = 0;
    logger.queries.length = 0;
  });
  after(async () => {
    for (const restore of restoreStatement) restore();
    await t?.close();
  });

  /** Every route that reads a password, with a body carrying `password`. */
  const passwordRoutes = (password: string) => [
    { method: 'post', path: '/auth/jwt/login', type: 'application/json', body: JSON.stringify({ username: email, password }) },
    {
      method: 'post',
      path: '/auth/cookie/login',
      type: 'application/x-www-form-urlencoded',
      body: new URLSearchParams({ username: email, password }).toString(),
    },
    { method: 'post', path: '/auth/register', type: 'application/json', body: JSON.stringify({ email: 'new.limits@example.com', password }) },
    { method: 'post', path: '/auth/reset-password', type: 'application/json', body: JSON.stringify({ token: resetToken, password }) },
    { method: 'patch', path: '/users/me', type: 'application/json', body: JSON.stringify({ password }) },
  ];

  it('a 1 MB password never reaches argon2: 413 PAYLOAD_TOO_LARGE, with Content-Length or chunked', async () => {
    for (const route of passwordRoutes('p'.repeat(MB))) {
      const headers = { 'content-type': route.type, authorization: `Bearer ${accessToken}` };
      const declared = await (request(url) as any)[route.method](route.path).set(headers).send(route.body);
      expect(declared.status, `${route.path} (Content-Length)`).to.equal(413);
      expect(declared.body.code).to.equal('PAYLOAD_TOO_LARGE');
      const chunked = await sendChunked(url, route.method.toUpperCase(), route.path, headers, route.body);
      expect(chunked.status, `${route.path} (chunked)`).to.equal(413);
      expect(chunked.body.code).to.equal('PAYLOAD_TOO_LARGE');
    }
    expect(hasher.calls).to.deep.equal([]);
  });

  it('a password over the cap in a small body is refused before hashing, on every route', async () => {
    const overLogin = 'q'.repeat(LOGIN_CAP + 1);
    const overPolicy = 'q'.repeat(MAX_PASSWORD_LENGTH + 1); // the policy counts code points
    const expected: Record<string, [number, string]> = {
      '/auth/jwt/login': [400, 'VALIDATION_ERROR'],
      '/auth/cookie/login': [400, 'VALIDATION_ERROR'],
      '/auth/register': [400, 'REGISTER_INVALID_PASSWORD'],
      '/auth/reset-password': [400, 'RESET_PASSWORD_INVALID_PASSWORD'],
      // Without its currentPassword the change is refused first, still before any hashing.
      '/users/me': [400, 'CURRENT_PASSWORD_INVALID'],
    };
    for (const route of passwordRoutes(overPolicy).map((r, i) => (i < 2 ? passwordRoutes(overLogin)[i] : r))) {
      const agent = request(t.app) as any;
      const res = await agent[route.method](route.path)
        .set({ 'content-type': route.type, authorization: `Bearer ${accessToken}` })
        .send(route.body);
      expect([res.status, res.body.code], route.path).to.deep.equal(expected[route.path]);
    }
    expect(hasher.calls).to.deep.equal([]);
  });

  it('(control) passwords at the caps do reach the hasher, so the counts above mean something', async () => {
    const res = await request(t.app)
      .post('/auth/jwt/login')
      .type('form')
      .send({ username: email, password: 'q'.repeat(LOGIN_CAP) });
    expect(res.body.code).to.equal('LOGIN_BAD_CREDENTIALS');
    expect(hasher.calls).to.deep.equal([{ op: 'verify', length: LOGIN_CAP }]);
    hasher.calls.length = 0;
    const atPolicy = 'Zq7!'.repeat(MAX_PASSWORD_LENGTH / 4); // not common, unrelated to the email
    const created = await request(t.app).post('/auth/register').send({ email: 'at.cap@example.com', password: atPolicy });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    expect(hasher.calls).to.deep.equal([{ op: 'hash', length: MAX_PASSWORD_LENGTH }]);
  });

  it(`a 12 KB JWT, validly signed, is refused (401) before jsonwebtoken parses it; ${MAX_TOKEN_LENGTH} characters is the exact cap`, async () => {
    const claims = { sub: user.id, aud: 'routing-controllers-auth:auth', scope: '' };
    const options = { header: { alg: 'HS256', typ: 'at+jwt' }, expiresIn: 600 } as const;
    const atCap = signedJwtOfLength(MAX_TOKEN_LENGTH, claims, options);
    const overCap = signedJwtOfLength(MAX_TOKEN_LENGTH + 1, claims, options);
    const huge = signedJwtOfLength(12 * 1024, claims, options);

    const accepted = await countingJwtParses(() => request(t.app).get('/items').set('Authorization', `Bearer ${atCap}`));
    expect(accepted.result.status).to.equal(200);
    expect(accepted.parses).to.be.greaterThan(0);
    for (const token of [overCap, huge]) {
      const refused = await countingJwtParses(() => request(t.app).get('/items').set('Authorization', `Bearer ${token}`));
      expect(refused.result.status, `${token.length} characters`).to.equal(401);
      expect(refused.result.headers['www-authenticate']).to.equal('Bearer error="invalid_token"');
      expect(refused.parses, `${token.length} characters`).to.equal(0);
    }

    // The strategy itself: genuine below the cap, null above it.
    const strategy = t.auth.getBackend('jwt').strategy as JwtStrategy;
    expect(strategy.verify(atCap)?.userId).to.equal(user.id);
    expect(strategy.verify(huge)).to.equal(null);
  });

  it('a 12 KB opaque token, as a bearer token or a cookie, is refused (401) without a database lookup', async () => {
    const huge = 'A'.repeat(12 * 1024);
    expect((await request(t.app).get('/items').set('Authorization', `Bearer ${huge}`)).status).to.equal(401);
    expect((await request(t.app).get('/items').set('Cookie', `rcauth=${huge}`)).status).to.equal(401);
    expect(logger.queries).to.deep.equal([]);
    // (control) a well-formed unknown token is looked up, so the count above means something
    expect(
      (
        await request(t.app)
          .get('/items')
          .set('Authorization', `Bearer ${'A'.repeat(43)}`)
      ).status,
    ).to.equal(401);
    expect(logger.queries.length).to.be.greaterThan(0);
  });

  it('a 12 KB verify or reset token is refused by validation (400), before jsonwebtoken parses it', async () => {
    const verifyToken = signedJwtOfLength(12 * 1024, { sub: user.id, email }, { audience: VERIFY_AUDIENCE, expiresIn: 600 });
    const bigReset = signedJwtOfLength(12 * 1024, { sub: user.id }, { audience: RESET_AUDIENCE, expiresIn: 600 });
    const verify = await countingJwtParses(() => request(t.app).post('/auth/verify').send({ token: verifyToken }));
    expect([verify.result.status, verify.result.body.code, verify.parses]).to.deep.equal([400, 'VALIDATION_ERROR', 0]);
    const reset = await countingJwtParses(() => request(t.app).post('/auth/reset-password').send({ token: bigReset, password: PASSWORD }));
    expect([reset.result.status, reset.result.body.code, reset.parses]).to.deep.equal([400, 'VALIDATION_ERROR', 0]);
    // (control) a short bad token is parsed, and refused with the route's own code
    const short = await countingJwtParses(() =>
      request(t.app)
        .post('/auth/verify')
        .send({ token: `${resetToken}x` }),
    );
    expect([short.result.status, short.result.body.code]).to.deep.equal([400, 'VERIFY_USER_BAD_TOKEN']);
    expect(short.parses).to.be.greaterThan(0);
  });

  it(`every body route answers 413 past ${MAX_BODY_BYTES} bytes (declared or chunked) and reads a body at the limit`, async () => {
    const routes = [
      '/auth/jwt/login',
      '/auth/db/login',
      '/auth/cookie/login',
      '/auth/register',
      '/auth/verify',
      '/auth/reset-password',
      '/auth/forgot-password',
      '/auth/request-verify-token',
    ];
    // {"x":"…"} of exactly `size` bytes: an unknown field, so a body that is read fails validation.
    const bodyOf = (size: number) => JSON.stringify({ x: 'y'.repeat(size - 8) });
    for (const path of routes) {
      const over = await request(t.app)
        .post(path)
        .set('content-type', 'application/json')
        .send(bodyOf(MAX_BODY_BYTES + 1));
      expect([over.status, over.body.code], path).to.deep.equal([413, 'PAYLOAD_TOO_LARGE']);
      const chunked = await sendChunked(url, 'POST', path, { 'content-type': 'application/json' }, bodyOf(MAX_BODY_BYTES + 1));
      expect([chunked.status, chunked.body.code], `${path} (chunked)`).to.deep.equal([413, 'PAYLOAD_TOO_LARGE']);
      const at = await request(t.app).post(path).set('content-type', 'application/json').send(bodyOf(MAX_BODY_BYTES));
      expect([at.status, at.body.code], `${path} at the limit`).to.deep.equal([400, 'VALIDATION_ERROR']);
    }
    expect(hasher.calls).to.deep.equal([]);
  });
});
