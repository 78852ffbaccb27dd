import assert from 'node:assert/strict';
import { randomBytes } from 'crypto';
import type { NewPasskey, PasskeyStore } from '../passkeys/passkey-store';
import { freshId } from './case-tools';
import { describeConformanceCases, type ConformanceCase, type ConformanceFixture, type TestRunner } from './conformance';

/** What a passkey store suite's factory answers. */
export interface PasskeyStoreFixture extends ConformanceFixture {
  store: PasskeyStore;
}

function newPasskey(fields: Partial<NewPasskey> = {}): NewPasskey {
  return {
    credentialId: randomBytes(32).toString('base64url'),
    publicKey: randomBytes(77).toString('base64url'),
    counter: 0,
    transports: ['internal', 'hybrid'],
    name: 'Laptop',
    deviceType: 'singleDevice',
    backedUp: false,
    aaguid: '00000000-0000-0000-0000-000000000000',
    userId: freshId(),
    ...fields,
  };
}

const use = (counter: number) => ({ counter, backedUp: false, usedAt: new Date() });

/**
 * What the passkey ceremonies and routes rely on from a `PasskeyStore`: a credential id belongs to
 * one passkey, ids of other users' passkeys behave as unknown ones, and the sign counter only moves
 * forward, once per value even when uses race.
 */
export const passkeyStoreConformanceCases: readonly ConformanceCase<PasskeyStoreFixture>[] = [
  {
    name: 'create answers the passkey as stored; findByCredentialId and findForUser find it',
    async run({ store }) {
      const fields = newPasskey({ counter: 4_000_000_000 });
      const created = await store.create(fields);
      assert.ok(created);
      assert.equal(typeof created.id, 'string');
      assert.ok(created.createdAt instanceof Date);
      assert.equal(created.lastUsedAt, null);
      const found = await store.findByCredentialId(fields.credentialId);
      assert.ok(found);
      assert.deepEqual({ ...found, createdAt: found.createdAt.getTime() }, { ...created, createdAt: created.createdAt.getTime() });
      assert.equal(found.counter, 4_000_000_000, 'a 32-bit unsigned counter comes back as the number stored');
      assert.deepEqual(found.transports, ['internal', 'hybrid']);
      assert.ok(await store.findForUser(fields.userId, created.id));
    },
  },
  {
    name: 'a credential id is registered once: a second create (for anyone) answers null',
    async run({ store }) {
      const fields = newPasskey();
      assert.ok(await store.create(fields));
      assert.equal(await store.create({ ...fields, userId: freshId() }), null);
    },
  },
  {
    name: "listForUser and hasAny see the user's own passkeys only, oldest first",
    async run({ store }) {
      const userId = freshId();
      assert.equal(await store.hasAny(userId), false);
      const first = await store.create(newPasskey({ userId, name: 'first' }));
      await new Promise((resolve) => setTimeout(resolve, 5));
      const second = await store.create(newPasskey({ userId, name: 'second' }));
      await store.create(newPasskey());
      assert.equal(await store.hasAny(userId), true);
      assert.deepEqual(
        (await store.listForUser(userId)).map((p) => p.id),
        [first!.id, second!.id],
      );
    },
  },
  {
    name: "another user's, an unknown and a malformed id: findForUser null, rename null, remove false",
    async run({ store }) {
      const owned = (await store.create(newPasskey()))!;
      for (const [userId, id] of [
        [freshId(), owned.id],
        [owned.userId, '00000000-0000-4000-8000-000000000000'],
        [owned.userId, 'not-an-id'],
      ]) {
        assert.equal(await store.findForUser(userId, id), null);
        assert.equal(await store.rename(userId, id, 'taken'), null);
        assert.equal(await store.remove(userId, id), false);
      }
      assert.equal((await store.findForUser(owned.userId, owned.id))?.name, 'Laptop');
    },
  },
  {
    name: 'rename answers the renamed passkey; remove removes it',
    async run({ store }) {
      const passkey = (await store.create(newPasskey()))!;
      assert.equal((await store.rename(passkey.userId, passkey.id, 'Phone'))?.name, 'Phone');
      assert.equal((await store.findByCredentialId(passkey.credentialId))?.name, 'Phone');
      assert.equal(await store.remove(passkey.userId, passkey.id), true);
      assert.equal(await store.findByCredentialId(passkey.credentialId), null);
      assert.equal(await store.hasAny(passkey.userId), false);
    },
  },
  {
    name: 'recordUse moves the counter forward only: a lower, an equal or a stale previous counter answers false',
    async run({ store }) {
      const passkey = (await store.create(newPasskey({ counter: 5 })))!;
      assert.equal(await store.recordUse(passkey.id, 5, use(4)), false);
      assert.equal(await store.recordUse(passkey.id, 5, use(5)), false);
      assert.equal(await store.recordUse(passkey.id, 5, use(6)), true);
      assert.equal(await store.recordUse(passkey.id, 5, use(9)), false, 'the counter read before verifying is no longer the stored one');
      const stored = (await store.findByCredentialId(passkey.credentialId))!;
      assert.equal(stored.counter, 6);
      assert.ok(stored.lastUsedAt instanceof Date);
    },
  },
  {
    name: 'recordUse with an authenticator that keeps no counter (0 and 0) succeeds every time',
    async run({ store }) {
      const passkey = (await store.create(newPasskey({ counter: 0 })))!;
      assert.equal(await store.recordUse(passkey.id, 0, use(0)), true);
      assert.equal(await store.recordUse(passkey.id, 0, { counter: 0, backedUp: true, usedAt: new Date() }), true);
      assert.equal((await store.findByCredentialId(passkey.credentialId))!.backedUp, true);
    },
  },
  {
    name: 'of 10 concurrent uses with one counter value, exactly one is recorded',
    async run({ store }) {
      const passkey = (await store.create(newPasskey({ counter: 1 })))!;
      const answers = await Promise.all(Array.from({ length: 10 }, () => store.recordUse(passkey.id, 1, use(2))));
      assert.equal(answers.filter(Boolean).length, 1);
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
 * Registers a mocha `describe(title)` checking a `PasskeyStore` against what the passkey routes and
 * ceremonies rely on. `factory` answers `{ store, cleanup? }`, once for all cases.
 */
export function describePasskeyStoreConformance(title: string, factory: () => Promise<PasskeyStoreFixture>, options: { runner?: TestRunner } = {}): void {
  describeConformanceCases(title, passkeyStoreConformanceCases, factory, options.runner);
}
