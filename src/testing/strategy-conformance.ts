import assert from 'node:assert/strict';
import type { Strategy, TokenGrant, TokenRejection, TokenRequest } from '../strategies/strategy';
import { canRevokeSessions, revokeSessionTokens, revokeToken, revokeUserTokens } from '../strategies/strategy';
import { freshId, sleep, startOfSecond } from './case-tools';
import { describeConformanceCases, type ConformanceCase, type ConformanceFixture, type TestRunner } from './conformance';

/** What a strategy suite's factory answers. */
export interface StrategyFixture extends ConformanceFixture {
  strategy: Strategy;
}

export interface StrategyConformanceOptions {
  /**
   * False for a strategy that cannot take a token back before it expires (a JWT without a
   * revocation store): its `revoke*` methods are then only checked not to fail. Default true.
   */
  revocable?: boolean;
  /** The test runner's functions (default: mocha's globals). */
  runner?: TestRunner;
}

const SCOPES = ['items:read', 'items:write'];

function request(fields: Partial<TokenRequest> = {}): TokenRequest {
  return { userId: freshId(), scopes: [...SCOPES], lifetimeSeconds: 3600, ...fields };
}

/** The grant, or a failure naming what `read` answered instead. */
async function accepted(strategy: Strategy, token: string, what = 'the token'): Promise<TokenGrant> {
  const read = await strategy.read(token);
  assert.ok(read !== null && !('rejected' in read), `${what} was refused (${JSON.stringify(read)})`);
  return read;
}

/** `read` refused the token: null, or a rejection saying why. */
async function refused(strategy: Strategy, token: string, what = 'the token'): Promise<void> {
  let read: TokenGrant | TokenRejection | null;
  try {
    read = await strategy.read(token);
  } catch (error) {
    assert.fail(`read threw for ${what} instead of refusing it: ${String(error)}`);
  }
  assert.ok(read === null || 'rejected' in read, `${what} was accepted (${JSON.stringify(read)})`);
}

/** Some time between a cut-off and the next token: revocation cut-offs count milliseconds. */
const AFTER_CUT_OFF_MS = 5;

/** A copy of `token` with its middle character replaced. */
function altered(token: string): string {
  const i = Math.floor(token.length / 2);
  return token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
}

function sharedCases(): ConformanceCase<StrategyFixture>[] {
  return [
    {
      name: 'lifetimeSeconds is a positive number of seconds, or null for tokens without expiry',
      async run({ strategy }) {
        const lifetime = strategy.lifetimeSeconds;
        assert.ok(lifetime === null || (typeof lifetime === 'number' && lifetime > 0), `lifetimeSeconds is ${String(lifetime)}`);
      },
    },
    {
      name: 'writes a new, non-empty token without whitespace each time (it travels in an Authorization header or a cookie)',
      async run({ strategy }) {
        const same = request();
        const [first, second] = [await strategy.write(same), await strategy.write(same)];
        for (const token of [first, second]) {
          assert.equal(typeof token, 'string');
          assert.match(token, /^[\x21-\x7e]+$/, 'printable ASCII without spaces');
        }
        assert.notEqual(first, second, 'two logins get two tokens');
      },
    },
    {
      name: 'reads a token back with its grant: user, scopes, session, and the sign-in (time to the second, methods)',
      async run({ strategy }) {
        const authTime = new Date();
        const written = request({ sessionId: freshId(), authTime, amr: ['pwd', 'otp'] });
        const grant = await accepted(strategy, await strategy.write(written));
        assert.equal(grant.userId, written.userId);
        assert.deepEqual([...grant.scopes].sort(), [...SCOPES].sort());
        assert.equal(grant.sessionId, written.sessionId);
        assert.ok(grant.authTime instanceof Date, 'authTime read back as a Date');
        assert.ok(Math.abs(grant.authTime.getTime() - authTime.getTime()) < 1000, `authTime ${grant.authTime.toISOString()} is not ${authTime.toISOString()}`);
        assert.deepEqual(grant.amr, ['pwd', 'otp']);
      },
    },
    {
      name: 'a token made without a session, a sign-in or scopes reads back without them (it passes no step-up check)',
      async run({ strategy }) {
        const grant = await accepted(strategy, await strategy.write(request({ scopes: [] })));
        assert.deepEqual(grant.scopes, []);
        assert.equal(grant.sessionId, undefined);
        assert.equal(grant.authTime, undefined);
        assert.ok(grant.amr === undefined || grant.amr.length === 0, `amr is ${JSON.stringify(grant.amr)}`);
      },
    },
    {
      name: 'refuses what it never wrote (garbage, empty, 12 KB, truncated, altered, doubled, a well-formed stranger) with null or a rejection, never an error',
      async run({ strategy }) {
        const token = await strategy.write(request());
        const strangers: Record<string, string> = {
          garbage: 'garbage',
          empty: '',
          '12 KB': 'A'.repeat(12 * 1024),
          truncated: token.slice(0, -3),
          altered: altered(token),
          doubled: token + token,
          'a well-formed stranger': 'A'.repeat(43),
        };
        for (const [what, value] of Object.entries(strangers)) await refused(strategy, value, what);
      },
    },
    {
      name: 'a token asked for without expiry (lifetimeSeconds null) is accepted',
      async run({ strategy }) {
        await accepted(strategy, await strategy.write(request({ lifetimeSeconds: null })));
      },
    },
    {
      name: 'a one-second token is accepted at once and refused once it has expired',
      timeoutMs: 10_000,
      async run({ strategy }) {
        await startOfSecond();
        const token = await strategy.write(request({ lifetimeSeconds: 1 }));
        await accepted(strategy, token, 'the fresh token');
        await sleep(1100);
        await refused(strategy, token, 'the expired token');
      },
    },
    {
      name: 'revoking a token twice is harmless',
      async run({ strategy }) {
        const token = await strategy.write(request());
        const grant = await accepted(strategy, token);
        await revokeToken(strategy, token, grant);
        await revokeToken(strategy, token, grant);
      },
    },
    {
      name: 'ready() resolves for a usable strategy',
      applies: ({ strategy }) => typeof strategy.ready === 'function',
      async run({ strategy }) {
        await strategy.ready!();
      },
    },
  ];
}

