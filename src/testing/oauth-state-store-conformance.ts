import assert from 'node:assert/strict';
import { randomBytes } from 'crypto';
import type { OAuthStateRecord, OAuthStateStore } from '../oauth/state-store';
import { freshId, sleep } from './case-tools';
import { describeConformanceCases, type ConformanceCase, type ConformanceFixture, type TestRunner } from './conformance';

/** What an OAuth state store suite's factory answers. */
export interface OAuthStateStoreFixture extends ConformanceFixture {
  store: OAuthStateStore;
}

/** The flow's lifetime the library gives (`OAUTH_STATE_LIFETIME_SECONDS`'s order of magnitude). */
const TEN_MINUTES = 600;

/** A flow as `OAuthFlows.begin` records one. */
function record(fields: Partial<OAuthStateRecord> = {}): OAuthStateRecord {
  return {
    purpose: 'login',
    bindingDigest: randomBytes(32).toString('hex'),
    codeVerifier: randomBytes(32).toString('base64url'),
    nonce: randomBytes(16).toString('base64url'),
    expiresAt: Date.now() + TEN_MINUTES * 1000,
    ...fields,
  };
}

/** A state as the library makes one: random, URL-safe. */
function freshState(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * What the OAuth flow relies on from an `OAuthStateStore` (oauth/flow.ts): a state is given back
 * once, with its record as saved, never after its expiry, and exactly once under concurrent callbacks.
 */
export const oauthStateStoreConformanceCases: readonly ConformanceCase<OAuthStateStoreFixture>[] = [
  {
    name: 'take answers the record as saved, for a login and for an associate flow',
    async run({ store }) {
      const login = record();
      const associate = record({ purpose: 'associate', userId: freshId() });
      const [loginState, associateState] = [freshState(), freshState()];
      await store.save(loginState, login, TEN_MINUTES);
      await store.save(associateState, associate, TEN_MINUTES);
      assert.deepEqual(await store.take(loginState), login);
      assert.deepEqual(await store.take(associateState), associate);
    },
  },
  {
    name: 'a state is taken once: a second take, and an unknown state, answer undefined',
    async run({ store }) {
      const state = freshState();
      await store.save(state, record(), TEN_MINUTES);
      assert.ok(await store.take(state));
      assert.equal(await store.take(state), undefined);
      assert.equal(await store.take(freshState()), undefined);
    },
  },
  {
    name: 'of 20 concurrent takes of one state, exactly one gets the record',
    async run({ store }) {
      const state = freshState();
      await store.save(state, record(), TEN_MINUTES);
      const answers = await Promise.all(Array.from({ length: 20 }, () => store.take(state)));
      assert.equal(answers.filter((a) => a !== undefined).length, 1);
    },
  },
  {
    name: 'taking one state leaves the others',
    async run({ store }) {
      const [first, second] = [freshState(), freshState()];
      const kept = record();
      await store.save(first, record(), TEN_MINUTES);
      await store.save(second, kept, TEN_MINUTES);
      await store.take(first);
      assert.deepEqual(await store.take(second), kept);
    },
  },
  {
    name: 'a state past its expiresAt is never given back',
    async run({ store }) {
      const state = freshState();
      await store.save(state, record({ expiresAt: Date.now() - 1 }), TEN_MINUTES);
      assert.equal(await store.take(state), undefined);
    },
  },
  {
    name: 'a state with a short lifetime is gone once it has passed',
    timeoutMs: 5000,
    async run({ store }) {
      const state = freshState();
      await store.save(state, record({ expiresAt: Date.now() + 300 }), 1);
      await sleep(400);
      assert.equal(await store.take(state), undefined);
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
 * Registers a mocha `describe(title)` checking an `OAuthStateStore` against what the OAuth flow
 * relies on. `factory` answers `{ store, cleanup? }`, once for all cases.
 */
export function describeOAuthStateStoreConformance(title: string, factory: () => Promise<OAuthStateStoreFixture>, options: { runner?: TestRunner } = {}): void {
  describeConformanceCases(title, oauthStateStoreConformanceCases, factory, options.runner);
}
