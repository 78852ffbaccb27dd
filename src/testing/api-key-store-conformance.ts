import assert from 'node:assert/strict';
import type { ApiKeyStore, StoredApiKey } from '../api-keys/api-key-store';
import { freshDigest, freshId, nowMs } from './case-tools';
import { describeConformanceCases, type ConformanceCase, type ConformanceFixture, type TestRunner } from './conformance';

/** What an API key store suite's factory answers. */
export interface ApiKeyStoreFixture extends ConformanceFixture {
  store: ApiKeyStore;
}

/** A key as `ApiKeyStrategy` stores one: fresh id, digest and owner, every field set. */
function stored(fields: Partial<StoredApiKey> = {}): StoredApiKey {
  return {
    id: freshId(),
    keyHash: freshDigest(),
    userId: freshId(),
    name: 'CI deploy',
    start: 'rca_Ab3x',
    scopes: ['items:read', 'items:write'],
    allowedIps: ['203.0.113.0/24', '2001:db8::/32'],
    createdAt: nowMs(-60_000),
    expiresAt: nowMs(30 * 86_400_000),
    lastUsedAt: null,
    ...fields,
  };
}

function withoutDigest({ keyHash: _digest, ...info }: StoredApiKey) {
  return info;
}

/**
 * What `ApiKeyStrategy` relies on from an `ApiKeyStore`: a key found by its digest with every
 * field as written, an expired key still found (its holder is told it expired), lists per owner,
 * revocation that stops a key at once, and a conditional `touch` (last use written at most once
 * per interval, whichever instance asks).
 */
export const apiKeyStoreConformanceCases: readonly ConformanceCase<ApiKeyStoreFixture>[] = [
  {
    name: 'a key created is found by its digest and by its id, every field as written; unknown digests and ids are null',
    async run({ store }) {
      const key = stored();
      await store.create(key);
      assert.deepEqual(await store.findByDigest(key.keyHash), key);
      assert.deepEqual(await store.get(key.id), withoutDigest(key), 'get answers no digest');
      assert.equal(await store.findByDigest(freshDigest()), null);
      assert.equal(await store.get(freshId()), null);
    },
  },
  {
    name: 'null fields stay null (no expiry, no ranges, never used)',
    async run({ store }) {
      const key = stored({ expiresAt: null, allowedIps: null, scopes: [] });
      await store.create(key);
      assert.deepEqual(await store.findByDigest(key.keyHash), key);
    },
  },
  {
    name: 'an expired key is still found by its digest and listed (the strategy refuses it as expired)',
    async run({ store }) {
      const key = stored({ expiresAt: nowMs(-1000) });
      await store.create(key);
      assert.deepEqual(await store.findByDigest(key.keyHash), key);
      assert.deepEqual(
        (await store.listForUser(key.userId)).map((k) => k.id),
        [key.id],
      );
    },
  },
  {
    name: "listForUser answers the user's keys only, oldest first, without digests",
    async run({ store }) {
      const userId = freshId();
      const newer = stored({ userId, createdAt: nowMs(-1000) });
      const older = stored({ userId, createdAt: nowMs(-5000) });
      await store.create(newer);
      await store.create(older);
      await store.create(stored());
      const list = await store.listForUser(userId);
      assert.deepEqual(list, [withoutDigest(older), withoutDigest(newer)]);
      assert.deepEqual(await store.listForUser(freshId()), []);
    },
  },
  {
    name: 'revoke deletes the key at once and answers what it was; a second revoke answers null',
    async run({ store }) {
      const key = stored();
      const sibling = stored({ userId: key.userId });
      await store.create(key);
      await store.create(sibling);
      assert.deepEqual(await store.revoke(key.id), withoutDigest(key));
      assert.equal(await store.findByDigest(key.keyHash), null);
      assert.equal(await store.get(key.id), null);
      assert.deepEqual(
        (await store.listForUser(key.userId)).map((k) => k.id),
        [sibling.id],
      );
      assert.equal(await store.revoke(key.id), null);
      assert.equal(await store.revoke(freshId()), null);
      assert.notEqual(await store.findByDigest(sibling.keyHash), null, "the owner's other key stays");
    },
  },
  {
    name: "revokeAllForUser deletes every key of the user, and no one else's",
    async run({ store }) {
      const userId = freshId();
      const keys = [stored({ userId }), stored({ userId })];
      const other = stored();
      for (const key of [...keys, other]) await store.create(key);
      assert.equal(await store.revokeAllForUser(userId), 2);
      for (const key of keys) assert.equal(await store.findByDigest(key.keyHash), null);
      assert.deepEqual(await store.listForUser(userId), []);
      assert.notEqual(await store.findByDigest(other.keyHash), null);
    },
  },
  {
    name: 'touch writes lastUsedAt when it is unset or before the cut-off, and not when it is at or after it',
    async run({ store }) {
      const key = stored();
      await store.create(key);
      const first = nowMs();
      assert.equal(await store.touch(key.id, first, nowMs(-60_000)), true, 'never used: written');
      assert.deepEqual((await store.get(key.id))?.lastUsedAt, first);
      const again = nowMs(10);
      assert.equal(await store.touch(key.id, again, new Date(again.getTime() - 60_000)), false, 'used within the interval: not written');
      assert.deepEqual((await store.get(key.id))?.lastUsedAt, first);
      const later = new Date(first.getTime() + 61_000);
      assert.equal(await store.touch(key.id, later, new Date(later.getTime() - 60_000)), true, 'past the interval: written');
      assert.deepEqual((await store.findByDigest(key.keyHash))?.lastUsedAt, later);
      assert.equal(await store.touch(freshId(), nowMs(), nowMs(-60_000)), false, 'an unknown id is no error');
    },
  },
  {
    name: 'of concurrent touches within one interval, exactly one writes',
    async run({ store }) {
      const key = stored();
      await store.create(key);
      const at = nowMs();
      const wrote = await Promise.all(Array.from({ length: 8 }, (_, i) => store.touch(key.id, new Date(at.getTime() + i), new Date(at.getTime() - 60_000))));
      assert.equal(wrote.filter(Boolean).length, 1);
    },
  },
  {
    name: 'purgeExpired deletes keys expired before now, and no others',
    applies: ({ store }) => typeof store.purgeExpired === 'function',
    async run({ store }) {
      const expired = stored({ expiresAt: nowMs(-1000) });
      const alive = stored();
      const forever = stored({ expiresAt: null });
      for (const key of [expired, alive, forever]) await store.create(key);
      assert.ok((await store.purgeExpired!(nowMs())) >= 1);
      assert.equal(await store.findByDigest(expired.keyHash), null);
      assert.notEqual(await store.findByDigest(alive.keyHash), null);
      assert.notEqual(await store.findByDigest(forever.keyHash), null);
    },
  },
  {
    name: 'ready() resolves for a usable store',
    applies: ({ store }) => typeof store.ready === 'function',
    async run({ store }) {
      await store.ready!();
    },
  },
];

/**
 * Registers a mocha `describe(title)` checking an `ApiKeyStore` against what `ApiKeyStrategy`
 * relies on. `factory` answers `{ store, cleanup? }`, once for all cases.
 */
export function describeApiKeyStoreConformance(title: string, factory: () => Promise<ApiKeyStoreFixture>, options: { runner?: TestRunner } = {}): void {
  describeConformanceCases(title, apiKeyStoreConformanceCases, factory, options.runner);
}
