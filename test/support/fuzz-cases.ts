/**
 * The fuzz suite: arbitraries (fast-check) for hostile Authorization headers, cookies, JWTs and
 * request bodies, the oracles that judge each answer, and the properties that tie them together.
 * Shared by `test/package/fuzz.test.ts` (a short seeded run in `npm test`) and `bench/fuzz.ts`
 * (`npm run fuzz`, 100,000 cases). See docs/fuzz.md.
 *
 * Every case is a real HTTP request to a real app (`buildApp`: the jwt / db / cookie backends,
 * the user controllers, in-memory SQLite) listening on 127.0.0.1. Arbitraries generate
 * *descriptions* ("the valid JWT with these three mutations"), rendered against the live world
 * at run time, so counterexamples stay readable and state that changes (a reset token that was
 * used) is always current.
 */
import { createHmac, generateKeyPairSync, sign as signWith, type KeyObject } from 'crypto';
import fc from 'fast-check';
import http from 'http';
import type { AddressInfo } from 'net';
import { DEFAULT_JWT_AUDIENCE, type AuthenticationBackend, type PasswordHasher } from '../../src';
import { MAX_TOKEN_LENGTH } from '../../src/strategies/strategy';
import { RESET_AUDIENCE, VERIFY_AUDIENCE } from '../../src/users/user-tokens';
import { buildApp, createUser, PASSWORD, SECRET, User, type TestApp } from './app';
import { userControllers } from './user-routes';

// =============================================================================================
// The world: one app, its users and their genuine credentials
// =============================================================================================

export interface FuzzWorld {
  t: TestApp;
  port: number;
  /** The app's own origin, as a browser on it would send in `Origin`. */
  origin: string;
  agent: http.Agent;
  /** Active, scopes `items:read items:write`, password `PASSWORD`: the account the credentials belong to. */
  user: User;
  /** Inactive, password `PASSWORD`: never authenticated, whatever it presents. */
  inactive: User;
  /** Active, unverified: `verifyToken` is for it. Its password never changes. */
  verifyTarget: User;
  /** Active: `resetToken` is for it (re-minted after each successful reset). */
  resetTarget: User;
  /** Active, no scopes: `PATCH /users/me` is fuzzed with `patchToken`. */
  patchTarget: User;
  patchToken: string;
  /** A JWT from `POST /auth/jwt/login` (scopes `items:read items:write`). */
  jwt: string;
  /** From `POST /auth/db/login` with `scope=items:read`. */
  dbToken: string;
  /** From `POST /auth/cookie/login` (both scopes). */
  cookieToken: string;
  /** Every genuine opaque token and the scopes it was granted. */
  opaque: Map<string, string[]>;
  verifyToken: string;
  resetToken: string;
  /** An attacker's RSA key, for RS256 tokens carrying their own `jwk`. */
  attacker: { privateKey: KeyObject; jwk: Record<string, unknown> };
  close(): Promise<void>;
}

export interface WorldOptions {
  /**
   * The fuzz worlds hash with cheap argon2id parameters by default: the suite judges how inputs
   * are handled, not the cost of a hash, and 100,000 cases must finish in minutes. Pass the
   * library's default hasher to fuzz with production parameters.
   */
  passwordHasher?: PasswordHasher;
  /** Default: the test app's jwt / db / cookie backends (a control swaps in a broken strategy). */
  backends?: AuthenticationBackend[];
}

export async function createWorld(options: WorldOptions = {}): Promise<FuzzWorld> {
  const { Argon2PasswordHasher } = await import('../../src');
  const t = await buildApp({
    extraControllers: userControllers,
    // The fuzz judges what happens *behind* the rate limiter: with it on, almost every request
    // from 127.0.0.1 would be a 429 after the first few dozen. (It is exercised by its own suite.)
    rateLimits: false,
    ...(options.backends ? { backends: options.backends } : {}),
    passwordHasher: options.passwordHasher ?? new Argon2PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }),
  });
  const { url, server } = await t.listen();
  const port = (server.address() as AddressInfo).port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  const user = await createUser(t.auth, { email: 'fuzz.user@example.com', scopes: ['items:read', 'items:write'] });
  const inactive = await createUser(t.auth, { email: 'fuzz.inactive@example.com', isActive: false });
  const verifyTarget = await createUser(t.auth, { email: 'fuzz.verify@example.com' });
  const resetTarget = await createUser(t.auth, { email: 'fuzz.reset@example.com' });
  const patchTarget = await createUser(t.auth, { email: 'fuzz.patch@example.com' });

  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const world: FuzzWorld = {
    t,
    port,
    origin: url,
    agent,
    user,
    inactive,
    verifyTarget,
    resetTarget,
    patchTarget,
    patchToken: await t.auth.createToken(patchTarget, { backend: 'jwt' }),
    jwt: '',
    dbToken: '',
    cookieToken: '',
    opaque: new Map(),
    verifyToken: (await t.auth.userManager.requestVerify(verifyTarget))!,
    resetToken: (await t.auth.userManager.forgotPassword(resetTarget))!,
    attacker: { privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid: 'attacker' } },
    async close() {
      agent.destroy();
      await t.close();
    },
  };

  const form = (fields: Record<string, string>) => ({ 'content-type': 'application/x-www-form-urlencoded', body: new URLSearchParams(fields).toString() });
  const login = async (backend: string, scope?: string) => {
    const { body, ...headers } = form({ username: user.email, password: PASSWORD, ...(scope ? { scope } : {}) });
    const res = await send(world, { method: 'POST', path: `/auth/${backend}/login`, headers, body });
    if (res.status !== 200 && res.status !== 204) throw new Error(`fuzz world: login to ${backend} answered ${res.status} ${res.text}`);
    return res;
  };
  world.jwt = JSON.parse((await login('jwt')).text).access_token;
  world.dbToken = JSON.parse((await login('db', 'items:read')).text).access_token;
  const setCookie = ((await login('cookie')).headers['set-cookie'] ?? []).find((c) => c.startsWith('rcauth='));
  world.cookieToken = setCookie!.slice('rcauth='.length).split(';')[0];
  world.opaque.set(world.dbToken, ['items:read']);
  world.opaque.set(world.cookieToken, ['items:read', 'items:write']);
  return world;
}

// =============================================================================================
// HTTP
// =============================================================================================

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

export interface FuzzResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** How long an answer may take before the case counts as a hang. */
export const ANSWER_TIMEOUT_MS = 10_000;

/**
 * Sends one request over the world's keep-alive agent. A connection the server closed between
 * two requests (a keep-alive race, not an answer) is retried once on a fresh connection; a
 * second failure, or no answer within `ANSWER_TIMEOUT_MS`, is a finding.
 */
export async function send(world: FuzzWorld, request: FuzzRequest, stats?: PropertyStats): Promise<FuzzResponse> {
  try {
    return await sendOnce(world, request, world.agent);
  } catch (error: any) {
    if (!['ECONNRESET', 'EPIPE'].includes(error?.code) && !/socket hang up/.test(error?.message)) throw error;
    if (stats) stats.retries++;
    return sendOnce(world, request, false);
  }
}

function sendOnce(world: FuzzWorld, request: FuzzRequest, agent: http.Agent | false): Promise<FuzzResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...request.headers };
    if (request.body !== undefined) headers['content-length'] = Buffer.byteLength(request.body);
    const outgoing = http.request({ host: '127.0.0.1', port: world.port, method: request.method, path: request.path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    const timer = setTimeout(() => outgoing.destroy(new Error(`no answer within ${ANSWER_TIMEOUT_MS} ms (a hang)`)), ANSWER_TIMEOUT_MS);
    outgoing.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    outgoing.end(request.body);
  });
}

// =============================================================================================
// Oracles
// =============================================================================================

/** A stack frame (`at fn (/path/file.js:1:2)`), a serialised `stack`, or a module path. */
const STACK_TRACE = /\n\s+at \S|\bat [^\s()]+ \((?:\/|node:|file:)|node_modules|"stack"\s*:/;

/**
 * What every answer must satisfy: no 5xx (503 included: every store is up), every 4xx a JSON
 * `{code, message}`, no stack trace, no HTML error page, never the word `hashedPassword`.
 */
export function hygieneProblems(res: FuzzResponse): string[] {
  const problems: string[] = [];
  if (res.status >= 500 || res.status < 100) problems.push(`status ${res.status}`);
  if (res.status >= 400) {
    if (!/^application\/json\b/i.test(String(res.headers['content-type'] ?? ''))) problems.push(`${res.status} is not JSON (${res.headers['content-type']})`);
    let body: any;
    try {
      body = JSON.parse(res.text);
    } catch {
      problems.push(`${res.status} body does not parse as JSON`);
    }
    if (body !== undefined && (typeof body?.code !== 'string' || typeof body?.message !== 'string'))
      problems.push(`${res.status} body lacks a string code/message`);
  }
  if (res.text.includes('hashedPassword')) problems.push('body contains "hashedPassword"');
  if (res.text.includes('$argon2')) problems.push('body contains a password hash');
  if (STACK_TRACE.test(res.text)) problems.push('body contains a stack trace');
  if (/<!DOCTYPE|<html|<pre>/i.test(res.text)) problems.push('body is an HTML error page');
  return problems;
}

function decodeJsonSegment(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * True when `token`'s signature is HMAC-SHA256 under `SECRET` of its first two segments *as
 * sent* — i.e. only the holder of the secret could have made it.
 *
 * The signature is compared as **decoded bytes**, not as text: a base64url string whose length
 * is not a multiple of 4 ends in a character with unused low bits (43 characters carry 258 bits
 * for a 256-bit HMAC, so the last character has 2 spare bits and 4 characters decode alike).
 * Such a variant is the same signature re-encoded, not a forgery, so the oracle permits (but
 * does not require) its acceptance. jsonwebtoken compares HMAC signatures as text and refuses
 * it; an RS/ES verifier decodes and would accept it. The header and payload are signed as text,
 * so any change to them is a different message.
 */
export function isAuthentic(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]*$/.test(parts[2])) return false;
  const expected = createHmac('sha256', SECRET).update(`${parts[0]}.${parts[1]}`).digest();
  return Buffer.from(parts[2], 'base64url').equals(expected);
}

