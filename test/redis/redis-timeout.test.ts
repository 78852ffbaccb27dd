/** The time bound on Redis commands: one timer per limit, each command refused at its own deadline. */
import { expect } from 'chai';
import { performance } from 'perf_hooks';
import { StoreUnreachableError } from '../../src';
import { withinRedisTimeout } from '../../src/redis/time-limit';

const never = () => new Promise<never>(() => undefined);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('withinRedisTimeout', () => {
  it('refuses each command that is not answered by its own deadline, as an outage', async () => {
    const started = performance.now();
    const refusedAfter = (delayMs: number) =>
      sleep(delayMs).then(() =>
        withinRedisTimeout(never(), 100).then(
          () => Infinity,
          (error: unknown) => {
            expect(error).to.be.instanceOf(StoreUnreachableError);
            return performance.now() - started;
          },
        ),
      );
    const [first, second, third] = await Promise.all([refusedAfter(0), refusedAfter(40), refusedAfter(80)]);
    // Never before its deadline (sent + 100 ms); the order of deadlines is kept.
    expect(first).to.be.at.least(99);
    expect(second).to.be.at.least(139);
    expect(third).to.be.at.least(179);
    expect(first).to.be.below(second);
    expect(second).to.be.below(third);
  });

  it('answers what the command answers when it comes in time, and passes its error on', async () => {
    const answered = withinRedisTimeout(
      sleep(20).then(() => 'value'),
      100,
    );
    const failed = withinRedisTimeout(Promise.reject(new Error('WRONGTYPE')), 100);
    const slow = withinRedisTimeout(never(), 50);
    expect(await answered).to.equal('value');
    await failed.then(
      () => expect.fail('resolved'),
      (error: Error) => expect(error.message).to.equal('WRONGTYPE'),
    );
    await slow.then(
      () => expect.fail('resolved'),
      (error: unknown) => expect(error).to.be.instanceOf(StoreUnreachableError),
    );
  });

  it('waits as long as the client does with no limit', async () => {
    const value = await withinRedisTimeout(
      sleep(30).then(() => 7),
      null,
    );
    expect(value).to.equal(7);
  });
});
