import { expect } from 'chai';
import { randomBytes, randomUUID } from 'crypto';
import { createCluster, type RedisClusterType } from 'redis';
import { RateLimits, RedisOAuthStateStore, RedisRevocationStore, RedisStrategy, TooManyRequestsError } from '../../src';
import { digestToken } from '../../src/strategies/opaque-token';
import type { TokenGrant, TokenRejection } from '../../src/strategies/strategy';
import { RedisCluster } from '../support/services';

function grantOf(result: TokenGrant | TokenRejection | null): TokenGrant | null {
  return result && !('rejected' in result) ? result : null;
}

/**
 * Every Redis store of the library on a real three-node cluster: keys of different slots live on
 * different nodes, so a command over two of them fails (CROSSSLOT) and the client must follow
 * MOVED. No store sends a command over two keys; keys read together (a token's deny entry and its
 * user's cut-off) are separate commands the client sends to their nodes.
 */
describe('Redis stores on a three-node Redis Cluster', () => {
  let servers: RedisCluster;
  let cluster: RedisClusterType;
  const prefix = () => `rcauth-${randomBytes(4).toString('hex')}:`;

  /** The node (by port) that owns `key`'s slot. */
  async function nodeOf(key: string): Promise<number> {
    const slot = Number(await cluster.sendCommand(key, true, ['CLUSTER', 'KEYSLOT', key]));
    const shard = (cluster as unknown as { slots: { master: { port: number } }[] }).slots[slot];
    return shard.master.port;
  }

  before(async function () {
    this.timeout(60_000);
    servers = await RedisCluster.start();
    cluster = createCluster({ rootNodes: servers.urls.map((url) => ({ url })) });
    cluster.on('error', () => undefined);
    await cluster.connect();
  });
  after(async () => {
    await cluster?.close().catch(() => undefined);
    await servers?.destroy();
  });

  it('is a real cluster: three masters, and a MULTI over keys of two nodes fails (why the strategy does not use one there)', async () => {
    expect(cluster.masters).to.have.length(3);
    const first = '{a}token';
    let second = '';
    for (let i = 0; !second; i++) if ((await nodeOf(`{b${i}}index`)) !== (await nodeOf(first))) second = `{b${i}}index`;
    let error: unknown;
    try {
      await cluster.multi().set(first, '1').sAdd(second, 'x').exec();
    } catch (e) {
      error = e;
    }
    // node-redis 5 passes on the node's MOVED; 6 follows it until "Too many Cluster redirections".
    expect(String((error as Error)?.message ?? error)).to.match(/MOVED|CROSSSLOT|redirections/);
  });

  it('RedisStrategy writes, reads, destroys and destroys all of a user, its keys spread over the nodes', async () => {
    const strategy = new RedisStrategy({ redis: cluster, keyPrefix: prefix() });
    const userId = randomUUID();
    const a = await strategy.write({ userId, scopes: ['s'], lifetimeSeconds: 60 });
    const b = await strategy.write({ userId, scopes: [], lifetimeSeconds: null });
    const more = await Promise.all(Array.from({ length: 18 }, () => strategy.write({ userId, scopes: [], lifetimeSeconds: 60 })));
    expect(grantOf(await strategy.read(a))).to.deep.equal({ userId, scopes: ['s'] });
    expect(await cluster.pTTL(strategy.indexKey(userId))).to.equal(-1);

    // 20 random digests over three nodes: they are not all on one (the test would prove nothing).
    const nodes = new Set(await Promise.all([a, b, ...more].map((token) => nodeOf(strategy.tokenKey(digestToken(token))))));
    expect(nodes.size).to.be.greaterThan(1);

    await strategy.destroy(a, { userId, scopes: ['s'] });
    expect(grantOf(await strategy.read(a))).to.equal(null);
    expect(grantOf(await strategy.read(b))).to.not.equal(null);

    await strategy.destroyAllForUser(userId);
    for (const token of [b, ...more]) expect(grantOf(await strategy.read(token))).to.equal(null);
    expect(await cluster.exists(strategy.indexKey(userId))).to.equal(0);
  });

  it('RedisRevocationStore denies a revoked token and every token issued before a cut-off', async () => {
    const store = new RedisRevocationStore({ redis: cluster, keyPrefix: prefix() });
    await store.ready();
    const userId = randomUUID();
    const now = Date.now();
    const token = (tokenId: string, issuedAtMs = now) => ({ tokenId, userId, issuedAtMs, expiresAt: new Date(now + 60_000) });
    expect(await store.isRevoked(token('t1'))).to.equal(false);
    await store.revoke(token('t1'));
    expect(await store.isRevoked(token('t1'))).to.equal(true);
    expect(await store.isRevoked(token('t2'))).to.equal(false);
    await store.revokeAllIssuedBefore(userId, new Date(now));
    expect(await store.isRevoked(token('t2'))).to.equal(true);
    expect(await store.isRevoked(token('t3', now + 1))).to.equal(false);
  });

  it('RedisOAuthStateStore gives a state back once', async () => {
    const store = new RedisOAuthStateStore({ redis: cluster, keyPrefix: prefix() });
    const record = { purpose: 'login' as const, bindingDigest: 'd', codeVerifier: 'v', nonce: 'n', expiresAt: Date.now() + 60_000 };
    await store.save('state-1', record, 60);
    expect(await store.take('state-1')).to.deep.equal(record);
    expect(await store.take('state-1')).to.equal(undefined);
  });

  it('rate limits count in the cluster, shared by two instances (not in memory)', async () => {
    const keyPrefix = prefix();
    const limits = { login: { perIp: { points: 3, durationSeconds: 60 }, perAccount: false as const } };
    const one = new RateLimits({ redis: cluster, keyPrefix, limits });
    const two = new RateLimits({ redis: cluster, keyPrefix, limits });
    await one.consume('login', { ip: '203.0.113.7' });
    await two.consume('login', { ip: '203.0.113.7' });
    await one.consume('login', { ip: '203.0.113.7' });
    let refused: unknown;
    try {
      await two.consume('login', { ip: '203.0.113.7' });
    } catch (error) {
      refused = error;
    }
    expect(refused).to.be.instanceOf(TooManyRequestsError);
    await two.consume('login', { ip: '203.0.113.8' }); // another client has its own budget
  });
});
