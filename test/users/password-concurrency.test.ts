import { expect } from 'chai';
import { Argon2PasswordHasher } from '../../src';

// The hasher calls argon2 through the module object, so wrapping its functions here sees every
// real hash and verification the hasher starts, without changing what they compute.
const argon2 = require('argon2') as { hash: (...args: unknown[]) => Promise<string>; verify: (...args: unknown[]) => Promise<boolean> };

/** Counts argon2 calls in flight (and the most seen at once); `failOn` makes the call for that password reject. */
function instrumentArgon2(failOn?: string) {
  const original = { hash: argon2.hash, verify: argon2.verify };
  const seen = { running: 0, most: 0, calls: 0 };
  const wrap =
    <A extends unknown[], R>(inner: (...args: A) => Promise<R>, passwordOf: (args: A) => unknown) =>
    async (...args: A): Promise<R> => {
      seen.calls++;
      seen.running++;
      seen.most = Math.max(seen.most, seen.running);
      try {
        if (failOn !== undefined && passwordOf(args) === failOn) throw new Error('injected argon2 failure');
        return await inner(...args);
      } finally {
        seen.running--;
      }
    };
  argon2.hash = wrap(original.hash, (args) => args[0]);
  argon2.verify = wrap(original.verify, (args) => args[1]);
  return { seen, restore: () => Object.assign(argon2, original) };
}

/** Cheap argon2id costs: these tests are about scheduling, not strength. */
const CHEAP = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

describe('password hashing concurrency bound', () => {
  let restore: (() => void) | undefined;
  afterEach(() => restore?.());

  it('runs at most `concurrency` hash operations at once, hash, verify and burn alike, with correct results', async () => {
    const hasher = new Argon2PasswordHasher({ ...CHEAP, concurrency: 1 });
    const stored = await hasher.hash('the stored passphrase');
    const probe = instrumentArgon2();
    restore = probe.restore;

    const passwords = Array.from({ length: 8 }, (_, i) => `passphrase number ${i}`);
    const [hashes, right, wrong, burnt] = await Promise.all([
      Promise.all(passwords.map((p) => hasher.hash(p))),
      Promise.all(passwords.map(() => hasher.verify('the stored passphrase', stored))),
      Promise.all(passwords.map((p) => hasher.verify(p, stored))),
      Promise.all(passwords.map((p) => hasher.burn(p))),
    ]);

    expect(probe.seen.most).to.equal(1);
    expect(probe.seen.calls).to.be.at.least(8 * 4);
    expect(new Set(hashes).size).to.equal(8);
    for (const v of right) expect(v).to.deep.equal({ valid: true, needsRehash: false });
    for (const v of wrong) expect(v.valid).to.equal(false);
    expect(burnt).to.have.length(8);
    probe.restore();
    for (let i = 0; i < passwords.length; i++) expect((await hasher.verify(passwords[i], hashes[i])).valid).to.equal(true);
  });

  it('lets `concurrency` operations run together, and no more', async () => {
    const hasher = new Argon2PasswordHasher({ ...CHEAP, concurrency: 3 });
    const probe = instrumentArgon2();
    restore = probe.restore;
    await Promise.all(Array.from({ length: 12 }, (_, i) => hasher.hash(`another passphrase ${i}`)));
    expect(probe.seen.most).to.equal(3);
  });

  it('frees the place of an operation that fails: the queue behind it still runs', async () => {
    const hasher = new Argon2PasswordHasher({ ...CHEAP, concurrency: 1 });
    const probe = instrumentArgon2('the failing one');
    restore = probe.restore;
    const results = await Promise.allSettled([
      hasher.hash('before it'),
      hasher.hash('the failing one'),
      hasher.hash('after it'),
      hasher.hash('the failing one'),
      hasher.hash('last'),
    ]);
    expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).to.equal('injected argon2 failure');
    expect(probe.seen.most).to.equal(1);
    probe.restore();
    const after = (results[2] as PromiseFulfilledResult<string>).value;
    expect((await hasher.verify('after it', after)).valid).to.equal(true);
  });

  it('defaults to all cores but one, at least 1, and refuses a limit below 1', () => {
    const { availableParallelism } = require('os') as typeof import('os');
    expect(new Argon2PasswordHasher().concurrency).to.equal(Math.max(1, availableParallelism() - 1));
    expect(() => new Argon2PasswordHasher({ concurrency: 0 })).to.throw(RangeError);
    expect(() => new Argon2PasswordHasher({ concurrency: 1.5 })).to.throw(RangeError);
  });
});
