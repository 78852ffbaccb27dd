/**
 * What every Redis store gets from the one Redis kit: its key names (apps have data under them, so
 * they never change), `init` reporting the client's errors through the app's events, `ready`
 * refusing a client that is not connected, and replies read the same whatever the protocol.
 */
import { expect } from 'chai';
import { randomBytes } from 'crypto';
import { createClient, RESP_TYPES, type RedisClientType } from 'redis';
import {
  AuthConfigurationError,
  AuthEvents,
  BackendUnavailableError,
  RedisOAuthStateStore,
  RedisRevocationStore,
  RedisSessionStore,
  RedisStrategy,
  type AuthEvent,
  type RedisCommands,
} from '../../src';
import { commandTimeoutOption, DEFAULT_REDIS_COMMAND_TIMEOUT_MS } from '../../src/redis/time-limit';
import { hashReply, membersReply, textReply } from '../../src/redis/replies';
import { digestToken } from '../../src/strategies/opaque-token';
import { captureConsoleErrors } from '../support/console';

function redisUrl(): string {
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error('TEST_REDIS_URL is not set: the test services did not start.');
  return url;
}

describe('the Redis kit under every Redis store', () => {
  let client: RedisClientType;
  before(async () => {
    client = createClient({ url: redisUrl() });
    await client.connect();
  });
  after(() => client.destroy());

  /** Every key under `prefix`, sorted. */
  const keysUnder = async (prefix: string) => (await client.keys(`${prefix}*`)).sort();

  describe('key names, byte for byte as before the kit (default prefixes)', () => {
    const id = () => randomBytes(6).toString('hex');

    it('RedisStrategy: <p><digest>, <p>user:<userId>, <p>session:<sessionId>', async () => {
      const [userId, sessionId] = [id(), id()];
      const token = await new RedisStrategy({ redis: client }).write({ userId, scopes: [], lifetimeSeconds: 60, sessionId });
      const p = 'routing-controllers-auth:token:';
      expect(await client.exists([`${p}${digestToken(token)}`, `${p}user:${userId}`, `${p}session:${sessionId}`])).to.equal(3);
    });

    it('RedisSessionStore: <p>{<sessionId>}, <p>refresh:<digest>, <p>user:{<userId>}', async () => {
      const [sessionId, userId, digest] = [id(), id(), id()];
      const now = new Date();
      await new RedisSessionStore({ redis: client }).create({
        id: sessionId,
        userId,
        backend: 'b',
        scopes: [],
        createdAt: now,
        lastUsedAt: now,
        expiresAt: new Date(now.getTime() + 60_000),
        userAgent: null,
        ip: null,
        authTime: null,
        amr: [],
        currentDigest: digest,
      });
      const p = 'routing-controllers-auth:session:';
      expect(await client.exists([`${p}{${sessionId}}`, `${p}refresh:${digest}`, `${p}user:{${userId}}`])).to.equal(3);
    });

    it('RedisRevocationStore: <p>jti:<jti>, <p>user:<userId>, <p>sid:<sessionId>', async () => {
      const [tokenId, userId, sessionId] = [id(), id(), id()];
      const store = new RedisRevocationStore({ redis: client });
      const expiresAt = new Date(Date.now() + 60_000);
      await store.revoke({ tokenId, userId, issuedAtMs: Date.now(), expiresAt });
      await store.revokeAllIssuedBefore(userId, new Date(1_700_000_000_000));
      await store.revokeSession(sessionId, expiresAt);
      const p = 'routing-controllers-auth:revoked:';
      expect(await client.get(`${p}jti:${tokenId}`)).to.equal('1');
      expect(await client.get(`${p}user:${userId}`)).to.equal('1700000000000');
      expect(await client.get(`${p}sid:${sessionId}`)).to.equal('1');
    });

    it('RedisOAuthStateStore: <p><state>; a custom prefix is used as given', async () => {
      const prefix = `kit-oauth-${id()}/`;
      const record = { purpose: 'login' as const, bindingDigest: 'ab'.repeat(32), codeVerifier: 'v', nonce: 'n', expiresAt: Date.now() + 60_000 };
      await new RedisOAuthStateStore({ redis: client, keyPrefix: prefix }).save('s-1', record, 60);
      expect(await keysUnder(prefix)).to.deep.equal([`${prefix}s-1`]);
    });
  });

  describe('init(context): the client’s errors become store.error events of the app', () => {
    const stores: [string, (redis: RedisCommands) => { init(context: { events: AuthEvents }): void }][] = [
      ['RedisStrategy', (redis) => new RedisStrategy({ redis })],
      ['RedisSessionStore', (redis) => new RedisSessionStore({ redis })],
      ['RedisRevocationStore', (redis) => new RedisRevocationStore({ redis })],
      ['RedisOAuthStateStore', (redis) => new RedisOAuthStateStore({ redis })],
    ];
    for (const [name, make] of stores) {
      it(name, async () => {
        const lonely = createClient({ url: redisUrl() }); // never connected: only its events matter
        const seen: AuthEvent[] = [];
        const events = new AuthEvents();
        events.on('store.error', (event) => void seen.push(event));
        make(lonely).init({ events });
        const error = new Error(`${name} lost its connection`);
        const logged = await captureConsoleErrors(() => {
          expect(() => lonely.emit('error', error)).to.not.throw();
        });
        expect(logged).to.have.length(1); // and the server log gets its line
        expect(seen).to.deep.equal([{ type: 'store.error', store: 'redis', error }]);
        expect(lonely.listenerCount('error')).to.equal(1);
      });
    }

    it('RedisRevocationStore.reportErrorsTo (deprecated) does what init does', async () => {
      const lonely = createClient({ url: redisUrl() });
      const seen: AuthEvent[] = [];
      const events = new AuthEvents();
      events.on('store.error', (event) => void seen.push(event));
      new RedisRevocationStore({ redis: lonely }).reportErrorsTo(events);
      await captureConsoleErrors(() => void lonely.emit('error', new Error('gone')));
      expect(seen).to.have.length(1);
    });
  });

  describe('readiness', () => {
    it('RedisOAuthStateStore: ready() refuses a client never connected, with the fix; its commands answer 503 at once', async () => {
      const store = new RedisOAuthStateStore({ redis: createClient({ url: redisUrl() }) });
      const refused = await store.ready().then(
        () => null,
        (error: unknown) => error,
      );
      expect(refused).to.be.instanceOf(AuthConfigurationError);
      expect((refused as Error).message).to.equal(
        'RedisOAuthStateStore({ redis }): the node-redis client is not connected. Call `await redis.connect()` before `auth.ready()` and before serving requests.',
      );
      const failure = await store.take('x').then(
        () => null,
        (error: unknown) => error,
      );
      expect(failure).to.be.instanceOf(BackendUnavailableError);
      expect((failure as BackendUnavailableError).toJSON().code).to.equal('AUTH_BACKEND_UNAVAILABLE');
    });

    it('every store: ready() passes with a connected client, and refuses one closed since', async () => {
      const own = createClient({ url: redisUrl() });
      await own.connect();
      const stores = [
        new RedisStrategy({ redis: own }),
        new RedisSessionStore({ redis: own }),
        new RedisRevocationStore({ redis: own }),
        new RedisOAuthStateStore({ redis: own }),
      ];
      for (const store of stores) await store.ready();
      own.destroy();
      for (const store of stores) {
        const refused = await store.ready().then(
          () => null,
          (error: unknown) => error,
        );
        expect(refused, store.constructor.name).to.be.instanceOf(AuthConfigurationError);
      }
    });
  });

  describe('the time limit option', () => {
    it('defaults to 1000 ms, null waits as long as the client does, anything else but a positive number is refused', () => {
      expect(DEFAULT_REDIS_COMMAND_TIMEOUT_MS).to.equal(1000);
      expect(commandTimeoutOption(undefined, 'X')).to.equal(1000);
      expect(commandTimeoutOption(null, 'X')).to.equal(null);
      expect(commandTimeoutOption(250, 'X')).to.equal(250);
      for (const bad of [0, -1, Number.NaN, Infinity, '100' as unknown as number]) {
        expect(() => new RedisRevocationStore({ redis: client, commandTimeoutMs: bad }), String(bad)).to.throw(AuthConfigurationError, /commandTimeoutMs/);
      }
    });
  });

  describe('replies, RESP2 and RESP3 alike', () => {
    it('reads strings, bytes, sets and hashes (plain objects or Maps) the same', () => {
      expect(textReply('a')).to.equal('a');
      expect(textReply(Buffer.from('é'))).to.equal('é');
      expect(textReply(null)).to.equal(null);
      expect(membersReply(['a', Buffer.from('b')])).to.deep.equal(['a', 'b']);
      expect(membersReply(new Set(['a', 'b']))).to.deep.equal(['a', 'b']);
      expect(hashReply({ a: '1', b: Buffer.from('2'), c: 3 })).to.deep.equal({ a: '1', b: '2', c: '3' });
      expect(hashReply(new Map([['a', Buffer.from('1')]]))).to.deep.equal({ a: '1' });
      expect(hashReply(null)).to.equal(null);
    });

    it('a store reads what a client with a Buffer type mapping answers', async () => {
      const bytes = createClient({ url: redisUrl() }).withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
      await bytes.connect();
      try {
        const prefix = `kit-bytes-${randomBytes(4).toString('hex')}:`;
        const strategy = new RedisStrategy({ redis: bytes, keyPrefix: prefix });
        const token = await strategy.write({ userId: 'u-bytes', scopes: ['s'], lifetimeSeconds: 60 });
        expect(await strategy.read(token)).to.deep.equal({ userId: 'u-bytes', scopes: ['s'] });
      } finally {
        bytes.destroy();
      }
    });
  });
});