/** What a genuine credential may be accepted as: whose it is and the scopes it carries. */
export interface Grant {
  email: string;
  scopes: string[];
}

/**
 * What a JWT may be accepted as, or null when it must be refused. Necessary conditions only
 * (the library may refuse more, never accept more): authentic under `SECRET`, at most
 * `MAX_TOKEN_LENGTH` characters, header `alg: HS256` (pinned) and an access-token `typ`, a JSON
 * object payload whose `sub` is an *active* user (the fuzz user or the verify target: a token we
 * signed for them is theirs), the access-token audience, a numeric `exp` still in the future when
 * the request was sent, a numeric `nbf` (if any) already past when the answer came, and a string
 * `scope` (if any).
 */
export function acceptableJwt(world: FuzzWorld, token: string, sentAtMs: number, answeredAtMs: number): Grant | null {
  if (token.length > MAX_TOKEN_LENGTH || !isAuthentic(token)) return null;
  const [h, p] = token.split('.');
  const header = decodeJsonSegment(h);
  const payload = decodeJsonSegment(p);
  if (!isPlainObject(header) || !isPlainObject(payload)) return null;
  if (header.alg !== 'HS256') return null;
  if (typeof header.typ !== 'string' || !['at+jwt', 'application/at+jwt'].includes(header.typ.toLowerCase())) return null;
  const owner = [world.user, world.verifyTarget].find((u) => u.id === payload.sub);
  if (!owner) return null;
  const aud = payload.aud;
  if (!(aud === DEFAULT_JWT_AUDIENCE || (Array.isArray(aud) && aud.includes(DEFAULT_JWT_AUDIENCE)))) return null;
  // jsonwebtoken: expired when floor(now) >= exp; not yet valid when nbf > floor(now).
  if (typeof payload.exp !== 'number' || !(payload.exp > Math.floor(sentAtMs / 1000))) return null;
  if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || payload.nbf > Math.floor(answeredAtMs / 1000))) return null;
  if (payload.scope !== undefined && typeof payload.scope !== 'string') return null;
  return { email: owner.email, scopes: typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [] };
}

/** A user token (verify / reset) the library made for `userId` with `audience`; text-exact segments. */
export function isGenuineUserToken(token: unknown, audience: string, userId: string): boolean {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !isAuthentic(token)) return false;
  const payload = decodeJsonSegment(token.split('.')[1]);
  if (!isPlainObject(payload) || payload.sub !== userId) return false;
  return payload.aud === audience || (Array.isArray(payload.aud) && payload.aud.includes(audience));
}

export interface CredentialVerdict {
  /** What the bearer token may be accepted as, or null. */
  bearer: Grant | null;
  /** Whether that bearer token is a JWT (else an opaque token). */
  bearerIsJwt: boolean;
  /** What the `rcauth` cookie may be accepted as, or null. */
  cookie: Grant | null;
}

/**
 * Which credentials in these headers are genuine. Deliberately more permissive than the
 * library's parsers (any `bearer` case, any blank run; every `rcauth` pair, quoted or
 * percent-encoded; `;` or `,` separators), so an acceptance it does not explain is a real
 * forgery, not a parsing difference.
 */
export function judgeCredentials(world: FuzzWorld, headers: Record<string, string>, sentAtMs: number, answeredAtMs: number): CredentialVerdict {
  const opaque = (token: string): Grant | null => {
    const scopes = world.opaque.get(token);
    return scopes ? { email: world.user.email, scopes } : null;
  };
  let bearer: Grant | null = null;
  let bearerIsJwt = false;
  const authorization = headers.authorization?.replace(/^[ \t]+|[ \t]+$/g, '');
  const match = authorization === undefined ? null : /^bearer[ \t]+([^ \t]+)$/i.exec(authorization);
  if (match) {
    bearer = acceptableJwt(world, match[1], sentAtMs, answeredAtMs);
    bearerIsJwt = bearer !== null;
    bearer ??= opaque(match[1]);
  }

  let cookie: Grant | null = null;
  for (const pair of (headers.cookie ?? '').split(/[;,]/)) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== 'rcauth') continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    for (const candidate of [value, safeDecode(value)]) cookie ??= opaque(candidate);
  }
  return { bearer, bearerIsJwt, cookie };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function originOf(value: string): string | undefined {
  try {
    const origin = new URL(value).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/** DESIGN.md's CSRF rule for a cookie-authenticated unsafe request: may it pass? */
export function passesCsrfRule(world: FuzzWorld, headers: Record<string, string>): boolean {
  const trim = (v: string | undefined) => v?.replace(/^[ \t]+|[ \t]+$/g, '');
  const site = trim(headers['sec-fetch-site']);
  if (site !== undefined && site.toLowerCase() === 'cross-site') return false;
  const claimed = trim(headers.origin) ?? trim(headers.referer);
  if (claimed === undefined) return true;
  return originOf(claimed) === world.origin;
}

// =============================================================================================
// Statistics and violations
// =============================================================================================

export class PropertyStats {
  cases = 0;
  requests = 0;
  retries = 0;
  readonly statuses = new Map<number, number>();
  readonly failures: string[] = [];

  record(status: number): void {
    this.requests++;
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
  }

  histogram(): string {
    return [...this.statuses.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, count]) => `${status}:${count}`)
      .join(' ');
  }
}

const clip = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text);

/** Thrown by a property: says what was sent, what came back and which rule it broke. */
export class FuzzViolation extends Error {
  constructor(problems: string[], request: FuzzRequest, res?: FuzzResponse) {
    const body =
      request.body === undefined ? '' : `\n  body: ${clip(JSON.stringify(Buffer.isBuffer(request.body) ? request.body.toString('latin1') : request.body))}`;
    const answer = res ? `\n  answer: ${res.status} ${clip(res.text)}` : '';
    super(`${problems.join('; ')}\n  request: ${request.method} ${request.path} ${clip(JSON.stringify(request.headers), 600)}${body}${answer}`);
    this.name = 'FuzzViolation';
  }
}

// =============================================================================================
// Arbitraries: characters, strings, mutations
// =============================================================================================

/**
 * Inputs that once found a bug (docs/fuzz.md, "Findings": deep nesting, lone surrogates). Both are
 * fixed, so they are part of every run; FUZZ_KNOWN_FINDINGS=0 leaves them out again.
 */
export const KNOWN_FINDINGS = process.env.FUZZ_KNOWN_FINDINGS !== '0';

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const b64urlChar = fc.constantFrom(...B64URL);
/** Characters outside base64url that tokens meet in the wild (or in attacks). */
const oddChar = fc.constantFrom('.', '=', '+', '/', ' ', '%', '\t', '"', ';', ',', '\\', '~', '*', '!', '\u00e9', '\u00ff');
/** What an HTTP header value may carry (Node refuses the rest on both sides): tab, visible ASCII, obs-text. */
const headerChar = fc.oneof(
  { weight: 20, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  { weight: 2, arbitrary: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.constant('\t') },
);
const headerText = (maxLength: number) => fc.string({ unit: headerChar, maxLength, size: 'large' });
/** A long run of one character, cheaply: lengths around the caps are what matter, not content. */
const longRun = (min: number, max: number) =>
  fc.tuple(fc.integer({ min, max }), fc.constantFrom('a', 'A', '0', '.', '-', '\u00e9')).map(([n, c]) => c.repeat(n));

export type MutationOp = 'replace' | 'insert' | 'delete' | 'swap' | 'truncate' | 'duplicate' | 'flipCase' | 'lastChar';
export interface Mutation {
  op: MutationOp;
  at: number;
  ch: string;
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom<MutationOp>('replace', 'insert', 'delete', 'swap', 'truncate', 'duplicate', 'flipCase', 'lastChar'),
  at: fc.nat({ max: 1_000_000 }),
  ch: fc.oneof({ weight: 4, arbitrary: b64urlChar }, { weight: 1, arbitrary: oddChar }),
});
const mutationsArb = fc.array(mutationArb, { minLength: 1, maxLength: 3 });

/** One single-character edit (or a cut) of `text`; `at` is taken modulo the length. */
export function mutate(text: string, m: Mutation): string {
  if (text.length === 0) return m.op === 'insert' ? m.ch : text;
  const i = m.at % text.length;
  switch (m.op) {
    case 'replace':
      return text.slice(0, i) + m.ch + text.slice(i + 1);
    case 'insert':
      return text.slice(0, i) + m.ch + text.slice(i);
    case 'delete':
      return text.slice(0, i) + text.slice(i + 1);
    case 'swap':
      return i + 1 < text.length ? text.slice(0, i) + text[i + 1] + text[i] + text.slice(i + 2) : text;
    case 'truncate':
      return text.slice(0, i);
    case 'duplicate':
      return text + text.slice(i);
    case 'flipCase': {
      const c = text[i];
      return text.slice(0, i) + (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) + text.slice(i + 1);
    }
    case 'lastChar': {
      // The last character of a segment: where base64url keeps its unused bits.
      const segments = text.split('.');
      const s = m.at % segments.length;
      if (segments[s].length === 0) return text;
      segments[s] = segments[s].slice(0, -1) + m.ch;
      return segments.join('.');
    }
  }
}

// =============================================================================================
// Arbitraries: JWTs built by hand, every part wrong on purpose
// =============================================================================================

