import assert from 'node:assert/strict';
import type { NewSession, SessionState, SessionStore } from '../sessions/session-store';
import { freshDigest, freshId, nowMs, sleep, timeOf, winners } from './case-tools';
import { describeConformanceCases, type ConformanceCase, type ConformanceFixture, type TestRunner } from './conformance';

/** What a session store suite's factory answers. */
export interface SessionStoreFixture extends ConformanceFixture {
  store: SessionStore;
}

/** How many callers race in the concurrency cases. */
const RACERS = 8;

/** A session as `Sessions.start` makes one at login: a fresh id, user and digest, one hour to live. */
function newSession(fields: Partial<NewSession> = {}): NewSession {
  const now = nowMs();
  return {
    id: freshId(),
    userId: freshId(),
    backend: 'conformance',
    scopes: ['items:read', 'items:write'],
    createdAt: now,
    lastUsedAt: now,
    expiresAt: nowMs(3600_000),
    userAgent: 'conformance-agent/1.0',
    ip: '203.0.113.7',
    authTime: now,
    amr: ['pwd'],
    currentDigest: freshDigest(),
    ...fields,
  };
}

/** The session as the store holds it now; fails when it has none. */
async function stateOf(store: SessionStore, id: string): Promise<SessionState> {
  const state = await store.get(id);
  assert.ok(state, `get("${id}") answered null for a session that should exist`);
  return state;
}

/** A session rotated once: `previousDigest` set, as a refresh leaves it. */
async function rotatedSession(store: SessionStore, fields: Partial<NewSession> = {}): Promise<SessionState> {
  const created = newSession(fields);
  await store.create(created);
  assert.equal(await store.rotate(await stateOf(store, created.id), freshDigest(), nowMs()), true, 'the first rotation of a new session must win');
  return stateOf(store, created.id);
}

/** Every field of `SessionInfo` and the rotation state, dates as milliseconds. */
function comparable(state: SessionState | NewSession): Record<string, unknown> {
  const rotation = state as Partial<SessionState>;
  return {
    id: state.id,
    userId: state.userId,
    backend: state.backend,
    scopes: state.scopes,
    createdAt: timeOf(state.createdAt),
    lastUsedAt: timeOf(state.lastUsedAt),
    expiresAt: timeOf(state.expiresAt),
    userAgent: state.userAgent,
    ip: state.ip,
    authTime: timeOf(state.authTime),
    amr: state.amr,
    currentDigest: state.currentDigest,
    previousDigest: rotation.previousDigest ?? null,
    rotatedAt: timeOf(rotation.rotatedAt ?? null),
  };
}

/**
 * What the library relies on from a `SessionStore` (sessions.ts, refresh.ts): records kept as
 * given, compare-and-set rotation that exactly one of concurrent refreshes wins, revocation that
 * leaves no refresh token of the session working, and the user's session list.
 */
