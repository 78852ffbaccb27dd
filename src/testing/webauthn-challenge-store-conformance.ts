import assert from 'node:assert/strict';
import { randomBytes } from 'crypto';
import type { WebAuthnChallengeRecord, WebAuthnChallengeStore } from '../passkeys/challenge-store';
import { freshId, sleep } from './case-tools';
import { describeConformanceCases, type ConformanceCase, type ConformanceFixture, type TestRunner } from './conformance';

/** What a WebAuthn challenge store suite's factory answers. */
export interface WebAuthnChallengeStoreFixture extends ConformanceFixture {
  store: WebAuthnChallengeStore;
}

/** The challenges' lifetime the library gives (`WEBAUTHN_CHALLENGE_LIFETIME_SECONDS`). */
const FIVE_MINUTES = 300;

function record(fields: Partial<WebAuthnChallengeRecord> = {}): WebAuthnChallengeRecord {
  return { purpose: 'login', expiresAt: Date.now() + FIVE_MINUTES * 1000, ...fields };
}

/** A challenge as @simplewebauthn/server makes one: 32 random bytes, base64url. */
function freshChallenge(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * What the passkey ceremonies rely on from a `WebAuthnChallengeStore` (passkeys/passkeys.ts): a
 * challenge is given back once, with its purpose and user as saved, never after its expiry, and
 * exactly once when responses race.
 */
export const webAuthnChallengeStoreConformanceCases: readonly ConformanceCase<WebAuthnChallengeStoreFixture>[] = [
  {
    name: 'take answers the record as saved, for each purpose, with and without a user',
    async run({ store }) {
      const saved: Array<[string, WebAuthnChallengeRecord]> = [
        [freshChallenge(), record()],
        [freshChallenge(), record({ purpose: 'registration', userId: freshId() })],
        [freshChallenge(), record({ purpose: 'second_factor', userId: freshId() })],
      ];
      for (const [challenge, value] of saved) await store.save(challenge, value, FIVE_MINUTES);
      for (const [challenge, value] of saved) assert.deepEqual(await store.take(challenge), value);
    },
  },
  {
    name: 'a challenge is taken once: a second take, and an unknown challenge, answer undefined',
    async run({ store }) {
      const challenge = freshChallenge();
      await store.save(challenge, record(), FIVE_MINUTES);
      assert.ok(await store.take(challenge));
      assert.equal(await store.take(challenge), undefined);
      assert.equal(await store.take(freshChallenge()), undefined);
    },
  },
  {
    name: 'of 20 concurrent takes of one challenge, exactly one gets the record',
    async run({ store }) {
      const challenge = freshChallenge();
      await store.save(challenge, record(), FIVE_MINUTES);
      const answers = await Promise.all(Array.from({ length: 20 }, () => store.take(challenge)));
      assert.equal(answers.filter((a) => a !== undefined).length, 1);
    },
  },
  {
    name: 'taking one challenge leaves the others; a challenge differing by one character is another',
    async run({ store }) {
      const first = freshChallenge();
      const second = freshChallenge();
      const kept = record({ purpose: 'registration', userId: freshId() });
      await store.save(first, record(), FIVE_MINUTES);
      await store.save(second, kept, FIVE_MINUTES);
      assert.equal(await store.take(first.slice(0, -1) + (first.endsWith('A') ? 'B' : 'A')), undefined);
      await store.take(first);
      assert.deepEqual(await store.take(second), kept);
    },
  },
  {
    name: 'a challenge past its expiresAt is never given back',
    async run({ store }) {
      const challenge = freshChallenge();
      await store.save(challenge, record({ expiresAt: Date.now() - 1 }), FIVE_MINUTES);
      assert.equal(await store.take(challenge), undefined);
    },
  },
  {
    name: 'a challenge with a short lifetime is gone once it has passed',
    timeoutMs: 5000,
    async run({ store }) {
      const challenge = freshChallenge();
      await store.save(challenge, record({ expiresAt: Date.now() + 300 }), 1);
      await sleep(400);
      assert.equal(await store.take(challenge), undefined);
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
 * Registers a mocha `describe(title)` checking a `WebAuthnChallengeStore` against what the passkey
 * ceremonies rely on. `factory` answers `{ store, cleanup? }`, once for all cases.
 */
export function describeWebAuthnChallengeStoreConformance(
  title: string,
  factory: () => Promise<WebAuthnChallengeStoreFixture>,
  options: { runner?: TestRunner } = {},
): void {
  describeConformanceCases(title, webAuthnChallengeStoreConformanceCases, factory, options.runner);
}