/** How one claim is written: as issued, absent, a value, a time relative to now, raw JSON text. */
export type Claim =
  { k: 'good' } | { k: 'absent' } | { k: 'value'; v: unknown } | { k: 'rel'; s: number } | { k: 'raw'; t: string } | { k: 'ref'; name: SubRef };

type SubRef = 'inactive' | 'verifyTarget' | 'upper' | 'padded' | 'nul' | 'array' | 'object';

export type Signer =
  | { k: 'secret' }
  | { k: 'secret-hs384' }
  | { k: 'secret-hs512' }
  | { k: 'secret-variant'; m: Mutation }
  | { k: 'key'; key: string }
  | { k: 'none' }
  | { k: 'rsa' }
  | { k: 'bytes'; bytes: number[] };

export type SigOp =
  { k: 'keep' } | { k: 'truncate'; n: number } | { k: 'flip'; at: number; bit: number } | { k: 'append'; bytes: number[] } | { k: 'lastChar'; ch: string };

export type Encoding = { k: 'b64url' } | { k: 'b64' } | { k: 'padded' } | { k: 'inject'; segment: number; at: number; ch: string };
export type Shape = 'three' | 'two' | 'four' | 'trailing-dot' | 'leading-dot' | 'empty-payload' | 'swapped';

export interface JwtSpec {
  header: { k: 'object'; alg: Claim; typ: Claim; extras: [string, unknown][] } | { k: 'raw'; text: string };
  claims: { sub: Claim; aud: Claim; exp: Claim; iat: Claim; nbf: Claim; scope: Claim; jti: Claim; extras: [string, unknown][] };
  signer: Signer;
  sigOp: SigOp;
  encoding: Encoding;
  shape: Shape;
  /** Pad the payload until the token is about this long. */
  length: number | null;
}

/** Values of the wrong type, at the edges of number parsing, or shaped like other claims. */
const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    0,
    -1,
    1,
    0.5,
    -0.5,
    1e308,
    -1e308,
    2 ** 53 + 2,
    -(2 ** 31),
    'NaN',
    'Infinity',
    '-1',
    '1e309',
    '',
    ' ',
    '0x10',
    'null',
    [],
    {},
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 20 }),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
);
/** JSON text JSON.stringify would never write, or numbers past double range. */
const rawJson = fc.constantFrom(
  'NaN',
  '1e400',
  '-1e400',
  '-0',
  '1E+2',
  '01',
  '1.',
  '.5',
  'Infinity',
  '"\\ud800"',
  '"\\u0000"',
  '0.0000001',
  '9007199254740993',
);

const claimOf = (...alternatives: fc.Arbitrary<Claim>[]): fc.Arbitrary<Claim> =>
  fc.oneof(
    // Mostly as issued: a token then carries one or two faults, which is where bugs hide.
    { weight: 40, arbitrary: fc.constant<Claim>({ k: 'good' }) },
    { weight: 1, arbitrary: fc.constant<Claim>({ k: 'absent' }) },
    { weight: 2, arbitrary: weirdValue.map<Claim>((v) => ({ k: 'value', v })) },
    { weight: 1, arbitrary: rawJson.map<Claim>((t) => ({ k: 'raw', t })) },
    ...alternatives.map((arbitrary) => ({ weight: 3, arbitrary })),
  );
const valueClaim = (...values: unknown[]) => fc.constantFrom(...values).map<Claim>((v) => ({ k: 'value', v }));
const relClaim = fc
  .oneof(
    fc.constantFrom(-1e9, -86400, -3600, -61, -1, 0, 1, 2, 61, 3600, 1e9, 1e11, 1e13),
    fc.integer({ min: -100000, max: 100000 }),
    fc.double({ min: -5, max: 5, noNaN: true }),
  )
  .map<Claim>((s) => ({ k: 'rel', s }));

const audiences = [
  [DEFAULT_JWT_AUDIENCE],
  [DEFAULT_JWT_AUDIENCE, 'x'],
  ['x', DEFAULT_JWT_AUDIENCE],
  ['x'],
  RESET_AUDIENCE,
  VERIFY_AUDIENCE,
  DEFAULT_JWT_AUDIENCE.toUpperCase(),
  `${DEFAULT_JWT_AUDIENCE} `,
  'routing-controllers-auth',
];
const scopes = [
  '',
  'items:read',
  'items:write',
  'items:write superuser',
  'superuser',
  '  items:write  ',
  'items:write\titems:read',
  ['items:write'],
  'items:write '.repeat(300),
];

const headerExtra: fc.Arbitrary<[string, unknown]> = fc.oneof(
  fc.tuple(
    fc.constant('kid'),
    fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom<unknown>('../../../../dev/null', "' OR '1'='1", 0, null, [], { kid: 1 })),
  ),
  fc.tuple(fc.constantFrom('jku', 'x5u'), fc.constantFrom<unknown>('http://127.0.0.1:9/jwks.json', 'https://attacker.example/keys', '', 1)),
  fc.tuple(fc.constant('jwk'), fc.constantFrom<unknown>('attacker', {}, { kty: 'oct', k: 'AAAA' }, 'x')),
  fc.tuple(fc.constant('x5c'), fc.constantFrom<unknown>(['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'], [], 'x')),
  fc.tuple(fc.constantFrom('cty', 'zip', 'b64', 'enc', '__proto__', 'constructor'), weirdValue),
);

const rawHeaders = fc.oneof(
  fc.constantFrom(
    '',
    '{}',
    'null',
    '[]',
    '"HS256"',
    '1',
    '{',
    '{"alg":"HS256","typ":"at+jwt"',
    '{"alg":"none","alg":"HS256","typ":"at+jwt"}',
    '{"alg":"HS256","alg":"none","typ":"at+jwt"}',
    '{"alg":"HS256","typ":"at+jwt","__proto__":{"alg":"none"}}',
    '\ufeff{"alg":"HS256","typ":"at+jwt"}',
    ' {"alg":"HS256","typ":"at+jwt"} ',
    '{"alg":"HS256","typ":"at+jwt","alg":"HS256"}',
  ),
  fc.string({ maxLength: 40 }),
);

const signerArb: fc.Arbitrary<Signer> = fc.oneof(
  { weight: 30, arbitrary: fc.constant<Signer>({ k: 'secret' }) },
  { weight: 1, arbitrary: fc.constant<Signer>({ k: 'secret-hs384' }) },
  { weight: 1, arbitrary: fc.constant<Signer>({ k: 'secret-hs512' }) },
  { weight: 2, arbitrary: mutationArb.map<Signer>((m) => ({ k: 'secret-variant', m })) },
  { weight: 2, arbitrary: fc.string({ maxLength: 64 }).map<Signer>((key) => ({ k: 'key', key })) },
  { weight: 2, arbitrary: fc.constant<Signer>({ k: 'none' }) },
  { weight: 1, arbitrary: fc.constant<Signer>({ k: 'rsa' }) },
  { weight: 1, arbitrary: fc.array(fc.nat({ max: 255 }), { maxLength: 64 }).map<Signer>((bytes) => ({ k: 'bytes', bytes })) },
);

const sigOpArb: fc.Arbitrary<SigOp> = fc.oneof(
  { weight: 30, arbitrary: fc.constant<SigOp>({ k: 'keep' }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 32 }).map<SigOp>((n) => ({ k: 'truncate', n })) },
  { weight: 2, arbitrary: fc.record({ at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }).map<SigOp>(({ at, bit }) => ({ k: 'flip', at, bit })) },
  { weight: 1, arbitrary: fc.array(fc.nat({ max: 255 }), { minLength: 1, maxLength: 4 }).map<SigOp>((bytes) => ({ k: 'append', bytes })) },
  { weight: 2, arbitrary: b64urlChar.map<SigOp>((ch) => ({ k: 'lastChar', ch })) },
);

const encodingArb: fc.Arbitrary<Encoding> = fc.oneof(
  { weight: 30, arbitrary: fc.constant<Encoding>({ k: 'b64url' }) },
  { weight: 1, arbitrary: fc.constant<Encoding>({ k: 'b64' }) },
  { weight: 1, arbitrary: fc.constant<Encoding>({ k: 'padded' }) },
  { weight: 2, arbitrary: fc.record({ segment: fc.nat({ max: 2 }), at: fc.nat(), ch: oddChar }).map<Encoding>((e) => ({ k: 'inject', ...e })) },
);

const shapeArb: fc.Arbitrary<Shape> = fc.oneof(
  { weight: 40, arbitrary: fc.constant<Shape>('three') },
  { weight: 1, arbitrary: fc.constantFrom<Shape>('two', 'four', 'trailing-dot', 'leading-dot', 'empty-payload', 'swapped') },
);