/** A strategy that can take tokens back: each revocation refuses exactly what it names. */
function revocationCases(): ConformanceCase<StrategyFixture>[] {
  return [
    {
      name: "revoke makes that token unusable at once, and none of the user's other tokens",
      async run({ strategy }) {
        const same = request();
        const [token, other] = [await strategy.write(same), await strategy.write(same)];
        await revokeToken(strategy, token, await accepted(strategy, token));
        await refused(strategy, token, 'the revoked token');
        await accepted(strategy, other, "the user's other token");
      },
    },
    {
      name: "revokeAllForUser makes every token of the user unusable, not another user's; a later token works",
      applies: ({ strategy }) => typeof (strategy.revokeAllForUser ?? strategy.destroyAllForUser) === 'function',
      async run({ strategy }) {
        const userId = freshId();
        const tokens = [
          await strategy.write(request({ userId })),
          await strategy.write(request({ userId, sessionId: freshId() })),
          await strategy.write(request({ userId, lifetimeSeconds: null })),
        ];
        const bystander = await strategy.write(request());
        await revokeUserTokens(strategy, userId, {});
        for (const [i, token] of tokens.entries()) await refused(strategy, token, `token ${i + 1} of the user`);
        await accepted(strategy, bystander, "another user's token");
        await sleep(AFTER_CUT_OFF_MS);
        await accepted(strategy, await strategy.write(request({ userId })), 'a token made afterwards');
      },
    },
    {
      name: "revokeAllForUser with exceptSessionId ends the user's tokens of other sessions and without a session",
      applies: ({ strategy }) => typeof (strategy.revokeAllForUser ?? strategy.destroyAllForUser) === 'function',
      async run({ strategy }) {
        const userId = freshId();
        const kept = freshId();
        const ended = [await strategy.write(request({ userId })), await strategy.write(request({ userId, sessionId: freshId() }))];
        await strategy.write(request({ userId, sessionId: kept }));
        await revokeUserTokens(strategy, userId, { exceptSessionId: kept });
        // The excepted session's tokens may go too (a cut-off cannot spare one session): its refresh token stays.
        for (const [i, token] of ended.entries()) await refused(strategy, token, `token ${i + 1} outside the excepted session`);
      },
    },
    {
      name: 'revokeSession makes the tokens of that session unusable, not those of another session or without one',
      applies: ({ strategy }) => canRevokeSessions(strategy),
      async run({ strategy }) {
        const userId = freshId();
        const sessionId = freshId();
        const ofSession = [await strategy.write(request({ userId, sessionId })), await strategy.write(request({ userId, sessionId }))];
        const otherSession = await strategy.write(request({ userId, sessionId: freshId() }));
        const sessionless = await strategy.write(request({ userId }));
        await revokeSessionTokens(strategy, sessionId, new Date(Date.now() + 3600_000));
        for (const [i, token] of ofSession.entries()) await refused(strategy, token, `token ${i + 1} of the session`);
        await accepted(strategy, otherSession, "another session's token");
        await accepted(strategy, sessionless, 'a token without a session');
      },
    },
  ];
}

/** A strategy that cannot take tokens back (a plain JWT): its revoke methods must still not fail. */
function irrevocableCases(): ConformanceCase<StrategyFixture>[] {
  return [
    {
      name: 'revoke, revokeAllForUser and revokeSession (where present) resolve, and leave other users alone',
      async run({ strategy }) {
        const token = await strategy.write(request({ sessionId: freshId() }));
        const grant = await accepted(strategy, token);
        const bystander = await strategy.write(request());
        await revokeToken(strategy, token, grant);
        await revokeUserTokens(strategy, grant.userId, {});
        await revokeSessionTokens(strategy, grant.sessionId!, new Date(Date.now() + 3600_000));
        await accepted(strategy, bystander, "another user's token");
      },
    },
  ];
}

/**
 * What the authenticator, logout and the session machinery rely on from a `Strategy`: a token
 * read back with what was written, refusals (never errors) for anything else, expiry, and, for a
 * revocable strategy, revoke / revokeAllForUser / revokeSession taking back exactly what they name.
 */
export function strategyConformanceCases(options: Pick<StrategyConformanceOptions, 'revocable'> = {}): ConformanceCase<StrategyFixture>[] {
  return [...sharedCases(), ...(options.revocable === false ? irrevocableCases() : revocationCases())];
}

/**
 * Registers a mocha `describe(title)` checking a `Strategy` against what the library relies on.
 * `factory` answers `{ strategy, cleanup? }`, once for all cases, the strategy ready to use
 * (its `init` called, when it needs a DataSource).
 */
export function describeStrategyConformance(title: string, factory: () => Promise<StrategyFixture>, options: StrategyConformanceOptions = {}): void {
  describeConformanceCases(title, strategyConformanceCases(options), factory, options.runner);
}
