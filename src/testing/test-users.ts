import { randomUUID } from 'crypto';
import type { Auth } from '../auth';
import type { BaseUser } from '../entities/base-user';
import { normaliseEmail } from '../users/emails';
import { Argon2PasswordHasher, type PasswordHasher } from '../users/password';
import type { UserManagerContext } from '../users/user-manager';

/** The password `createTestUser` gives when none is asked for (long enough for the default policy). */
export const TEST_PASSWORD = 'test-password-0123456789-abcdefghijklmnopqrstuvwxyz';

/** A user's fields for `createTestUser`; every one optional (`email` defaults to a fresh address). */
export type TestUserFields<U extends BaseUser> = Partial<Omit<U, 'hashedPassword'>> & { email?: string; password?: string };

/** Per hasher, per password: the hash made once and reused. */
const hashesByHasher = new WeakMap<PasswordHasher, Map<string, Promise<string>>>();
/** The library's argon2 hashers of the same costs make interchangeable hashes: shared by every app in the process. */
const hashesByArgon2Costs = new Map<string, Map<string, Promise<string>>>();

function hashCache(hasher: PasswordHasher): Map<string, Promise<string>> {
  // The exact class only: a subclass may hash differently (a pepper), so it keeps a cache of its own.
  if (hasher.constructor === Argon2PasswordHasher) {
    const costs = JSON.stringify((hasher as unknown as { options: unknown }).options);
    let cache = hashesByArgon2Costs.get(costs);
    if (!cache) hashesByArgon2Costs.set(costs, (cache = new Map()));
    return cache;
  }
  let cache = hashesByHasher.get(hasher);
  if (!cache) hashesByHasher.set(hasher, (cache = new Map()));
  return cache;
}

/** `password` hashed by the app's own hasher, once per process (a failed hash is not kept). */
function hashOnce(hasher: PasswordHasher, password: string): Promise<string> {
  const cache = hashCache(hasher);
  let hash = cache.get(password);
  if (!hash) {
    hash = hasher.hash(password);
    cache.set(password, hash);
    hash.catch(() => cache.delete(password));
  }
  return hash;
}

/** The hasher `Auth.configure` gave the app's user manager (`passwordHasher`, default argon2id). */
function hasherOf<U extends BaseUser>(auth: Auth<U>): PasswordHasher {
  return (auth.userManager as unknown as { context: UserManagerContext<U> }).context.hasher;
}

/**
 * Stores a user for a test, fast: each distinct password is hashed once per process with the
 * app's own hasher and the hash reused, so a real login with that password works while a
 * thousand test users cost one argon2 run. Defaults: a fresh unique email, `TEST_PASSWORD`.
 * Fields are taken as given (`isSuperuser`, `scopes`, `isVerified`, your own columns): it is a
 * fixture, not a registration — the password policy and `onAfterRegister` do not run.
 */
export async function createTestUser<U extends BaseUser>(auth: Auth<U>, fields: TestUserFields<U> = {}): Promise<U> {
  const { email = `test-user-${randomUUID()}@example.com`, password = TEST_PASSWORD, ...rest } = fields;
  const hashedPassword = await hashOnce(hasherOf(auth), password);
  return auth.userStore.create({ ...rest, email: normaliseEmail(email), hashedPassword } as unknown as Partial<U>);
}