export const jwtSpecArb: fc.Arbitrary<JwtSpec> = fc.record({
  header: fc.oneof(
    {
      weight: 20,
      arbitrary: fc.record({
        k: fc.constant('object' as const),
        alg: claimOf(valueClaim('HS512', 'HS384', 'RS256', 'ES256', 'PS256', 'none', 'None', 'NONE', 'hs256', 'HS256 ', '', ['HS256'])),
        typ: claimOf(valueClaim('JWT', 'jwt', 'application/at+jwt', 'AT+JWT', 'at+JWT', 'application/jwt', 'at+jwt ')),
        extras: fc.array(headerExtra, { maxLength: 3 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('raw' as const), text: rawHeaders }) },
  ),
  claims: fc.record({
    sub: claimOf(
      fc.constantFrom<SubRef>('inactive', 'verifyTarget', 'upper', 'padded', 'nul', 'array', 'object').map<Claim>((name) => ({ k: 'ref', name })),
      fc.uuid().map<Claim>((v) => ({ k: 'value', v })),
    ),
    aud: claimOf(valueClaim(...audiences)),
    exp: claimOf(relClaim),
    iat: claimOf(relClaim),
    nbf: fc.oneof(
      { weight: 8, arbitrary: fc.constant<Claim>({ k: 'absent' }) },
      { weight: 1, arbitrary: relClaim },
      { weight: 1, arbitrary: weirdValue.map<Claim>((v) => ({ k: 'value', v })) },
    ),
    scope: claimOf(valueClaim(...scopes)),
    jti: claimOf(),
    extras: fc.array(fc.tuple(fc.constantFrom('iss', 'email', 'pwd', 'isSuperuser', 'scopes', 'scp', '__proto__', 'constructor', 'sub'), weirdValue), {
      maxLength: 2,
    }),
  }),
  signer: signerArb,
  sigOp: sigOpArb,
  encoding: encodingArb,
  shape: shapeArb,
  length: fc.oneof(
    { weight: 40, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constantFrom(1000, 4000, MAX_TOKEN_LENGTH, MAX_TOKEN_LENGTH + 1, 6000, 12_000) },
  ),
});

function claimText(world: FuzzWorld, claim: Claim, good: unknown, nowSeconds: number): string | undefined {
  switch (claim.k) {
    case 'good':
      return JSON.stringify(good);
    case 'absent':
      return undefined;
    case 'value':
      return JSON.stringify(claim.v) ?? 'null';
    case 'rel':
      return JSON.stringify(nowSeconds + claim.s);
    case 'raw':
      return claim.t;
    case 'ref': {
      const id = world.user.id;
      const values: Record<SubRef, unknown> = {
        inactive: world.inactive.id,
        verifyTarget: world.verifyTarget.id,
        upper: id.toUpperCase(),
        padded: ` ${id} `,
        nul: `${id}\u0000`,
        array: [id],
        object: { id },
      };
      return JSON.stringify(values[claim.name]);
    }
  }
}

/** `{...}` from key/JSON-text pairs: keeps duplicates and `__proto__` keys JSON.stringify would lose. */
function objectText(entries: [string, string | undefined][]): string {
  return `{${entries
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${JSON.stringify(k)}:${v}`)
    .join(',')}}`;
}

function encodeSegment(data: Buffer, encoding: Encoding): string {
  if (encoding.k === 'b64') return data.toString('base64');
  const text = data.toString('base64url');
  return encoding.k === 'padded' ? text + '='.repeat((4 - (text.length % 4)) % 4) : text;
}

function signatureOf(world: FuzzWorld, signer: Signer, input: string): Buffer {
  switch (signer.k) {
    case 'secret':
      return createHmac('sha256', SECRET).update(input).digest();
    case 'secret-hs384':
      return createHmac('sha384', SECRET).update(input).digest();
    case 'secret-hs512':
      return createHmac('sha512', SECRET).update(input).digest();
    case 'secret-variant':
      return createHmac('sha256', mutate(SECRET, signer.m)).update(input).digest();
    case 'key':
      return createHmac('sha256', signer.key).update(input).digest();
    case 'none':
      return Buffer.alloc(0);
    case 'rsa':
      return signWith('sha256', Buffer.from(input), world.attacker.privateKey);
    case 'bytes':
      return Buffer.from(signer.bytes);
  }
}

function applySigOp(signature: Buffer, op: SigOp): Buffer {
  switch (op.k) {
    case 'truncate':
      return signature.subarray(0, Math.max(0, signature.length - op.n));
    case 'flip': {
      if (signature.length === 0) return signature;
      const copy = Buffer.from(signature);
      copy[op.at % copy.length] ^= 1 << op.bit;
      return copy;
    }
    case 'append':
      return Buffer.concat([signature, Buffer.from(op.bytes)]);
    default:
      return signature;
  }
}

/** Renders a JWT description into the token text, signed over exactly the segments it sends. */
export function renderJwt(world: FuzzWorld, spec: JwtSpec, nowMs = Date.now()): string {
  const now = Math.floor(nowMs / 1000);
  let headerText: string;
  if (spec.header.k === 'raw') headerText = spec.header.text;
  else {
    const extras = spec.header.extras.map(([k, v]): [string, string] => [k, JSON.stringify(v === 'attacker' ? world.attacker.jwk : v) ?? 'null']);
    headerText = objectText([['alg', claimText(world, spec.header.alg, 'HS256', now)], ['typ', claimText(world, spec.header.typ, 'at+jwt', now)], ...extras]);
  }
  const c = spec.claims;
  const payloadEntries: [string, string | undefined][] = [
    ['sub', claimText(world, c.sub, world.user.id, now)],
    ['aud', claimText(world, c.aud, DEFAULT_JWT_AUDIENCE, now)],
    ['iat', claimText(world, c.iat, now, now)],
    ['exp', claimText(world, c.exp, now + 600, now)],
    ['nbf', claimText(world, c.nbf, now - 1, now)],
    ['scope', claimText(world, c.scope, 'items:read items:write', now)],
    ['jti', claimText(world, c.jti, 'fuzz-jti', now)],
    ...c.extras.map(([k, v]): [string, string] => [k, JSON.stringify(v) ?? 'null']),
  ];
  const build = (pad: number) => {
    const entries: [string, string | undefined][] = pad > 0 ? [...payloadEntries, ['pad', JSON.stringify('x'.repeat(pad))]] : payloadEntries;
    let h = encodeSegment(Buffer.from(headerText), spec.encoding);
    let p = encodeSegment(Buffer.from(objectText(entries)), spec.encoding);
    if (spec.shape === 'swapped') [h, p] = [p, h];
    if (spec.shape === 'empty-payload') p = '';
    const input = `${h}.${p}`;
    let s = encodeSegment(applySigOp(signatureOf(world, spec.signer, input), spec.sigOp), spec.encoding);
    if (spec.sigOp.k === 'lastChar' && s.length > 0) s = s.slice(0, -1) + spec.sigOp.ch;
    const segments = [h, p, s];
    if (spec.encoding.k === 'inject') {
      const i = spec.encoding.segment;
      segments[i] = mutate(segments[i], { op: 'insert', at: spec.encoding.at, ch: spec.encoding.ch });
    }
    switch (spec.shape) {
      case 'two':
        return `${segments[0]}.${segments[1]}`;
      case 'four':
        return `${segments.join('.')}.${segments[2]}`;
      case 'trailing-dot':
        return `${segments.join('.')}.`;
      case 'leading-dot':
        return `.${segments.join('.')}`;
      default:
        return segments.join('.');
    }
  };
  if (spec.length === null) return build(0);
  return build(padFor(build(0).length, spec.length, (pad) => build(pad).length));
}

/** The padding that brings a token closest to `target` characters (base64 grows 4 per 3 bytes). */
export function padFor(baseLength: number, target: number, lengthWith: (pad: number) => number): number {
  let pad = Math.max(0, Math.floor(((target - baseLength - 12) * 3) / 4));
  for (let step = 0; step < 8 && lengthWith(pad) < target; step++) pad += Math.max(1, Math.floor(((target - lengthWith(pad)) * 3) / 4));
  while (pad > 0 && lengthWith(pad) > target) pad--;
  return pad;
}

// =============================================================================================
// Arbitraries: Authorization headers, cookies, CSRF headers
// =============================================================================================

export type TokenSource = 'jwt' | 'db' | 'cookie' | 'verify' | 'reset';

export type TokenSpec =
  | { k: 'valid'; source: TokenSource }
  | { k: 'mutated'; source: TokenSource; mutations: Mutation[] }
  | { k: 'forged'; jwt: JwtSpec }
  | { k: 'random'; text: string };

function sourceToken(world: FuzzWorld, source: TokenSource): string {
  return { jwt: world.jwt, db: world.dbToken, cookie: world.cookieToken, verify: world.verifyToken, reset: world.resetToken }[source];
}

export function renderToken(world: FuzzWorld, spec: TokenSpec): string {
  switch (spec.k) {
    case 'valid':
      return sourceToken(world, spec.source);
    case 'mutated':
      return spec.mutations.reduce(mutate, sourceToken(world, spec.source));
    case 'forged':
      return renderJwt(world, spec.jwt);
    case 'random':
      return spec.text;
  }
}

const accessSource = fc.constantFrom<TokenSource>('jwt', 'db', 'cookie');
const anySource = fc.oneof({ weight: 4, arbitrary: accessSource }, { weight: 1, arbitrary: fc.constantFrom<TokenSource>('verify', 'reset') });

const randomTokenText = fc.oneof(
  { weight: 3, arbitrary: headerText(80) },
  { weight: 3, arbitrary: fc.string({ unit: b64urlChar, minLength: 43, maxLength: 43 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.string({ unit: b64urlChar, maxLength: 40 }), fc.string({ unit: b64urlChar, maxLength: 40 }), fc.string({ unit: b64urlChar, maxLength: 43 }))
      .map((p) => p.join('.')),
  },
  { weight: 1, arbitrary: longRun(MAX_TOKEN_LENGTH - 2, 13_000) },
);

export const tokenSpecArb: fc.Arbitrary<TokenSpec> = fc.oneof(
  { weight: 2, arbitrary: anySource.map<TokenSpec>((source) => ({ k: 'valid', source })) },
  { weight: 8, arbitrary: fc.record({ source: anySource, mutations: mutationsArb }).map<TokenSpec>((m) => ({ k: 'mutated', ...m })) },
  { weight: 4, arbitrary: jwtSpecArb.map<TokenSpec>((jwt) => ({ k: 'forged', jwt })) },
  { weight: 3, arbitrary: randomTokenText.map<TokenSpec>((text) => ({ k: 'random', text })) },
);

export type AuthHeaderSpec = { k: 'none' } | { k: 'raw'; text: string } | { k: 'bearer'; scheme: string; sep: string; token: TokenSpec; suffix: string };

/** `<scheme><sep><token><suffix>`; with `odd` false, always the canonical `Bearer <token>`. */
const bearerHeader = (token: fc.Arbitrary<TokenSpec>, odd = true): fc.Arbitrary<AuthHeaderSpec> => {
  const usually = (canonical: string, ...others: string[]) =>
    odd ? fc.oneof({ weight: 8, arbitrary: fc.constant(canonical) }, { weight: 1, arbitrary: fc.constantFrom(...others) }) : fc.constant(canonical);
  return fc.record({
    k: fc.constant('bearer' as const),
    scheme: usually('Bearer', 'bearer', 'BEARER', 'BeArEr', 'Basic', 'Token', 'JWT', '', 'Bearer:', 'Bearer,', 'Bearerr'),
    sep: usually(' ', '  ', '\t', '', ' \t ', '='),
    token,
    suffix: usually('', ' ', '\t', ' x', ',', ', Bearer junk', ' ' + 'A'.repeat(43)),
  });
};

export const authHeaderArb: fc.Arbitrary<AuthHeaderSpec> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<AuthHeaderSpec>({ k: 'none' }) },
  { weight: 2, arbitrary: headerText(120).map<AuthHeaderSpec>((text) => ({ k: 'raw', text })) },
  { weight: 10, arbitrary: bearerHeader(tokenSpecArb) },
);

function renderAuthHeader(world: FuzzWorld, spec: AuthHeaderSpec): string | undefined {
  if (spec.k === 'none') return undefined;
  if (spec.k === 'raw') return spec.text;
  return `${spec.scheme}${spec.sep}${renderToken(world, spec.token)}${spec.suffix}`;
}

export type CookieEncoding = 'plain' | 'quoted' | 'percent-some' | 'percent-all' | 'bad-percent' | 'padded';
export interface CookiePair {
  name: string;
  value: TokenSpec;
  encoding: CookieEncoding;
  at: number;
}
export type CookieSpec = { k: 'none' } | { k: 'raw'; text: string } | { k: 'pairs'; pairs: CookiePair[]; sep: string; trailing: string };

const cookieValue: fc.Arbitrary<TokenSpec> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<TokenSource>('cookie', 'db', 'jwt').map<TokenSpec>((source) => ({ k: 'valid', source })) },
  {
    weight: 8,
    arbitrary: fc
      .record({ source: fc.constantFrom<TokenSource>('cookie', 'db', 'jwt'), mutations: mutationsArb })
      .map<TokenSpec>((m) => ({ k: 'mutated', ...m })),
  },
  { weight: 3, arbitrary: randomTokenText.map<TokenSpec>((text) => ({ k: 'random', text })) },
);

const cookiePairArb: fc.Arbitrary<CookiePair> = fc.record({
  name: fc.oneof(
    { weight: 6, arbitrary: fc.constant('rcauth') },
    { weight: 2, arbitrary: fc.constantFrom('RCAUTH', 'rcauth ', ' rcauth', 'rcauth2', 'xrcauth', '__Host-rcauth', 'rc auth', 'other', '', '$rcauth') },
    { weight: 1, arbitrary: fc.string({ unit: b64urlChar, maxLength: 10 }) },
  ),
  value: cookieValue,
  encoding: fc.oneof(
    { weight: 8, arbitrary: fc.constant<CookieEncoding>('plain') },
    { weight: 1, arbitrary: fc.constantFrom<CookieEncoding>('quoted', 'percent-some', 'percent-all', 'bad-percent', 'padded') },
  ),
  at: fc.nat(),
});

export const cookieHeaderArb: fc.Arbitrary<CookieSpec> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<CookieSpec>({ k: 'none' }) },
  { weight: 2, arbitrary: headerText(120).map<CookieSpec>((text) => ({ k: 'raw', text })) },
  {
    weight: 10,
    arbitrary: fc.record({
      k: fc.constant('pairs' as const),
      pairs: fc.array(cookiePairArb, { minLength: 1, maxLength: 4 }),
      sep: fc.constantFrom('; ', ';', ', ', ' ; ', ';;'),
      trailing: fc.constantFrom('', ';', '; ', '='),
    }),
  },
);

const percent = (c: string) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0');

function renderCookieValue(value: string, encoding: CookieEncoding, at: number): string {
  switch (encoding) {
    case 'plain':
      return value;
    case 'quoted':
      return `"${value}"`;
    case 'percent-some': {
      if (value.length === 0) return value;
      const i = at % value.length;
      return value.slice(0, i) + percent(value[i]) + value.slice(i + 1);
    }
    case 'percent-all':
      return [...value].map((c) => (c.charCodeAt(0) < 0x80 ? percent(c) : c)).join('');
    case 'bad-percent':
      return value.slice(0, at % (value.length + 1)) + ['%', '%zz', '%E0%A4%A', '%00'][at % 4] + value.slice(at % (value.length + 1));
    case 'padded':
      return ` ${value} `;
  }
}

function renderCookieHeader(world: FuzzWorld, spec: CookieSpec): string | undefined {
  if (spec.k === 'none') return undefined;
  if (spec.k === 'raw') return spec.text;
  return spec.pairs.map((p) => `${p.name}=${renderCookieValue(renderToken(world, p.value), p.encoding, p.at)}`).join(spec.sep) + spec.trailing;
}

type OriginChoice = 'own' | 'own-slash' | 'own-path' | 'own-upper' | 'no-port' | 'localhost' | 'evil' | 'null' | 'empty' | 'file' | { raw: string };
export interface CsrfSpec {
  origin: OriginChoice | null;
  referer: OriginChoice | null;
  site: string | null;
}

const originChoice: fc.Arbitrary<OriginChoice | null> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(null) },
  { weight: 4, arbitrary: fc.constantFrom<OriginChoice>('own', 'own-slash', 'own-path', 'own-upper', 'no-port', 'localhost', 'evil', 'null', 'empty', 'file') },
  { weight: 1, arbitrary: headerText(40).map<OriginChoice>((raw) => ({ raw })) },
);
export const csrfArb: fc.Arbitrary<CsrfSpec> = fc.record({
  origin: originChoice,
  referer: originChoice,
  site: fc.oneof(
    { weight: 6, arbitrary: fc.constant(null) },
    { weight: 3, arbitrary: fc.constantFrom('same-origin', 'same-site', 'cross-site', 'none', 'CROSS-SITE', ' cross-site', 'cross-site, same-origin', '') },
  ),
});

function renderOrigin(world: FuzzWorld, choice: OriginChoice): string {
  if (typeof choice === 'object') return choice.raw;
  const own = world.origin;
  return {
    own,
    'own-slash': `${own}/`,
    'own-path': `${own}/some/page?x=1`,
    'own-upper': own.replace('http://', 'HTTP://'),
    'no-port': 'http://127.0.0.1',
    localhost: own.replace('127.0.0.1', 'localhost'),
    evil: 'https://evil.example',
    null: 'null',
    empty: '',
    file: 'file:///etc/passwd',
  }[choice];
}

// =============================================================================================
// Property: credentials on protected routes
// =============================================================================================

export type AuthRoute =
  | 'GET /items'
  | 'GET /users/me'
  | 'GET /items/admin'
  | 'GET /items/whoami'
  | 'GET /users/:id'
  | 'POST /items'
  | 'POST /auth/jwt/logout'
  | 'POST /auth/db/logout'
  | 'POST /auth/cookie/logout';

export interface AuthCase {
  route: AuthRoute;
  authorization: AuthHeaderSpec;
  cookie: CookieSpec;
  csrf: CsrfSpec;
}

const authRoutes = fc.constantFrom<AuthRoute>(
  'GET /items',
  'GET /users/me',
  'GET /items/admin',
  'GET /items/whoami',
  'GET /users/:id',
  'POST /items',
  'POST /auth/jwt/logout',
  'POST /auth/db/logout',
  'POST /auth/cookie/logout',
);
const noCookie = fc.constant<CookieSpec>({ k: 'none' });
const noAuthorization = fc.constant<AuthHeaderSpec>({ k: 'none' });

/**
 * Node refuses a request whose header block exceeds 16 KB with a bare 431 before any app code
 * runs; the fuzz is about what the app does, so the two big headers share a budget below that.
 */
const HEADER_BUDGET = 15_000;

function renderAuthCase(world: FuzzWorld, c: AuthCase): FuzzRequest {
  const headers: Record<string, string> = {};
  const authorization = renderAuthHeader(world, c.authorization)?.slice(0, HEADER_BUDGET);
  if (authorization !== undefined) headers.authorization = authorization;
  const cookie = renderCookieHeader(world, c.cookie)?.slice(0, HEADER_BUDGET - (authorization?.length ?? 0));
  if (cookie !== undefined) headers.cookie = cookie;
  if (c.csrf.origin !== null) headers.origin = renderOrigin(world, c.csrf.origin);
  if (c.csrf.referer !== null) headers.referer = renderOrigin(world, c.csrf.referer);
  if (c.csrf.site !== null) headers['sec-fetch-site'] = c.csrf.site;
  let route = c.route;
  // A genuine credential must not log out: it would destroy the world's tokens mid-run.
  const genuine = judgeCredentials(world, headers, Date.now(), Date.now());
  if ((route === 'POST /auth/db/logout' || route === 'POST /auth/cookie/logout') && (genuine.bearer || genuine.cookie)) route = 'GET /items';
  const [method, path] = route.split(' ');
  return { method, path: path === '/users/:id' ? `/users/${world.user.id}` : path, headers };
}

/** True for a request whose only credential is one genuine token, written as a client would. */
function canonical(world: FuzzWorld, headers: Record<string, string>): 'bearer' | 'cookie' | null {
  const tokens = [world.jwt, world.dbToken, world.cookieToken];
  if (headers.cookie === undefined && tokens.some((t) => headers.authorization === `Bearer ${t}`)) return 'bearer';
  if (headers.authorization === undefined && [world.dbToken, world.cookieToken].some((t) => headers.cookie === `rcauth=${t}`)) return 'cookie';
  return null;
}

export async function checkAuthCase(world: FuzzWorld, c: AuthCase, stats: PropertyStats): Promise<void> {
  stats.cases++;
  const request = renderAuthCase(world, c);
  const sentAt = Date.now();
  const res = await send(world, request, stats);
  const answeredAt = Date.now();
  stats.record(res.status);
  const problems = hygieneProblems(res);
  const { bearer, bearerIsJwt, cookie } = judgeCredentials(world, request.headers, sentAt, answeredAt);
  const genuine = bearer ?? cookie;
  const body = parseJson(res.text);
  const route = `${request.method} ${request.path.replace(world.user.id, ':id')}`;
  const success = res.status >= 200 && res.status < 300;
  const hasScope = (scope: string) => Boolean(bearer?.scopes.includes(scope) || cookie?.scopes.includes(scope));
  // Whose the answer may be: the owner of a genuine credential in the request.
  const owners = new Set([bearer?.email, cookie?.email].filter((e) => e !== undefined));
  const control = canonical(world, request.headers);
  // Cookie-authenticated unsafe requests obey the CSRF rule (a genuine bearer token wins first).
  const csrfOk = bearer !== null || passesCsrfRule(world, request.headers);

  if (success && !genuine && route !== 'GET /items/whoami') problems.push(`FORGERY ACCEPTED: ${res.status} without a genuine credential`);
  switch (route) {
    case 'GET /items':
      if (success && !owners.has(body?.owner)) problems.push(`answered as ${JSON.stringify(body?.owner)}`);
      if (control && res.status !== 200) problems.push(`a genuine ${control} credential got ${res.status}`);
      break;
    case 'GET /users/me':
      if (success && !owners.has(body?.email)) problems.push(`answered as ${JSON.stringify(body?.email)}`);
      if (control && res.status !== 200) problems.push(`a genuine ${control} credential got ${res.status}`);
      break;
    case 'GET /items/admin':
      if (success && !hasScope('items:write')) problems.push('SCOPE ESCALATION: 200 without items:write');
      if (control && res.status !== (hasScope('items:write') ? 200 : 403)) problems.push(`a genuine ${control} credential got ${res.status}`);
      break;
    case 'GET /items/whoami':
      if (res.status !== 200 && res.status !== 401) problems.push(`optional-auth route answered ${res.status}`);
      if (body?.email != null && !owners.has(body.email)) problems.push(`FORGERY ACCEPTED: whoami says ${JSON.stringify(body.email)}`);
      if (control && body?.email !== world.user.email) problems.push(`a genuine ${control} credential was not recognised`);
      break;
    case 'GET /users/:id':
      if (success) problems.push('PRIVILEGE ESCALATION: a non-superuser read /users/:id');
      break;
    case 'POST /items':
      if (success && !csrfOk) problems.push('CSRF: a cookie-authenticated cross-origin POST succeeded');
      if (success && !owners.has(body?.by)) problems.push(`created as ${JSON.stringify(body?.by)}`);
      if (control === 'bearer' && res.status !== 201) problems.push(`a genuine bearer credential got ${res.status}`);
      if (control === 'cookie' && res.status !== (csrfOk ? 201 : 403))
        problems.push(`a genuine cookie got ${res.status} (the CSRF rule says ${csrfOk ? 201 : 403})`);
      break;
    case 'POST /auth/jwt/logout':
      if (success && !bearerIsJwt) problems.push('logout of the jwt backend without a genuine JWT');
      break;
    default: // db / cookie logout: only forged credentials reach here (see renderAuthCase)
      if (success) problems.push(`FORGERY ACCEPTED: logout answered ${res.status}`);
  }
  if (problems.length > 0) throw new FuzzViolation(problems, request, res);
}

function parseJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Random and mutated `Authorization` headers (and now and then a cookie) on protected routes. */
export const authorizationCases: fc.Arbitrary<AuthCase> = fc.record({
  route: authRoutes,
  authorization: authHeaderArb,
  cookie: fc.oneof({ weight: 5, arbitrary: noCookie }, { weight: 1, arbitrary: cookieHeaderArb }),
  csrf: csrfArb,
});

/** Hand-built JWTs: headers, claims, signatures, encodings, lengths. */
export const jwtCases: fc.Arbitrary<AuthCase> = fc.record({
  route: fc.constantFrom<AuthRoute>('GET /items', 'GET /items/admin', 'GET /users/me', 'GET /users/:id', 'POST /auth/jwt/logout'),
  authorization: bearerHeader(
    jwtSpecArb.map<TokenSpec>((jwt) => ({ k: 'forged', jwt })),
    false,
  ),
  cookie: noCookie,
  csrf: fc.constant<CsrfSpec>({ origin: null, referer: null, site: null }),
});

/** Cookie headers: mutated opaque tokens, duplicates, odd encodings; with CSRF headers on POSTs. */
export const cookieCases: fc.Arbitrary<AuthCase> = fc.record({
  route: authRoutes,
  authorization: fc.oneof({ weight: 5, arbitrary: noAuthorization }, { weight: 1, arbitrary: authHeaderArb }),
  cookie: cookieHeaderArb,
  csrf: csrfArb,
});

// =============================================================================================
// Property: request bodies
// =============================================================================================

export type BodyRoute =
  | 'POST /auth/jwt/login'
  | 'POST /auth/db/login'
  | 'POST /auth/cookie/login'
  | 'POST /auth/register'
  | 'POST /auth/verify'
  | 'POST /auth/reset-password'
  | 'POST /auth/forgot-password'
  | 'POST /auth/request-verify-token'
  | 'PATCH /users/me';

/** A field value: a literal, raw JSON text, or something of the world's (an email, a token). */
export type FieldValue =
  { k: 'lit'; v: unknown } | { k: 'raw'; t: string } | { k: 'ref'; name: ValueRef } | { k: 'token'; spec: TokenSpec } | { k: 'long'; text: string };

type ValueRef =
  | 'email'
  | 'emailUpper'
  | 'emailPadded'
  | 'emailNfd'
  | 'inactiveEmail'
  | 'verifyEmail'
  | 'resetEmail'
  | 'password'
  | 'passwordPadded'
  | 'passwordUpper'
  | 'passwordShort'
  | 'passwordNfkc'
  | 'freshEmail';

export type BodySpec =
  | { k: 'genuine'; format: 'json' | 'form' }
  | { k: 'fields'; format: 'json' | 'form'; entries: [string, FieldValue][]; rawForm: boolean }
  | { k: 'json'; value: unknown }
  | { k: 'deep'; depth: number; kind: 'array' | 'object'; field: string | null }
  | { k: 'text'; text: string }
  | { k: 'bytes'; bytes: number[] }
  | { k: 'empty' };

export interface BodyCase {
  route: BodyRoute;
  /** null: no Content-Type header; 'auto': the type the body is written in. */
  contentType: string | null;
  body: BodySpec;
  serial: number;
}

const FIELDS: Record<BodyRoute, string[]> = {
  'POST /auth/jwt/login': ['username', 'password', 'scope', 'grant_type', 'client_id'],
  'POST /auth/db/login': ['username', 'password', 'scope', 'grant_type'],
  'POST /auth/cookie/login': ['username', 'password', 'scope'],
  'POST /auth/register': ['email', 'password', 'isSuperuser', 'isActive', 'isVerified', 'scopes', 'id', 'hashedPassword', 'displayName'],
  'POST /auth/verify': ['token'],
  'POST /auth/reset-password': ['token', 'password'],
  'POST /auth/forgot-password': ['email'],
  'POST /auth/request-verify-token': ['email'],
  'PATCH /users/me': ['email', 'password', 'isSuperuser', 'isActive', 'isVerified', 'scopes', 'id', 'hashedPassword', 'displayName'],
};

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'];

const lit = (...values: unknown[]) => fc.constantFrom(...values).map<FieldValue>((v) => ({ k: 'lit', v }));
const ref = (...names: ValueRef[]) => fc.constantFrom(...names).map<FieldValue>((name) => ({ k: 'ref', name }));

/**
 * Finding 2: a lone UTF-16 surrogate (JSON `"\ud800"`) in an email field makes validator's isEmail
 * throw a URIError (a 500 with a stack trace). The default run sends none.
 */
const isWellFormed = (text: string) => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
const loneSurrogates = (t: string) => KNOWN_FINDINGS || !t.includes('\\ud8');

const genericValue: fc.Arbitrary<FieldValue> = fc.oneof(
  weirdValue.map<FieldValue>((v) => ({ k: 'lit', v })),
  rawJson.filter(loneSurrogates).map<FieldValue>((t) => ({ k: 'raw', t })),
  lit({ $ne: null }, { $gt: '' }, "' OR 1=1 --", '\u0000', '<script>alert(1)</script>', '${7*7}', '../../etc/passwd', true, ['superuser'], { toString: 'x' }),
  lit(...(KNOWN_FINDINGS ? ['\ud800', 'a@b.c\udc00'] : ['\ufffd'])),
  fc.string({ unit: 'grapheme', maxLength: 30 }).map<FieldValue>((v) => ({ k: 'lit', v })),
);

const emailValue: fc.Arbitrary<FieldValue> = fc.oneof(
  { weight: 6, arbitrary: ref('email', 'emailUpper', 'emailPadded', 'emailNfd', 'inactiveEmail', 'verifyEmail', 'resetEmail', 'freshEmail') },
  { weight: 2, arbitrary: fc.emailAddress().map<FieldValue>((v) => ({ k: 'lit', v })) },
  {
    weight: 2,
    arbitrary: lit(
      'a@b',
      '',
      '@',
      'a@',
      '@b.c',
      'a@b.c',
      'x@example.com ',
      'ünï@cödé.example',
      'a+b@example.com',
      '"quoted"@example.com',
      'a@[127.0.0.1]',
      'fuzz.user@example.com\u0000',
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 300, max: 400 }).map<FieldValue>((n) => ({ k: 'long', text: `${'a'.repeat(n)}@example.com` })) },
  { weight: 2, arbitrary: genericValue },
);

const passwordValue: fc.Arbitrary<FieldValue> = fc.oneof(
  { weight: 6, arbitrary: ref('password', 'passwordPadded', 'passwordUpper', 'passwordShort', 'passwordNfkc') },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 8, maxLength: 40 }).map<FieldValue>((v) => ({ k: 'lit', v })) },
  { weight: 2, arbitrary: lit('password', '12345678', 'a'.repeat(8), '', ' ', '🔑'.repeat(8), 'fuzz.user@example.com', '\u0000'.repeat(8)) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(longRun(1000, 1100), longRun(2040, 2060), longRun(4090, 4100), longRun(15_000, 17_000))
      .map<FieldValue>((text) => ({ k: 'long', text })),
  },
  { weight: 2, arbitrary: genericValue },
);

const tokenValue: fc.Arbitrary<FieldValue> = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom<TokenSource>('verify', 'reset').map<FieldValue>((source) => ({ k: 'token', spec: { k: 'valid', source } })) },
  {
    weight: 6,
    arbitrary: fc
      .record({ source: fc.constantFrom<TokenSource>('verify', 'reset', 'jwt'), mutations: mutationsArb })
      .map<FieldValue>((m) => ({ k: 'token', spec: { k: 'mutated', ...m } })),
  },
  { weight: 3, arbitrary: jwtSpecArb.map<FieldValue>((jwt) => ({ k: 'token', spec: { k: 'forged', jwt } })) },
  { weight: 2, arbitrary: randomTokenText.map<FieldValue>((text) => ({ k: 'token', spec: { k: 'random', text } })) },
  { weight: 2, arbitrary: genericValue },
);

const fieldValue = (field: string): fc.Arbitrary<FieldValue> => {
  switch (field) {
    case 'username':
    case 'email':
      return emailValue;
    case 'password':
      return passwordValue;
    case 'token':
      return tokenValue;
    case 'scope':
      return fc.oneof(lit('', 'items:read', 'items:write superuser', 'superuser', ' '.repeat(100)), genericValue);
    case 'scopes':
      return fc.oneof(lit(['superuser'], ['items:write'], 'superuser', [], [1]), genericValue);
    case 'isSuperuser':
    case 'isActive':
    case 'isVerified':
      return fc.oneof(lit(true, false, 'true', 1), genericValue);
    default:
      return genericValue;
  }
};

const fieldsBody = (route: BodyRoute): fc.Arbitrary<BodySpec> => {
  const own = FIELDS[route];
  const entry: fc.Arbitrary<[string, FieldValue]> = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...own).chain((field) => fc.tuple(fc.constant(field), fieldValue(field))) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...PROTO_KEYS), fc.oneof(lit({ isSuperuser: true }, { password: PASSWORD }, null, 'x'), genericValue)) },
    {
      weight: 1,
      arbitrary: fc.tuple(
        fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(...own.map((f) => `${f}[]`), ...own.map((f) => f.toUpperCase()), ' username')),
        genericValue,
      ),
    },
  );
  // Mostly every field of the route, in order, so the valid-shaped path is well exercised.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- fc.tuple over a spread loses the tuple's element type
  const complete = fc.tuple(...own.slice(0, 2).map((field) => fc.tuple(fc.constant(field), fieldValue(field)))) as fc.Arbitrary<[string, FieldValue][]>;
  return fc.record({
    k: fc.constant('fields' as const),
    // Forms only where the route takes them (login); elsewhere now and then, for the 415.
    format: route.includes('login')
      ? fc.constantFrom<'json' | 'form'>('json', 'form')
      : fc.oneof({ weight: 9, arbitrary: fc.constant<'json' | 'form'>('json') }, { weight: 1, arbitrary: fc.constant<'json' | 'form'>('form') }),
    entries: fc.oneof(
      { weight: 3, arbitrary: fc.tuple(complete, fc.array(entry, { maxLength: 2 })).map(([a, b]) => [...a, ...b]) },
      { weight: 2, arbitrary: fc.array(entry, { maxLength: 6 }) },
    ),
    rawForm: fc.boolean(),
  });
};

/**
 * Finding 1: a field nested ~1,300+ levels deep overflows the stack in class-transformer (a 500
 * with a stack trace). The default run stays below it.
 */
const MAX_FUZZ_DEPTH = KNOWN_FINDINGS ? 8000 : 100;

const bodyArb = (route: BodyRoute): fc.Arbitrary<BodySpec> =>
  fc.oneof(
    { weight: 10, arbitrary: fieldsBody(route) },
    // The right credentials in the right shape, so the success path is fuzzed too.
    {
      weight: route.includes('login') ? 2 : 0,
      arbitrary: fc.constantFrom<'json' | 'form'>('json', 'form').map<BodySpec>((format) => ({ k: 'genuine', format })),
    },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map<BodySpec>((value) => ({ k: 'json', value })) },
    {
      weight: 1,
      arbitrary: fc.record({
        k: fc.constant('deep' as const),
        depth: fc.oneof(fc.integer({ min: 1, max: Math.min(100, MAX_FUZZ_DEPTH) }), fc.integer({ min: Math.min(1000, MAX_FUZZ_DEPTH), max: MAX_FUZZ_DEPTH })),
        kind: fc.constantFrom<'array' | 'object'>('array', 'object'),
        field: fc.oneof(fc.constant(null), fc.constantFrom(...FIELDS[route])),
      }),
    },
    { weight: 1, arbitrary: fc.oneof(headerText(200), fc.string({ unit: 'grapheme', maxLength: 100 })).map<BodySpec>((text) => ({ k: 'text', text })) },
    { weight: 1, arbitrary: fc.array(fc.nat({ max: 255 }), { maxLength: 200 }).map<BodySpec>((bytes) => ({ k: 'bytes', bytes })) },
    { weight: 1, arbitrary: fc.constant<BodySpec>({ k: 'empty' }) },
  );

const contentTypeArb: fc.Arbitrary<string | null> = fc.oneof(
  { weight: 8, arbitrary: fc.constant('auto') },
  { weight: 1, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constant('application/x-www-form-urlencoded') },
  {
    weight: 3,
    arbitrary: fc.constantFrom<string | null>(
      null,
      '',
      'application/json; charset=utf-8',
      'application/json; charset=UTF-8',
      'application/json; charset="utf-8"',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'APPLICATION/JSON',
      'application/json;;',
      'application/json; charset',
      'application/vnd.api+json',
      'application/*',
      'text/plain',
      'text/plain; charset=utf-8',
      'multipart/form-data; boundary=x',
      'application/x-www-form-urlencoded; charset=iso-8859-1',
      'application/xml',
      'json',
      '*/*',
    ),
  },
  { weight: 1, arbitrary: headerText(60) },
);

function fieldValueOf(world: FuzzWorld, value: FieldValue, serial: number): { json: string; form: string } {
  const of = (v: unknown) => ({ json: JSON.stringify(v) ?? 'null', form: typeof v === 'string' ? v : (JSON.stringify(v) ?? '') });
  switch (value.k) {
    case 'lit':
      return of(value.v);
    case 'raw':
      return { json: value.t, form: value.t };
    case 'long':
      return of(value.text);
    case 'token':
      return of(renderToken(world, value.spec));
    case 'ref': {
      const email = world.user.email;
      const refs: Record<ValueRef, string> = {
        email,
        emailUpper: email.toUpperCase(),
        emailPadded: ` ${email}`,
        emailNfd: 'fuzz.use\u0301r@example.com',
        inactiveEmail: world.inactive.email,
        verifyEmail: world.verifyTarget.email,
        resetEmail: world.resetTarget.email,
        freshEmail: `fresh-${serial}@example.com`,
        password: PASSWORD,
        passwordPadded: `${PASSWORD} `,
        passwordUpper: PASSWORD.toUpperCase(),
        passwordShort: PASSWORD.slice(0, -1),
        passwordNfkc: PASSWORD.replace('s', '\uff53'), // fullwidth 's': equal under NFKC only
      };
      return of(refs[value.name]);
    }
  }
}

function renderBody(world: FuzzWorld, c: BodyCase): string | Buffer | undefined {
  const body = c.body;
  switch (body.k) {
    case 'genuine': {
      const fields = { username: world.user.email, password: PASSWORD };
      return body.format === 'json' ? JSON.stringify(fields) : new URLSearchParams(fields).toString();
    }
    case 'empty':
      return undefined;
    case 'text':
      return body.text;
    case 'bytes':
      return Buffer.from(body.bytes);
    case 'json':
      return JSON.stringify(body.value);
    case 'deep': {
      const [open, close] = body.kind === 'array' ? ['[', ']'] : ['{"a":', '}'];
      const nested = open.repeat(body.depth) + '1' + close.repeat(body.depth);
      return body.field === null ? nested : `{${JSON.stringify(body.field)}:${nested}}`;
    }
    case 'fields': {
      const values = body.entries.map(([key, value]): [string, { json: string; form: string }] => [key, fieldValueOf(world, value, c.serial)]);
      if (body.format === 'json') return `{${values.map(([k, v]) => `${JSON.stringify(k)}:${v.json}`).join(',')}}`;
      // A lone surrogate cannot be percent-encoded (URIError): send what a UTF-8 client would, U+FFFD.
      const encode = body.rawForm ? (s: string) => s : (s: string) => encodeURIComponent(isWellFormed(s) ? s : s.replace(/[\ud800-\udfff]/g, '\ufffd'));
      return values.map(([k, v]) => `${encode(k)}=${encode(v.form)}`).join('&');
    }
  }
}

/** The media type the body is written in (what a well-behaved client would declare). */
function autoContentType(body: BodySpec): string | null {
  if (body.k === 'empty') return null;
  if ((body.k === 'fields' || body.k === 'genuine') && body.format === 'form') return 'application/x-www-form-urlencoded';
  return 'application/json';
}

/** Every value the body could be read as having for `field`: as JSON and as a form (a superset). */
function candidates(text: string, field: string): unknown[] {
  const found: unknown[] = [];
  const json = parseJson(text);
  if (isPlainObject(json) && Object.hasOwn(json, field)) found.push(json[field]);
  for (const [key, value] of new URLSearchParams(text)) if (key === field) found.push(value);
  return found;
}

const mediaType = (contentType: string | undefined) => contentType?.split(';')[0].trim().toLowerCase();
const passesPolicyLength = (p: unknown) => typeof p === 'string' && [...p].length >= 8 && [...p].length <= 1024;

export async function checkBodyCase(world: FuzzWorld, c: BodyCase, stats: PropertyStats): Promise<void> {
  stats.cases++;
  const [method, path] = c.route.split(' ');
  const headers: Record<string, string> = {};
  const contentType = c.contentType === 'auto' ? autoContentType(c.body) : c.contentType;
  if (contentType !== null) headers['content-type'] = contentType;
  if (c.route === 'PATCH /users/me') headers.authorization = `Bearer ${world.patchToken}`;
  const request: FuzzRequest = { method, path, headers, body: renderBody(world, c) };
  const res = await send(world, request, stats);
  stats.record(res.status);
  const problems = hygieneProblems(res);
  const text = request.body === undefined ? '' : Buffer.isBuffer(request.body) ? request.body.toString('utf8') : request.body;
  const type = mediaType(contentType ?? undefined);
  const body = parseJson(res.text);
  const success = res.status >= 200 && res.status < 300;

  switch (c.route) {
    case 'POST /auth/jwt/login':
    case 'POST /auth/db/login':
    case 'POST /auth/cookie/login': {
      if (!success) break;
      if (type !== 'application/json' && type !== 'application/x-www-form-urlencoded') problems.push(`login accepted a ${JSON.stringify(contentType)} body`);
      // Judged for the accounts whose passwords never change; other emails may be fuzz-registered ones.
      const never = Symbol('no password logs in');
      const judged = new Map<string, unknown>([
        [world.user.email, PASSWORD],
        [world.verifyTarget.email, PASSWORD],
        [world.inactive.email, never],
      ]);
      const usernames = candidates(text, 'username').filter((u): u is string => typeof u === 'string');
      const passwords = candidates(text, 'password');
      const explained = usernames.some((u) => {
        const email = u.normalize('NFC').toLowerCase();
        return !judged.has(email) || passwords.includes(judged.get(email));
      });
      if (!explained) problems.push('LOGIN ACCEPTED without the account password (or for an inactive account)');
      if (c.route === 'POST /auth/cookie/login') {
        if (!String(res.headers['set-cookie'] ?? '').includes('rcauth=')) problems.push('cookie login without Set-Cookie');
      } else if (typeof body?.access_token !== 'string' || body?.token_type !== 'bearer' || res.headers['cache-control'] !== 'no-store') {
        problems.push('bearer login answer is malformed');
      }
      break;
    }
    case 'POST /auth/register':
      if (!success) break;
      if (type !== 'application/json') problems.push(`register accepted a ${JSON.stringify(contentType)} body`);
      if (body?.isSuperuser !== false || body?.isActive !== true || body?.isVerified !== false || !Array.isArray(body?.scopes) || body.scopes.length > 0)
        problems.push('MASS ASSIGNMENT: a registered user has privileged fields set');
      if (!candidates(text, 'password').some(passesPolicyLength)) problems.push('registered with a password outside the policy length');
      break;
    case 'POST /auth/verify':
      if (!success) break;
      if (!candidates(text, 'token').some((t) => isGenuineUserToken(t, VERIFY_AUDIENCE, world.verifyTarget.id)))
        problems.push('FORGERY ACCEPTED: verified with a token we never issued');
      // Un-verify so the genuine token keeps being useful to the run.
      await world.t.dataSource.getRepository(User).update({ id: world.verifyTarget.id }, { isVerified: false });
      break;
    case 'POST /auth/reset-password':
      if (!success) break;
      if (!candidates(text, 'token').some((t) => isGenuineUserToken(t, RESET_AUDIENCE, world.resetTarget.id)))
        problems.push('FORGERY ACCEPTED: reset with a token we never issued');
      if (!candidates(text, 'password').some(passesPolicyLength)) problems.push('reset to a password outside the policy length');
      {
        // The used token is dead now (single use): mint the next one.
        const fresh = await world.t.auth.userManager.get(world.resetTarget.id);
        if (fresh) world.resetToken = (await world.t.auth.userManager.forgotPassword(fresh)) ?? world.resetToken;
      }
      break;
    case 'POST /auth/forgot-password':
    case 'POST /auth/request-verify-token':
      if (success && res.status !== 202) problems.push(`answered ${res.status}, not 202`);
      break;
    case 'PATCH /users/me': {
      if (!success) break;
      const row = await world.t.dataSource.getRepository(User).findOneBy({ id: world.patchTarget.id });
      if (
        body?.isSuperuser !== false ||
        body?.isActive !== true ||
        body?.id !== world.patchTarget.id ||
        !row ||
        row.isSuperuser ||
        !row.isActive ||
        row.scopes.length > 0
      )
        problems.push('PRIVILEGE ESCALATION: PATCH /users/me changed a protected field');
      break;
    }
  }
  if (problems.length > 0) throw new FuzzViolation(problems, request, res);
}

let serial = 0;
const bodyCases = (...routes: BodyRoute[]): fc.Arbitrary<BodyCase> =>
  fc
    .constantFrom(...routes)
    .chain((route) => fc.record({ route: fc.constant(route), contentType: contentTypeArb, body: bodyArb(route), serial: fc.constant(0) }))
    // A fresh number per case, so "a new email" really is new (generation is otherwise pure).
    .map((c) => ({ ...c, serial: ++serial }));

export const loginBodyCases = bodyCases('POST /auth/jwt/login', 'POST /auth/db/login', 'POST /auth/cookie/login');
export const registerBodyCases = bodyCases('POST /auth/register');
export const tokenBodyCases = bodyCases('POST /auth/verify', 'POST /auth/reset-password');
export const emailBodyCases = bodyCases('POST /auth/forgot-password', 'POST /auth/request-verify-token');
export const usersMeBodyCases = bodyCases('PATCH /users/me');

// =============================================================================================
// The properties
// =============================================================================================

export interface FuzzProperty<T = any> {
  name: string;
  /** What it throws at the app. */
  description: string;
  arbitrary: fc.Arbitrary<T>;
  check(world: FuzzWorld, input: T, stats: PropertyStats): Promise<void>;
  /** Its share of `npm run fuzz`'s 100,000 cases. */
  weight: number;
}

export const PROPERTIES: FuzzProperty[] = [
  {
    name: 'authorization',
    description: 'random / mutated / forged Authorization headers on protected routes',
    arbitrary: authorizationCases,
    check: checkAuthCase,
    weight: 22,
  },
  {
    name: 'jwt',
    description: 'hand-built JWTs: alg, typ, kid/jku/jwk, claims, signatures, encodings, lengths',
    arbitrary: jwtCases,
    check: checkAuthCase,
    weight: 22,
  },
  {
    name: 'cookie',
    description: 'cookie headers: mutated opaque tokens, duplicates, encodings, CSRF headers',
    arbitrary: cookieCases,
    check: checkAuthCase,
    weight: 16,
  },
  {
    name: 'login-body',
    description: 'bodies and content types for POST /auth/{jwt,db,cookie}/login',
    arbitrary: loginBodyCases,
    check: checkBodyCase,
    weight: 14,
  },
  { name: 'register-body', description: 'bodies for POST /auth/register', arbitrary: registerBodyCases, check: checkBodyCase, weight: 8 },
  {
    name: 'token-body',
    description: 'bodies and mutated tokens for POST /auth/verify and /auth/reset-password',
    arbitrary: tokenBodyCases,
    check: checkBodyCase,
    weight: 8,
  },
  {
    name: 'email-body',
    description: 'bodies for POST /auth/forgot-password and /auth/request-verify-token',
    arbitrary: emailBodyCases,
    check: checkBodyCase,
    weight: 5,
  },
  { name: 'users-me-body', description: 'bodies for PATCH /users/me (authenticated)', arbitrary: usersMeBodyCases, check: checkBodyCase, weight: 5 },
];

/** The fast-check property for one of `PROPERTIES`, counting into `stats`. */
export function asyncPropertyOf<T>(world: FuzzWorld, property: FuzzProperty<T>, stats: PropertyStats) {
  return fc.asyncProperty(property.arbitrary, (input) => property.check(world, input, stats));
}

/** The process is still up and still authenticates: the genuine credentials work. */
export async function sanityProblems(world: FuzzWorld): Promise<string[]> {
  const problems: string[] = [];
  for (const [name, headers] of [
    ['jwt', { authorization: `Bearer ${world.jwt}` }],
    ['db', { authorization: `Bearer ${world.dbToken}` }],
    ['cookie', { cookie: `rcauth=${world.cookieToken}` }],
  ] as const) {
    const res = await send(world, { method: 'GET', path: '/items', headers: { ...headers } });
    if (res.status !== 200 || parseJson(res.text)?.owner !== world.user.email) problems.push(`${name}: GET /items answered ${res.status} ${clip(res.text)}`);
  }
  const bad = await send(world, { method: 'GET', path: '/items', headers: { authorization: 'Bearer x' } });
  if (bad.status !== 401) problems.push(`a bad token got ${bad.status}`);
  return problems;
}
