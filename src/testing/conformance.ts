/**
 * One conformance case: something the library relies on from an implementation of one of its
 * interfaces, checked with `node:assert/strict` (it throws an `AssertionError` when it fails).
 */
export interface ConformanceCase<F extends ConformanceFixture> {
  readonly name: string;
  /** False when the implementation lacks the optional method the case exercises (`revokeSession`, `ready`, …): the case is skipped. */
  applies?(fixture: F): boolean;
  /** The longest the case may take (it waits for a lifetime to pass); the runner's default otherwise. */
  readonly timeoutMs?: number;
  run(fixture: F): Promise<void>;
}

/** What a suite's factory answers: the implementation under test (e.g. `{ store }`), and how to release it afterwards. */
export interface ConformanceFixture {
  cleanup?: () => unknown;
}

/** The outcome of one case run by `runConformanceCases`. */
export interface ConformanceResult {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  /** What the case threw, when it failed. */
  error?: unknown;
}

/**
 * The test runner's functions. Default: the globals of mocha (`before`, `after`), or of jest and
 * vitest with globals (`beforeAll`, `afterAll`); a `node:test` app passes its exports.
 */
export interface TestRunner {
  describe(title: string, body: () => void): unknown;
  it(title: string, body: (this: unknown) => Promise<void>): unknown;
  /** Once before the cases: makes the fixture (without it, the first case does). */
  before?(body: () => Promise<void>): unknown;
  /** Once after the cases: the fixture's `cleanup` (without it, cleanup never runs). */
  after?(body: () => Promise<void>): unknown;
}

function applies<F extends ConformanceFixture>(testCase: ConformanceCase<F>, fixture: F): boolean {
  return testCase.applies === undefined || testCase.applies(fixture);
}

/**
 * Runs the cases one after another against one fixture the factory makes, without a test runner,
 * and answers each one's outcome (a case whose optional method is missing is skipped). For apps
 * on a runner without `describe`/`it`, and for checking that a suite catches a broken implementation.
 */
export async function runConformanceCases<F extends ConformanceFixture>(
  cases: readonly ConformanceCase<F>[],
  factory: () => Promise<F>,
): Promise<ConformanceResult[]> {
  const fixture = await factory();
  const results: ConformanceResult[] = [];
  try {
    for (const testCase of cases) {
      if (!applies(testCase, fixture)) {
        results.push({ name: testCase.name, status: 'skipped' });
        continue;
      }
      try {
        await testCase.run(fixture);
        results.push({ name: testCase.name, status: 'passed' });
      } catch (error) {
        results.push({ name: testCase.name, status: 'failed', error });
      }
    }
  } finally {
    await fixture.cleanup?.();
  }
  return results;
}

/**
 * Registers `describe(title)` with one `it` per case. The factory runs once, before the first
 * case (cases use fresh random ids, so they do not disturb each other); `cleanup` runs after the
 * last. A case whose optional method the implementation lacks is skipped (mocha's `this.skip()`).
 */
export function describeConformanceCases<F extends ConformanceFixture>(
  title: string,
  cases: readonly ConformanceCase<F>[],
  factory: () => Promise<F>,
  runner: TestRunner = globalRunner(),
): void {
  runner.describe(title, () => {
    let fixture: Promise<F> | undefined;
    const made = (): Promise<F> => (fixture ??= factory());
    runner.before?.(async () => void (await made()));
    runner.after?.(async () => {
      if (fixture) await (await fixture).cleanup?.();
    });
    for (const testCase of cases) {
      const test = runner.it(testCase.name, async function (this: unknown) {
        const subject = await made();
        if (!applies(testCase, subject)) {
          const skip = (this as { skip?: () => void } | undefined)?.skip;
          if (typeof skip === 'function') skip.call(this);
          return;
        }
        await testCase.run(subject);
      });
      raiseTimeout(test, testCase.timeoutMs);
    }
  });
}

/** Mocha's `it` answers the test: a case that waits for a lifetime gets at least the time it needs. */
function raiseTimeout(test: unknown, wantedMs: number | undefined): void {
  if (wantedMs === undefined) return;
  const timeout = (test as { timeout?: (ms?: number) => number } | undefined)?.timeout;
  if (typeof timeout !== 'function') return;
  const current = timeout.call(test);
  if (typeof current === 'number' && current > 0 && current < wantedMs) timeout.call(test, wantedMs);
}

/** The runner's globals (mocha, jest, vitest with globals); fails naming the fix when there are none. */
function globalRunner(): TestRunner {
  const scope = globalThis as Record<string, any>;
  if (typeof scope.describe !== 'function' || typeof scope.it !== 'function') {
    throw new Error(
      'routing-controllers-auth/testing: no global describe/it. Run the suite under mocha, or pass { describe, it, before, after } from your test runner.',
    );
  }
  return { describe: scope.describe, it: scope.it, before: scope.before ?? scope.beforeAll, after: scope.after ?? scope.afterAll };
}
