/**
 * The `describe…Conformance` wrappers, driven by a recording test runner (what `{ runner }` is for:
 * `node:test` and other runners): one `it` per case, the fixture made once and released once, a
 * missing optional method skipped, a waiting case given the time it needs, a broken store failing.
 */
import { expect } from 'chai';
import { describeOAuthStateStoreConformance, describeStrategyConformance, oauthStateStoreConformanceCases, type TestRunner } from '../../src/testing';
import { MemoryStrategy, TakeNotAtomic } from './reference-stores';

interface RecordedTest {
  title: string;
  body: (this: unknown) => Promise<void>;
  timeoutMs: number;
  timeout(ms?: number): number | undefined;
}

/** A runner that records what a wrapper registers, then runs it as mocha would. */
function recordingRunner() {
  const titles: string[] = [];
  const tests: RecordedTest[] = [];
  const hooks: { before?: () => Promise<void>; after?: () => Promise<void> } = {};
  const runner: TestRunner = {
    describe: (title, body) => {
      titles.push(title);
      body();
    },
    it: (title, body) => {
      const test: RecordedTest = {
        title,
        body,
        timeoutMs: 2000,
        timeout(ms?: number) {
          if (ms === undefined) return this.timeoutMs;
          this.timeoutMs = ms;
          return undefined;
        },
      };
      tests.push(test);
      return test;
    },
    before: (body) => (hooks.before = body),
    after: (body) => (hooks.after = body),
  };
  async function run(): Promise<Record<string, 'passed' | 'failed' | 'skipped'>> {
    const outcomes: Record<string, 'passed' | 'failed' | 'skipped'> = {};
    await hooks.before?.();
    for (const test of tests) {
      let skipped = false;
      try {
        await test.body.call({ skip: () => (skipped = true) });
        outcomes[test.title] = skipped ? 'skipped' : 'passed';
      } catch {
        outcomes[test.title] = 'failed';
      }
    }
    await hooks.after?.();
    return outcomes;
  }
  return { runner, titles, tests, run };
}

describe('the describe…Conformance wrappers', function () {
  this.timeout(30_000);

  it('register one test per case under the title; the fixture is made once and released once; a broken store fails; a missing ready() is skipped', async () => {
    const recorder = recordingRunner();
    let made = 0;
    let released = 0;
    describeOAuthStateStoreConformance(
      'a take that is not atomic',
      async () => {
        made++;
        return { store: new TakeNotAtomic(), cleanup: () => void released++ };
      },
      { runner: recorder.runner },
    );
    expect(recorder.titles).to.deep.equal(['a take that is not atomic']);
    expect(recorder.tests.map((t) => t.title)).to.deep.equal(oauthStateStoreConformanceCases.map((c) => c.name));
    const outcomes = await recorder.run();
    expect(outcomes['of 20 concurrent takes of one state, exactly one gets the record']).to.equal('failed');
    expect(outcomes['ready() resolves for a usable store']).to.equal('skipped');
    expect(Object.values(outcomes).filter((o) => o === 'passed')).to.have.length(oauthStateStoreConformanceCases.length - 2);
    expect({ made, released }).to.deep.equal({ made: 1, released: 1 });
  });

  it('give a case that waits for a lifetime the time it needs, and leave the others at the runner default', () => {
    const recorder = recordingRunner();
    describeStrategyConformance('memory', async () => ({ strategy: new MemoryStrategy() }), { runner: recorder.runner });
    const expiry = recorder.tests.find((t) => t.title.startsWith('a one-second token'));
    expect(expiry?.timeoutMs).to.equal(10_000);
    expect(recorder.tests.filter((t) => t.timeoutMs === 2000)).to.have.length(recorder.tests.length - 1);
  });
});
