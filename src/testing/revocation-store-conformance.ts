import assert from 'node:assert/strict';
import type { IssuedToken, RevocationStore } from '../strategies/revocation/revocation-store';
import { freshId, nowMs, sleep } from './case-tools';
import { describeConformanceCases, type ConformanceCase, type ConformanceFixture, type TestRunner } from './conformance';

/** What a revocation store suite's factory answers. */
export interface RevocationStoreFixture extends ConformanceFixture {
  store: RevocationStore;
}

/** A JWT as `JwtStrategy` describes one: a fresh `jti` and user, issued now, an hour to live. */
function issued(fields: Partial<IssuedToken> = {}): IssuedToken {
  return { tokenId: freshId(), userId: freshId(), issuedAtMs: Date.now(), expiresAt: nowMs(3600_000), ...fields };
}

/**
 * What `JwtStrategy` relies on from a `RevocationStore`: a deny-list of token ids kept until each
 * token's expiry, a per-user cut-off ("issued at or before"), and per-session revocation.
 */
export const revocationStoreConformanceCases: readonly ConformanceCase<RevocationStoreFixture>[] = [
  {
    name: 'a token never revoked is not revoked (unknown tokens, users and sessions never raise an error)',
    async run({ store }) {
      assert.equal(await store.isRevoked(issued()), false);
      assert.equal(await store.isRevoked(issued({ sessionId: freshId() })), false);
    },
  },
  {
    name: "revoke denies that token, and none of the user's other tokens",
    async run({ store }) {
      const token = issued();
      const sibling = issued({ userId: token.userId });
      await store.revoke(token);
      assert.equal(await store.isRevoked(token), true);
      assert.equal(await store.isRevoked(sibling), false);
    },
  },
  {
    name: 'revoking a token twice is harmless',
    async run({ store }) {
      const token = issued();
      await store.revoke(token);
      await store.revoke(token);
      assert.equal(await store.isRevoked(token), true);
    },
  },
  {
    name: 'a deny-list entry holds while its token lives, however short that is',
    timeoutMs: 5000,
    async run({ store }) {
      const token = issued({ expiresAt: nowMs(1500) });
      await store.revoke(token);
      await sleep(300);
      assert.equal(await store.isRevoked(token), true);
    },
  },
  {
    name: "revokeAllIssuedBefore denies the user's tokens issued at or before the cut-off, not those issued after",
    async run({ store }) {
      const userId = freshId();
      const at = new Date(Date.now() - 60_000);
      await store.revokeAllIssuedBefore(userId, at);
      assert.equal(await store.isRevoked(issued({ userId, issuedAtMs: at.getTime() - 1000 })), true, 'issued before');
      assert.equal(await store.isRevoked(issued({ userId, issuedAtMs: at.getTime() })), true, 'issued at the cut-off');
      assert.equal(await store.isRevoked(issued({ userId, issuedAtMs: at.getTime() + 1 })), false, 'issued a millisecond after');
    },
  },
  {
    name: 'a cut-off concerns its user only',
    async run({ store }) {
      const at = new Date();
      await store.revokeAllIssuedBefore(freshId(), at);
      assert.equal(await store.isRevoked(issued({ issuedAtMs: at.getTime() - 1000 })), false);
    },
  },
  {
    name: 'a later cut-off replaces an earlier one',
    async run({ store }) {
      const userId = freshId();
      const first = new Date(Date.now() - 60_000);
      await store.revokeAllIssuedBefore(userId, first);
      await store.revokeAllIssuedBefore(userId, new Date(first.getTime() + 30_000));
      assert.equal(await store.isRevoked(issued({ userId, issuedAtMs: first.getTime() + 10_000 })), true);
    },
  },
  {
    name: "revokeSession denies every token of the session while they live, not another session's nor the user's tokens without one",
    applies: ({ store }) => typeof store.revokeSession === 'function',
    timeoutMs: 5000,
    async run({ store }) {
      const userId = freshId();
      const sessionId = freshId();
      await store.revokeSession!(sessionId, nowMs(1500));
      await sleep(300);
      assert.equal(await store.isRevoked(issued({ userId, sessionId })), true);
      assert.equal(await store.isRevoked(issued({ userId, sessionId })), true, 'every token of it');
      assert.equal(await store.isRevoked(issued({ userId, sessionId: freshId() })), false, 'another session');
      assert.equal(await store.isRevoked(issued({ userId })), false, 'a token without a session');
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
 * Registers a mocha `describe(title)` checking a `RevocationStore` against what `JwtStrategy`
 * relies on. `factory` answers `{ store, cleanup? }`, once for all cases.
 */
export function describeRevocationStoreConformance(title: string, factory: () => Promise<RevocationStoreFixture>, options: { runner?: TestRunner } = {}): void {
  describeConformanceCases(title, revocationStoreConformanceCases, factory, options.runner);
}
