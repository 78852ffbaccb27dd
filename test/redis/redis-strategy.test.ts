import { expect } from 'chai';
import { randomUUID } from 'crypto';
import { createClient, type RedisClientType } from 'redis';
import { AuthConfigurationError, BackendUnavailableError, DEFAULT_REDIS_KEY_PREFIX, RedisStrategy } from '../../src';
import type { TokenGrant, TokenRejection } from '../../src/strategies/strategy';
import { digestToken } from '../../src/strategies/opaque-token';

/** The grant a strategy's `read` answered, or null for any refusal (null or a TokenRejection). */
function grantOf(result: TokenGrant | TokenRejection | null): TokenGrant | null {
  return result && !('rejected' in result) ? result : null;
}

function redisUrl(): string {
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error('TEST_REDIS_URL is not set: the test services did not start.');
  return url;
}

/** The client options docs/scale-out.md recommends. */
export function recommendedClient(url: string): RedisClientType {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 1000, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000) },
  });
  client.on('error', () => undefined);
  return client as RedisClientType;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RedisStrategy', () => {
  let client: RedisClientType;
  let strategy: RedisStrategy;
  let prefix: string;

  before(async () => {
    client = recommendedClient(redisUrl());
    await client.connect();
  });
  after(() => client.destroy());

  beforeEach(() => {
    // A fresh prefix per test: tests never see each other's keys.
    prefix = `rcauth-test:${randomUUID()}:`;
    strategy = new RedisStrategy({ redis: client, lifetimeSeconds: 3600, keyPrefix: prefix });
  });

  it('defaults to the contract prefix and a 3600 s lifetime', () => {
    const plain = new RedisStrategy({ redis: client });
    expect(plain.keyPrefix).to.equal('routing-controllers-auth:token:');
    expect(DEFAULT_REDIS_KEY_PREFIX).to.equal('routing-controllers-auth:token:');
    expect(plain.lifetimeSeconds).to.equal(3600);
    expect(new RedisStrategy({ redis: client, lifetimeSeconds: null }).lifetimeSeconds).to.equal(null);
  });

  it('refuses a lifetime that is not a positive number at configuration time', () => {
    for (const lifetimeSeconds of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new RedisStrategy({ redis: client, lifetimeSeconds }), String(lifetimeSeconds)).to.throw(AuthConfigurationError);
    }
    expect(() => new RedisStrategy({} as never)).to.throw(AuthConfigurationError);
  });

  it('issues a 32-byte base64url token and stores only its SHA-256 digest, with the lifetime as TTL', async () => {
    const userId = randomUUID();
    const token = await strategy.write({ userId, scopes: ['items:read'], lifetimeSeconds: 600 });
    expect(token).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).to.have.length(32);

    const key = `${prefix}${digestToken(token)}`;
    expect(digestToken(token)).to.match(/^[0-9a-f]{64}$/);
    expect(JSON.parse((await client.get(key))!)).to.deep.equal({ userId, scopes: ['items:read'] });
    const ttl = await client.pTTL(key);
    expect(ttl).to.be.greaterThan(590_000).and.at.most(600_000);
    // The token itself appears nowhere in Redis.
    const keys = await client.keys(`${prefix}*`);
    expect(keys.some((k) => k.includes(token))).to.equal(false);

    expect(grantOf(await strategy.read(token))).to.deep.equal({ userId, scopes: ['items:read'] });
  });

  it('refuses unknown, malformed and oversized tokens, saying which', async () => {
    const unknown = Buffer.alloc(32, 7).toString('base64url');
    expect(await strategy.read(unknown)).to.deep.equal({ rejected: 'unknown' });
    for (const bad of ['', 'garbage', 'x'.repeat(12 * 1024), `${unknown.slice(0, 42)}!`, `${unknown}A`]) {
      expect(await strategy.read(bad), JSON.stringify(bad.slice(0, 20))).to.deep.equal({ rejected: 'malformed' });
    }
  });

  it('refuses a stored value it did not write (corrupt JSON, wrong shape) instead of throwing', async () => {
    const token = await strategy.write({ userId: randomUUID(), scopes: [], lifetimeSeconds: 60 });
    const key = `${prefix}${digestToken(token)}`;
    for (const value of ['not json', '{"userId": 5, "scopes": []}', '{"userId": "u", "scopes": "a b"}', 'null', '[]']) {
      await client.set(key, value);
      expect(await strategy.read(token), value).to.deep.equal({ rejected: 'invalid_claims' });
    }
  });

  it('expires a token with its TTL', async () => {
    const token = await strategy.write({ userId: randomUUID(), scopes: [], lifetimeSeconds: 0.5 });
    expect(grantOf(await strategy.read(token))).to.not.equal(null);
    await sleep(700);
    expect(grantOf(await strategy.read(token))).to.equal(null);
  });

  it('never stores a token born expired (lifetime 0 or negative)', async () => {
    for (const lifetimeSeconds of [0, -5]) {
      const token = await strategy.write({ userId: randomUUID(), scopes: [], lifetimeSeconds });
      expect(grantOf(await strategy.read(token))).to.equal(null);
    }
    expect(await client.keys(`${prefix}*`)).to.deep.equal([]);
  });

  it('stores a token without expiry when the lifetime is null', async () => {
    const userId = randomUUID();
    const token = await strategy.write({ userId, scopes: [], lifetimeSeconds: null });
    expect(await client.pTTL(`${prefix}${digestToken(token)}`)).to.equal(-1);
    expect(await client.pTTL(strategy.indexKey(userId))).to.equal(-1);
    expect(grantOf(await strategy.read(token))).to.deep.equal({ userId, scopes: [] });
  });

  it('keeps a per-user index whose TTL follows the longest-lived token', async () => {
    const userId = randomUUID();
    const index = `${prefix}user:${userId}`;
    expect(strategy.indexKey(userId)).to.equal(index);

    const short = await strategy.write({ userId, scopes: [], lifetimeSeconds: 100 });
    expect(await client.sMembers(index)).to.deep.equal([digestToken(short)]);
    expect(await client.pTTL(index))
      .to.be.greaterThan(90_000)
      .and.at.most(100_000);

    const long = await strategy.write({ userId, scopes: [], lifetimeSeconds: 1000 });
    expect(await client.pTTL(index)).to.be.greaterThan(990_000);

    await strategy.write({ userId, scopes: [], lifetimeSeconds: 10 }); // a shorter token never shortens it
    expect(await client.pTTL(index)).to.be.greaterThan(990_000);
    expect(await client.sMembers(index)).to.include.members([digestToken(short), digestToken(long)]);

    await strategy.write({ userId, scopes: [], lifetimeSeconds: null }); // a token without expiry: neither may the index
    expect(await client.pTTL(index)).to.equal(-1);
    await strategy.write({ userId, scopes: [], lifetimeSeconds: 5 });
    expect(await client.pTTL(index)).to.equal(-1);
    expect(await client.sCard(index)).to.equal(5);
  });

  it('destroy deletes the token and its index entry; other tokens live on', async () => {
    const userId = randomUUID();
    const a = await strategy.write({ userId, scopes: [], lifetimeSeconds: 60 });
    const b = await strategy.write({ userId, scopes: [], lifetimeSeconds: 60 });
    const grant = grantOf(await strategy.read(a))!;
    await strategy.destroy(a, grant);
    expect(grantOf(await strategy.read(a))).to.equal(null);
    expect(await client.exists(`${prefix}${digestToken(a)}`)).to.equal(0);
    expect(await client.sMembers(strategy.indexKey(userId))).to.deep.equal([digestToken(b)]);
    expect(grantOf(await strategy.read(b))).to.not.equal(null);
    await strategy.destroy('garbage', grant); // a malformed token is nothing to destroy
  });

  it("destroyAllForUser removes every token of the user in one call, and only that user's", async () => {
    const ann = randomUUID();
    const bob = randomUUID();
    const annTokens = await Promise.all([60, 600, null].map((lifetimeSeconds) => strategy.write({ userId: ann, scopes: [], lifetimeSeconds })));
    const bobToken = await strategy.write({ userId: bob, scopes: ['x'], lifetimeSeconds: 60 });

    await strategy.destroyAllForUser(ann);
    for (const token of annTokens) expect(grantOf(await strategy.read(token))).to.equal(null);
    expect(await client.exists(strategy.indexKey(ann))).to.equal(0);
    expect(grantOf(await strategy.read(bobToken))).to.deep.equal({ userId: bob, scopes: ['x'] });

    await strategy.destroyAllForUser(randomUUID()); // a user without tokens: nothing to do, no error
    const fresh = await strategy.write({ userId: ann, scopes: [], lifetimeSeconds: 60 });
    expect(grantOf(await strategy.read(fresh))).to.not.equal(null); // logging in again works
  });

  it('prunes expired digests from a large index at the next login', async () => {
    const userId = randomUUID();
    const index = strategy.indexKey(userId);
    // 70 digests of tokens that no longer exist (as after they expired), plus one live token.
    await client.sAdd(
      index,
      Array.from({ length: 70 }, (_, i) => digestToken(`gone-${i}`)),
    );
    const live = await strategy.write({ userId, scopes: [], lifetimeSeconds: 60 });
    expect(await client.sMembers(index)).to.deep.equal([digestToken(live)]);
  });

  it('answers a disconnected client at once with an error (a 503 upstream), never by waiting', async () => {
    const offline = recommendedClient(redisUrl());
    await offline.connect();
    const s = new RedisStrategy({ redis: offline, keyPrefix: prefix });
    const token = await s.write({ userId: randomUUID(), scopes: [], lifetimeSeconds: 60 });
    offline.destroy();
    let error: unknown;
    try {
      grantOf(await s.read(token));
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(BackendUnavailableError);
    expect((error as BackendUnavailableError).toJSON().code).to.equal('AUTH_BACKEND_UNAVAILABLE');
    expect(((error as BackendUnavailableError).cause as Error).message).to.equal('Redis is not connected.');
    // A malformed token never reaches Redis, so it is refused even now.
    expect(grantOf(await s.read('garbage'))).to.equal(null);
  });

  it('keeps the process alive when the client reports errors (it listens to them itself)', () => {
    const lonely = createClient({ url: redisUrl() });
    new RedisStrategy({ redis: lonely });
    new RedisStrategy({ redis: lonely, keyPrefix: 'other:' }); // one listener per client, not per strategy
    expect(lonely.listenerCount('error')).to.equal(1);
    expect(() => lonely.emit('error', new Error('connection lost'))).to.not.throw();
  });
});
