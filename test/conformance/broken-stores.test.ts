/**
 * Each conformance suite can fail: run case by case (`runConformanceCases`, no nested mocha) against
 * an in-memory implementation that keeps every promise, it passes; against one that breaks a
 * single promise, exactly the cases about that promise fail.
 */
import { expect } from 'chai';
import { MemoryOAuthStateStore, MemoryPendingLoginStore, MemoryWebAuthnChallengeStore, type PendingLogin } from '../../src';
import {
  oauthStateStoreConformanceCases,
  pendingLoginStoreConformanceCases,
  revocationStoreConformanceCases,
  runConformanceCases,
  sessionStoreConformanceCases,
  strategyConformanceCases,
  webAuthnChallengeStoreConformanceCases,
  type ConformanceResult,
} from '../../src/testing';
import {
  ChallengeTakeNotAtomic,
  CutOffSparesItsMillisecond,
  DestroyKeepsToken,
  MemoryRevocationStore,
  MemorySessionStore,
  MemoryStrategy,
  RevokeKeepsRefreshTokens,
  RotationNotSingleUse,
  TakeNotAtomic,
  ThrowsOnStrangers,
} from './reference-stores';

function failed(results: ConformanceResult[]): string[] {
  return results.filter((r) => r.status === 'failed').map((r) => r.name);
}

/** Every failure is an assertion of the suite (node:assert), not a crash of the harness. */
function expectAssertionFailures(results: ConformanceResult[]): void {
  for (const result of results.filter((r) => r.status === 'failed')) {
    expect((result.error as Error)?.name, `${result.name}: ${String(result.error)}`).to.equal('AssertionError');
  }
}

describe('the conformance suites fail a broken implementation', function () {
  this.timeout(30_000);

  it('correct in-memory implementations pass every case of every suite', async () => {
    const runs = await Promise.all([
      runConformanceCases(sessionStoreConformanceCases, async () => ({ store: new MemorySessionStore() })),
      runConformanceCases(revocationStoreConformanceCases, async () => ({ store: new MemoryRevocationStore() })),
      runConformanceCases(oauthStateStoreConformanceCases, async () => ({ store: new MemoryOAuthStateStore() })),
      runConformanceCases(webAuthnChallengeStoreConformanceCases, async () => ({ store: new MemoryWebAuthnChallengeStore() })),
      runConformanceCases(strategyConformanceCases(), async () => ({ strategy: new MemoryStrategy() })),
    ]);
    for (const results of runs) {
      expect(failed(results), results.map((r) => `${r.name}: ${r.error instanceof Error ? r.error.message : r.status}`).join('\n')).to.deep.equal([]);
      expect(results.filter((r) => r.status === 'passed').length).to.be.greaterThan(5);
    }
  });

  it('SessionStore: a rotation that is not compare-and-set fails the concurrent refresh cases, and only those', async () => {
    const results = await runConformanceCases(sessionStoreConformanceCases, async () => ({ store: new RotationNotSingleUse() }));
    expect(failed(results)).to.include('of 8 concurrent rotations of one state, exactly one wins and its digest is the live one');
    expect(failed(results).every((name) => name.includes('concurrent'))).to.equal(true);
    expectAssertionFailures(results);
  });

  it("SessionStore: a revocation that leaves the session's refresh tokens working fails the revocation cases", async () => {
    const results = await runConformanceCases(sessionStoreConformanceCases, async () => ({ store: new RevokeKeepsRefreshTokens() }));
    expect(failed(results)).to.deep.equal(['revoke answers the session it deleted; then no digest of it finds it and a second revoke answers null']);
    expectAssertionFailures(results);
  });

  it('RevocationStore: a cut-off that spares its own millisecond fails "at or before"', async () => {
    const results = await runConformanceCases(revocationStoreConformanceCases, async () => ({ store: new CutOffSparesItsMillisecond() }));
    expect(failed(results)).to.deep.equal(["revokeAllIssuedBefore denies the user's tokens issued at or before the cut-off, not those issued after"]);
    expectAssertionFailures(results);
  });

  it('OAuthStateStore: a take that is not atomic fails the concurrent callbacks case', async () => {
    const results = await runConformanceCases(oauthStateStoreConformanceCases, async () => ({ store: new TakeNotAtomic() }));
    expect(failed(results)).to.deep.equal(['of 20 concurrent takes of one state, exactly one gets the record']);
    expectAssertionFailures(results);
  });

  it('PendingLoginStore: a peek that uses the login up fails the peek case', async () => {
    class PeekTakes extends MemoryPendingLoginStore {
      override peek(digest: string): Promise<PendingLogin | undefined> {
        return this.take(digest);
      }
    }
    const results = await runConformanceCases(pendingLoginStoreConformanceCases, async () => ({ store: new PeekTakes() }));
    expect(failed(results)).to.include('a peek leaves the login in place (a wrong code does not use the token up)');
  });

  it('WebAuthnChallengeStore: a take that is not atomic fails the racing responses case', async () => {
    const results = await runConformanceCases(webAuthnChallengeStoreConformanceCases, async () => ({ store: new ChallengeTakeNotAtomic() }));
    expect(failed(results)).to.deep.equal(['of 20 concurrent takes of one challenge, exactly one gets the record']);
    expectAssertionFailures(results);
  });

  it('Strategy: a read that throws for unknown tokens, and a revoke that keeps the token, each fail their case', async () => {
    const throwing = await runConformanceCases(strategyConformanceCases(), async () => ({ strategy: new ThrowsOnStrangers() }));
    expect(failed(throwing)).to.include(
      'refuses what it never wrote (garbage, empty, 12 KB, truncated, altered, doubled, a well-formed stranger) with null or a rejection, never an error',
    );
    expectAssertionFailures(throwing);
    const keeping = await runConformanceCases(strategyConformanceCases(), async () => ({ strategy: new DestroyKeepsToken() }));
    expect(failed(keeping)).to.deep.equal(["revoke makes that token unusable at once, and none of the user's other tokens"]);
    expectAssertionFailures(keeping);
  });

  it('a strategy declared irrevocable is not held to revocation, but still to refusing strangers', async () => {
    const keeping = await runConformanceCases(strategyConformanceCases({ revocable: false }), async () => ({ strategy: new DestroyKeepsToken() }));
    expect(failed(keeping)).to.deep.equal([]);
    const throwing = await runConformanceCases(strategyConformanceCases({ revocable: false }), async () => ({ strategy: new ThrowsOnStrangers() }));
    expect(failed(throwing)).to.have.length.greaterThan(0);
  });

  it('skips a case whose optional method is missing, and releases the fixture afterwards', async () => {
    let released = 0;
    const results = await runConformanceCases(oauthStateStoreConformanceCases, async () => ({ store: new TakeNotAtomic(), cleanup: () => void released++ }));
    expect(results.find((r) => r.name.startsWith('ready()'))?.status).to.equal('skipped');
    expect(released).to.equal(1);
  });
});
