/**
 * Every conformance suite of routing-controllers-auth/testing, run against every implementation
 * the library ships: what an app's own store must pass, the library's stores pass first.
 */
import {
  RedisApiKeyStore,
  TypeOrmApiKeyStore,
  DatabaseRevocationStore,
  DatabaseStrategy,
  JwtStrategy,
  MemoryOAuthStateStore,
  MemoryPendingLoginStore,
  RedisPendingLoginStore,
  MemoryWebAuthnChallengeStore,
  RedisWebAuthnChallengeStore,
  TypeOrmPasskeyStore,
  RedisOAuthStateStore,
  RedisRevocationStore,
  RedisSessionStore,
  RedisStrategy,
  TypeOrmSessionStore,
} from '../../src';
import {
  describeApiKeyStoreConformance,
  describeOAuthStateStoreConformance,
  describePendingLoginStoreConformance,
  describePasskeyStoreConformance,
  describeWebAuthnChallengeStoreConformance,
  describeRevocationStoreConformance,
  describeSessionStoreConformance,
  describeStrategyConformance,
} from '../../src/testing';
import { DATABASES, redisWithPrefix, tokenTables } from './stores';

const SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

describe('conformance of the shipped implementations', () => {
  describe('Strategy', () => {
    describeStrategyConformance('JwtStrategy without a revocation store', async () => ({ strategy: new JwtStrategy({ secret: SECRET }) }), {
      revocable: false,
    });
    for (const { kind, label } of DATABASES) {
      describeStrategyConformance(`DatabaseStrategy on ${label}`, async () => {
        const dataSource = await tokenTables(kind);
        return { strategy: new DatabaseStrategy({ dataSource }), cleanup: () => dataSource.destroy() };
      });
      describeStrategyConformance(`JwtStrategy with a DatabaseRevocationStore on ${label}`, async () => {
        const dataSource = await tokenTables(kind);
        return { strategy: new JwtStrategy({ secret: SECRET, revocation: new DatabaseRevocationStore(dataSource) }), cleanup: () => dataSource.destroy() };
      });
    }
    describeStrategyConformance('RedisStrategy', async () => {
      const { redis, keyPrefix } = await redisWithPrefix();
      return { strategy: new RedisStrategy({ redis, keyPrefix }), cleanup: () => redis.destroy() };
    });
    describeStrategyConformance('JwtStrategy with a RedisRevocationStore', async () => {
      const { redis, keyPrefix } = await redisWithPrefix();
      return { strategy: new JwtStrategy({ secret: SECRET, revocation: new RedisRevocationStore({ redis, keyPrefix }) }), cleanup: () => redis.destroy() };
    });
  });

  describe('SessionStore', () => {
    for (const { kind, label } of DATABASES) {
      describeSessionStoreConformance(`TypeOrmSessionStore on ${label}`, async () => {
        const dataSource = await tokenTables(kind);
        return { store: new TypeOrmSessionStore(dataSource), cleanup: () => dataSource.destroy() };
      });
    }
    describeSessionStoreConformance('RedisSessionStore', async () => {
      const { redis, keyPrefix } = await redisWithPrefix();
      return { store: new RedisSessionStore({ redis, keyPrefix }), cleanup: () => redis.destroy() };
    });
  });

  describe('RevocationStore', () => {
    for (const { kind, label } of DATABASES) {
      describeRevocationStoreConformance(`DatabaseRevocationStore on ${label}`, async () => {
        const dataSource = await tokenTables(kind);
        return { store: new DatabaseRevocationStore(dataSource), cleanup: () => dataSource.destroy() };
      });
    }
    describeRevocationStoreConformance('RedisRevocationStore', async () => {
      const { redis, keyPrefix } = await redisWithPrefix();
      return { store: new RedisRevocationStore({ redis, keyPrefix }), cleanup: () => redis.destroy() };
    });
  });

  describe('ApiKeyStore', () => {
    for (const { kind, label } of DATABASES) {
      describeApiKeyStoreConformance(`TypeOrmApiKeyStore on ${label}`, async () => {
        const dataSource = await tokenTables(kind);
        return { store: new TypeOrmApiKeyStore(dataSource), cleanup: () => dataSource.destroy() };
      });
    }
    describeApiKeyStoreConformance('RedisApiKeyStore', async () => {
      const { redis, keyPrefix } = await redisWithPrefix();
      return { store: new RedisApiKeyStore({ redis, keyPrefix }), cleanup: () => redis.destroy() };
    });
  });

  describe('OAuthStateStore', () => {
    describeOAuthStateStoreConformance('MemoryOAuthStateStore', async () => ({ store: new MemoryOAuthStateStore() }));
    describeOAuthStateStoreConformance('RedisOAuthStateStore', async () => {
      const { redis, keyPrefix } = await redisWithPrefix();
      return { store: new RedisOAuthStateStore({ redis, keyPrefix }), cleanup: () => redis.destroy() };
    });
  });

  describe('PendingLoginStore', () => {
    describePendingLoginStoreConformance('MemoryPendingLoginStore', async () => ({ store: new MemoryPendingLoginStore() }));
    describePendingLoginStoreConformance('RedisPendingLoginStore', async () => {
      const { redis, keyPrefix } = await redisWithPrefix();
      return { store: new RedisPendingLoginStore({ redis, keyPrefix }), cleanup: () => redis.destroy() };
    });
  });
  describe('WebAuthnChallengeStore', () => {
    describeWebAuthnChallengeStoreConformance('MemoryWebAuthnChallengeStore', async () => ({ store: new MemoryWebAuthnChallengeStore() }));
    describeWebAuthnChallengeStoreConformance('RedisWebAuthnChallengeStore', async () => {
      const { redis, keyPrefix } = await redisWithPrefix();
      return { store: new RedisWebAuthnChallengeStore({ redis, keyPrefix }), cleanup: () => redis.destroy() };
    });
  });

  describe('PasskeyStore', () => {
    for (const { kind, label } of DATABASES) {
      describePasskeyStoreConformance(`TypeOrmPasskeyStore on ${label}`, async () => {
        const dataSource = await tokenTables(kind);
        return { store: new TypeOrmPasskeyStore(dataSource), cleanup: () => dataSource.destroy() };
      });
    }
  });
});