export const sessionStoreConformanceCases: readonly ConformanceCase<SessionStoreFixture>[] = [
  {
    name: 'get answers a created session as it was given, never rotated',
    async run({ store }) {
      const session = newSession();
      await store.create(session);
      assert.deepEqual(comparable(await stateOf(store, session.id)), comparable(session));
    },
  },
  {
    name: 'keeps what a login records at its longest (a 512-character user agent, a 64-character address) and its empty values (nulls, no scopes, no amr)',
    async run({ store }) {
      const longest = newSession({ userAgent: 'a'.repeat(512), ip: 'f'.repeat(64) });
      const empty = newSession({ userAgent: null, ip: null, authTime: null, amr: [], scopes: [] });
      await store.create(longest);
      await store.create(empty);
      assert.deepEqual(comparable(await stateOf(store, longest.id)), comparable(longest));
      assert.deepEqual(comparable(await stateOf(store, empty.id)), comparable(empty));
    },
  },
  {
    name: 'findByDigest answers the session its live refresh token digest belongs to',
    async run({ store }) {
      const session = newSession();
      await store.create(session);
      assert.equal((await store.findByDigest(session.currentDigest))?.id, session.id);
    },
  },
  {
    name: 'unknown sessions, digests and users answer null or an empty list, never an error',
    async run({ store }) {
      assert.equal(await store.get(freshId()), null);
      assert.equal(await store.findByDigest(freshDigest()), null);
      assert.equal(await store.revoke(freshId()), null);
      assert.deepEqual(await store.listForUser(freshId()), []);
      assert.deepEqual(await store.revokeAllForUser(freshId()), []);
    },
  },
  {
    name: 'rotate makes the next digest live, keeps the rotated one as previous (so its reuse is recognised) and leaves the expiry alone',
    async run({ store }) {
      const session = newSession();
      await store.create(session);
      const next = freshDigest();
      const at = nowMs();
      assert.equal(await store.rotate(await stateOf(store, session.id), next, at), true);
      const state = await stateOf(store, session.id);
      assert.equal(state.currentDigest, next);
      assert.equal(state.previousDigest, session.currentDigest);
      assert.equal(timeOf(state.rotatedAt), at.getTime());
      assert.equal(timeOf(state.lastUsedAt), at.getTime());
      assert.equal(timeOf(state.expiresAt), session.expiresAt.getTime());
      assert.equal((await store.findByDigest(next))?.id, session.id, 'the new digest finds the session');
      assert.equal((await store.findByDigest(session.currentDigest))?.id, session.id, 'the rotated digest still finds it (reuse detection)');
    },
  },
  {
    name: 'rotate refuses a state another rotation has moved on from, changing nothing',
    async run({ store }) {
      const session = newSession();
      await store.create(session);
      const observed = await stateOf(store, session.id);
      const first = freshDigest();
      assert.equal(await store.rotate(observed, first, nowMs()), true);
      assert.equal(await store.rotate(observed, freshDigest(), nowMs()), false, 'a second rotation of the same observed state must lose');
      assert.equal((await stateOf(store, session.id)).currentDigest, first);
    },
  },
  {
    name: `of ${RACERS} concurrent rotations of one state, exactly one wins and its digest is the live one`,
    async run({ store }) {
      const session = newSession();
      await store.create(session);
      const observed = await stateOf(store, session.id);
      const nexts = Array.from({ length: RACERS }, () => freshDigest());
      const won = winners(await Promise.all(nexts.map((next) => store.rotate(observed, next, nowMs()))));
      assert.equal(won.length, 1, `${won.length} of ${RACERS} concurrent rotations won`);
      assert.equal((await stateOf(store, session.id)).currentDigest, nexts[won[0]]);
    },
  },
  {
    name: 'replaceSuccessor replaces the live successor of the previous token, which stays the previous one',
    async run({ store }) {
      const rotated = await rotatedSession(store);
      const next = freshDigest();
      assert.equal(await store.replaceSuccessor(rotated, next, nowMs()), true);
      const state = await stateOf(store, rotated.id);
      assert.equal(state.currentDigest, next);
      assert.equal(state.previousDigest, rotated.previousDigest);
      assert.equal((await store.findByDigest(next))?.id, rotated.id);
    },
  },
  {
    name: 'replaceSuccessor refuses a session never rotated, and a state the session has moved on from',
    async run({ store }) {
      const fresh = newSession();
      await store.create(fresh);
      assert.equal(await store.replaceSuccessor(await stateOf(store, fresh.id), freshDigest(), nowMs()), false, 'nothing to replace before a rotation');
      const rotated = await rotatedSession(store);
      const later = freshDigest();
      assert.equal(await store.rotate(rotated, later, nowMs()), true);
      assert.equal(await store.replaceSuccessor(rotated, freshDigest(), nowMs()), false, 'the session rotated on meanwhile');
      assert.equal((await stateOf(store, rotated.id)).currentDigest, later);
    },
  },
  {
    name: `of ${RACERS} concurrent rotations and successor replacements of one state, exactly one wins`,
    async run({ store }) {
      const rotated = await rotatedSession(store);
      const nexts = Array.from({ length: RACERS }, () => freshDigest());
      const answers = await Promise.all(
        nexts.map((next, i) => (i % 2 === 0 ? store.rotate(rotated, next, nowMs()) : store.replaceSuccessor(rotated, next, nowMs()))),
      );
      const won = winners(answers);
      assert.equal(won.length, 1, `${won.length} of ${RACERS} concurrent refreshes won`);
      assert.equal((await stateOf(store, rotated.id)).currentDigest, nexts[won[0]]);
    },
  },
  {
    name: "listForUser answers the user's sessions, and no other user's",
    async run({ store }) {
      const userId = freshId();
      const mine = [newSession({ userId }), newSession({ userId })];
      const theirs = newSession();
      for (const session of [...mine, theirs]) await store.create(session);
      const listed = await store.listForUser(userId);
      assert.deepEqual(listed.map((s) => s.id).sort(), mine.map((s) => s.id).sort());
      assert.ok(
        listed.every((s) => s.userId === userId && s.backend === 'conformance'),
        'each listed session names its user and backend',
      );
    },
  },
  {
    name: 'listForUser leaves out a session once its expiry has passed',
    timeoutMs: 5000,
    async run({ store }) {
      const userId = freshId();
      const lasting = newSession({ userId });
      const brief = newSession({ userId, expiresAt: nowMs(300) });
      await store.create(lasting);
      await store.create(brief);
      assert.equal((await store.listForUser(userId)).length, 2, 'both are live at first');
      await sleep(400);
      assert.deepEqual(
        (await store.listForUser(userId)).map((s) => s.id),
        [lasting.id],
      );
    },
  },
  {
    name: 'revoke answers the session it deleted; then no digest of it finds it and a second revoke answers null',
    async run({ store }) {
      const rotated = await rotatedSession(store);
      const ended = await store.revoke(rotated.id);
      assert.ok(ended, 'revoke answered null for a live session');
      assert.deepEqual({ id: ended.id, userId: ended.userId, backend: ended.backend }, { id: rotated.id, userId: rotated.userId, backend: rotated.backend });
      assert.equal(await store.get(rotated.id), null);
      assert.equal(await store.findByDigest(rotated.currentDigest), null, 'the live refresh token is gone');
      assert.equal(await store.findByDigest(rotated.previousDigest!), null, 'the rotated one too');
      assert.deepEqual(await store.listForUser(rotated.userId), []);
      assert.equal(await store.revoke(rotated.id), null);
    },
  },
  {
    name: `of ${RACERS} concurrent revocations of one session, exactly one answers it`,
    async run({ store }) {
      const session = newSession();
      await store.create(session);
      const answers = await Promise.all(Array.from({ length: RACERS }, () => store.revoke(session.id)));
      assert.equal(answers.filter((a) => a !== null).length, 1, 'the session must be reported ended once (its hooks and events run once)');
    },
  },
  {
    name: 'a session revoked while a refresh of it runs: rotate and replaceSuccessor lose, and leave no digest that finds it',
    async run({ store }) {
      const rotated = await rotatedSession(store);
      await store.revoke(rotated.id);
      const [late, later] = [freshDigest(), freshDigest()];
      assert.equal(await store.rotate(rotated, late, nowMs()), false);
      assert.equal(await store.replaceSuccessor(rotated, later, nowMs()), false);
      assert.equal(await store.findByDigest(late), null);
      assert.equal(await store.findByDigest(later), null);
      assert.equal(await store.get(rotated.id), null);
    },
  },
  {
    name: 'revokeAllForUser deletes every session of the user but the excepted one, answers those, and leaves other users alone',
    async run({ store }) {
      const userId = freshId();
      const [first, kept, third] = [newSession({ userId }), newSession({ userId }), newSession({ userId })];
      const bystander = newSession();
      for (const session of [first, kept, third, bystander]) await store.create(session);
      const ended = await store.revokeAllForUser(userId, kept.id);
      assert.deepEqual(ended.map((s) => s.id).sort(), [first.id, third.id].sort());
      assert.equal(await store.get(first.id), null);
      assert.equal(await store.get(third.id), null);
      assert.equal((await store.findByDigest(kept.currentDigest))?.id, kept.id, 'the excepted session keeps its refresh token');
      assert.equal(await store.rotate(await stateOf(store, kept.id), freshDigest(), nowMs()), true, 'and can still refresh');
      assert.ok(await store.get(bystander.id), "another user's session stays");
      assert.deepEqual(
        (await store.revokeAllForUser(userId)).map((s) => s.id),
        [kept.id],
      );
      assert.deepEqual(await store.listForUser(userId), []);
    },
  },
  {
    name: 'purgeExpired answers how many records went, and live sessions keep working',
    async run({ store }) {
      const session = newSession();
      await store.create(session);
      const purged = await store.purgeExpired(nowMs());
      assert.ok(Number.isInteger(purged) && purged >= 0, `purgeExpired answered ${String(purged)}`);
      assert.equal((await store.findByDigest(session.currentDigest))?.id, session.id);
      assert.equal(await store.rotate(await stateOf(store, session.id), freshDigest(), nowMs()), true);
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
 * Registers a mocha `describe(title)` checking a `SessionStore` against what the library relies
 * on. `factory` answers `{ store, cleanup? }`, once for all cases. Run it against your own store:
 * `describeSessionStoreConformance('my store', async () => ({ store: new MyStore(db) }))`.
 */
export function describeSessionStoreConformance(title: string, factory: () => Promise<SessionStoreFixture>, options: { runner?: TestRunner } = {}): void {
  describeConformanceCases(title, sessionStoreConformanceCases, factory, options.runner);
}
