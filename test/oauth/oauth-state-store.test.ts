import { expect } from 'chai';
import { createClient, type RedisClientType } from 'redis';
import { MemoryOAuthStateStore, RedisOAuthStateStore, type OAuthStateRecord, type OAuthStateStore } from '../../src';

const record = (expiresInMs = 600_000): OAuthStateRecord => ({
  purpose: 'login',
  bindingDigest: 'ab'.repeat(32),
  codeVerifier: 'verifier',
  nonce: 'nonce',
  expiresAt: Date.now() + expiresInMs,
});

/** The contract every state store keeps: a state is taken once, and never after it expires. */
function storeContract(name: string, make: () => OAuthStateStore) {
  describe(name, () => {
    it('gives a saved state back once, then never again', async () => {
      const store = make();
      await store.save('state-a', record(), 600);
      expect(await store.take('state-a')).to.deep.include({ purpose: 'login', codeVerifier: 'verifier', nonce: 'nonce' });
      expect(await store.take('state-a')).to.equal(undefined);
      expect(await store.take('never-saved')).to.equal(undefined);
    });

    it('of 20 concurrent takes of one state, exactly one gets it', async () => {
      const store = make();
      await store.save('state-b', record(), 600);
      const results = await Promise.all(Array.from({ length: 20 }, () => store.take('state-b')));
      expect(results.filter(Boolean)).to.have.length(1);
    });

    it('never gives back a state past its expiry', async () => {
      const store = make();
      await store.save('state-c', record(-1), 600);
      expect(await store.take('state-c')).to.equal(undefined);
    });
  });
}

describe('OAuth state stores', () => {
  storeContract('MemoryOAuthStateStore', () => new MemoryOAuthStateStore());

  it('MemoryOAuthStateStore: expires states by its clock and drops the oldest beyond maxEntries', async () => {
    let now = 1_000_000;
    const store = new MemoryOAuthStateStore({ now: () => now, maxEntries: 2 });
    await store.save('one', { ...record(), expiresAt: now + 600_000 }, 600);
    await store.save('two', { ...record(), expiresAt: now + 600_000 }, 600);
    await store.save('three', { ...record(), expiresAt: now + 600_000 }, 600);
    expect(await store.take('one')).to.equal(undefined);
    now += 600_000;
    expect(await store.take('two')).to.equal(undefined);
  });

  describe('on a real Redis', () => {
    let client: RedisClientType;
    before(async () => {
      const url = process.env.TEST_REDIS_URL;
      if (!url) throw new Error('TEST_REDIS_URL is not set: the test services did not start.');
      client = createClient({ url });
      await client.connect();
    });
    after(() => client.quit());

    storeContract('RedisOAuthStateStore', () => new RedisOAuthStateStore({ redis: client, keyPrefix: `test-oauth-${Math.random()}:` }));

    it('RedisOAuthStateStore: stores under the prefix with the flow lifetime as TTL', async () => {
      const store = new RedisOAuthStateStore({ redis: client });
      await store.save('ttl-state', record(), 600);
      const ttl = await client.ttl('routing-controllers-auth:oauth-state:ttl-state');
      expect(ttl).to.be.within(1, 600);
      await store.take('ttl-state');
      expect(await client.exists('routing-controllers-auth:oauth-state:ttl-state')).to.equal(0);
    });

    it('RedisOAuthStateStore: a store that cannot be reached → 503 AUTH_BACKEND_UNAVAILABLE', async () => {
      const lonely = createClient({ url: process.env.TEST_REDIS_URL });
      const store = new RedisOAuthStateStore({ redis: lonely }); // never connected
      let failure: any;
      await store.take('x').catch((e) => (failure = e));
      expect(failure?.toJSON?.().code).to.equal('AUTH_BACKEND_UNAVAILABLE');
    });
  });
});
