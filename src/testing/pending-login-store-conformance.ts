import assert from 'node:assert/strict';
import { randomBytes } from 'crypto';
import type { PendingLogin, PendingLoginStore } from '../two-factor/pending-logins';
import { freshId, sleep } from './case-tools';
import { describeConformanceCases, type ConformanceCase, type ConformanceFixture, type TestRunner } from './conformance';

/** What a pending-login store suite's factory answers. */
export interface PendingLoginStoreFixture extends ConformanceFixture {
  store: PendingLoginStore;
}

/** The lifetime the library gives a pending login (`PENDING_LOGIN_LIFETIME_SECONDS`). */
const FIVE_MINUTES = 300;

/** A pending login as the login flow records one. */
function record(fields: Partial<PendingLogin> = {}): PendingLogin {
  return {
    purpose: 'login',
    userId: freshId(),
    backend: 'jwt',
    amr: ['pwd'],
    scopes: ['items:read'],
    refreshCookiePath: '/auth/jwt/refresh',
    expiresAt: Date.now() + FIVE_MINUTES * 1000,
    ...fields,
  };
}

/** A token digest as the library makes one: SHA-256, hex. */
function freshDigest(): string {
  return randomBytes(32).toString('hex');
}

/**
 * What the second-factor login relies on from a `PendingLoginStore` (flows/second-factor-login.ts):
 * a login is read as saved, a peek leaves it, a take removes it once (exactly once under concurrent
 * requests), and nothing is given back after its expiry.
 */
export const pendingLoginStoreConformanceCases: readonly ConformanceCase<PendingLoginStoreFixture>[] = [
  {
    name: 'peek and take answer the login as saved, for a login and an enrolment',
    async run({ store }) {
      const login = record();
      const enrol = record({ purpose: 'enrol', amr: ['fed'], scopes: [], refreshCookiePath: undefined });
      const [a, b] = [freshDigest(), freshDigest()];
      await store.save(a, login, FIVE_MINUTES);
      await store.save(b, enrol, FIVE_MINUTES);
      assert.deepEqual(await store.peek(a), login);
      assert.deepEqual(await store.take(a), login);
      const taken = await store.take(b);
      // A store that serialises may drop the absent field rather than keep it as undefined.
      assert.deepEqual({ ...taken, refreshCookiePath: undefined }, enrol);
    },
  },
  {
    name: 'a peek leaves the login in place (a wrong code does not use the token up)',
    async run({ store }) {
      const digest = freshDigest();
      const login = record();
      await store.save(digest, login, FIVE_MINUTES);
      assert.deepEqual(await store.peek(digest), login);
      assert.deepEqual(await store.peek(digest), login);
      assert.deepEqual(await store.take(digest), login);
    },
  },
  {
    name: 'a login is taken once: then peek and take answer undefined, as for an unknown digest',
    async run({ store }) {
      const digest = freshDigest();
      await store.save(digest, record(), FIVE_MINUTES);
      assert.ok(await store.take(digest));
      assert.equal(await store.take(digest), undefined);
      assert.equal(await store.peek(digest), undefined);
      assert.equal(await store.take(freshDigest()), undefined);
      assert.equal(await store.peek(freshDigest()), undefined);
    },
  },
  {
    name: 'of 20 concurrent takes of one login, exactly one gets it',
    async run({ store }) {
      const digest = freshDigest();
      await store.save(digest, record(), FIVE_MINUTES);
      const answers = await Promise.all(Array.from({ length: 20 }, () => store.take(digest)));
      assert.equal(answers.filter((a) => a !== undefined).length, 1);
    },
  },
  {
    name: 'taking one login leaves the others',
    async run({ store }) {
      const [first, second] = [freshDigest(), freshDigest()];
      const kept = record();
      await store.save(first, record(), FIVE_MINUTES);
      await store.save(second, kept, FIVE_MINUTES);
      await store.take(first);
      assert.deepEqual(await store.peek(second), kept);
    },
  },
  {
    name: 'a login past its expiresAt is never given back, by peek or take',
    async run({ store }) {
      const digest = freshDigest();
      await store.save(digest, record({ expiresAt: Date.now() - 1 }), FIVE_MINUTES);
      assert.equal(await store.peek(digest), undefined);
      assert.equal(await store.take(digest), undefined);
    },
  },
  {
    name: 'a login with a short lifetime is gone once it has passed',
    timeoutMs: 5000,
    async run({ store }) {
      const digest = freshDigest();
      await store.save(digest, record({ expiresAt: Date.now() + 300 }), 1);
      await sleep(400);
      assert.equal(await store.peek(digest), undefined);
      assert.equal(await store.take(digest), undefined);
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
 * Registers a mocha `describe(title)` checking a `PendingLoginStore` against what the second-factor
 * login relies on. `factory` answers `{ store, cleanup? }`, once for all cases.
 */
export function describePendingLoginStoreConformance(
  title: string,
  factory: () => Promise<PendingLoginStoreFixture>,
  options: { runner?: TestRunner } = {},
): void {
  describeConformanceCases(title, pendingLoginStoreConformanceCases, factory, options.runner);
}
