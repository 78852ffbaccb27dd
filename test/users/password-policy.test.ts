import bcrypt from 'bcryptjs';
import { expect } from 'chai';
import { Argon2PasswordHasher, checkPasswordPolicy, InvalidPasswordError, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../src';
import { loadCommonPasswords } from '../../src/users/password-policy';
import { buildApp, User, type TestApp } from '../support/app';
import { login } from '../support/http';

function refusal(password: unknown, email?: string): string | null {
  try {
    checkPasswordPolicy(password, email);
    return null;
  } catch (error) {
    expect(error).to.be.instanceOf(InvalidPasswordError);
    return (error as InvalidPasswordError).reason;
  }
}

describe('password policy', () => {
  it('accepts 8 to 1024 characters, counted in code points', () => {
    expect(MIN_PASSWORD_LENGTH).to.equal(8);
    expect(MAX_PASSWORD_LENGTH).to.equal(1024);
    expect(refusal('k3#vQ9!')).to.equal('Password must be at least 8 characters long.');
    expect(refusal('k3#vQ9!z')).to.equal(null);
    expect(refusal('x'.repeat(1023) + 'y')).to.equal(null);
    expect(refusal('x'.repeat(1024) + 'y')).to.equal('Password must be at most 1024 characters long.');
    // Eight emoji are eight characters (sixteen UTF-16 units), and 1024 emoji are allowed.
    expect(refusal('🔑🐢🌵🎲🧲🪁🛶🫖')).to.equal(null);
    expect(refusal('🔑🐢🌵🎲🧲🪁🛶')).to.equal('Password must be at least 8 characters long.');
    expect(refusal('🔑'.repeat(1024))).to.equal(null);
  });

  it('accepts any Unicode, spaces included, with no composition rules', () => {
    for (const password of [
      'correct horse battery staple',
      'пароль очень длинный',
      '密碼是一個很長的句子',
      'ﾊﾟｽﾜｰﾄﾞですよね',
      '   spaces   ',
      'alllowercaseletters',
      'tab\tand\nnewline',
    ]) {
      expect(refusal(password), password).to.equal(null);
    }
  });

  it('refuses the most common passwords, whatever their case', () => {
    for (const password of ['password', '12345678', 'iloveyou', 'Password1', 'QWERTYUIOP', 'trustno1', 'sunshine']) {
      expect(refusal(password), password).to.equal('Password is too common.');
    }
  });

  it('reads the whole common-password list from its text, as the package splits it; entries never run together', () => {
    const { dictionary } = require('@zxcvbn-ts/language-common') as { dictionary: { passwords: string[] } };
    const list = loadCommonPasswords().split(',');
    expect(list).to.deep.equal(dictionary.passwords);
    expect(list.length).to.be.above(40_000);
    // Two entries joined by the separator are no entry.
    expect(refusal('123456,password')).to.equal(null);
    expect(refusal('password,123456')).to.equal(null);
    const longEntries = list.filter((entry) => entry.length >= 8);
    expect(refusal(longEntries[0])).to.equal('Password is too common.');
    expect(refusal(longEntries[longEntries.length - 1])).to.equal('Password is too common.');
  });

  it('refuses the email, or its local part anywhere in the password, case-insensitively', () => {
    const email = 'Alice.Smith@example.com';
    expect(refusal('alice.smith@example.com', email)).to.equal('Password must not be the email address.');
    expect(refusal('my name is ALICE.SMITH!', email)).to.equal('Password must not contain the part of the email address before the "@".');
    expect(refusal('alice.smith', email)).to.equal('Password must not contain the part of the email address before the "@".');
    expect(refusal('alice in wonderland', email)).to.equal(null);
    // Full-width letters fold to the same address.
    expect(refusal('ａｌｉｃｅ．ｓｍｉｔｈ rocks', email)).to.equal('Password must not contain the part of the email address before the "@".');
    // A two-letter local part would ban ordinary words: only the whole address is refused then.
    expect(refusal('joyful journey ahead', 'jo@example.com')).to.equal(null);
    expect(refusal('jo@example.com', 'jo@example.com')).to.equal('Password must not be the email address.');
  });

  it('refuses a non-string', () => {
    expect(refusal(12345678)).to.equal('Password must be a string.');
    expect(refusal(undefined)).to.equal('Password must be a string.');
  });
});

describe('password hashing', () => {
  const hasher = new Argon2PasswordHasher();

  it('hashes with argon2id and verifies exactly as typed (never trimmed, case-folded, normalised or truncated)', async () => {
    const typed = '  Çafé Passphrase ' + 'x'.repeat(200);
    const hash = await hasher.hash(typed);
    expect(hash).to.match(/^\$argon2id\$/);
    expect(await hasher.verify(typed, hash)).to.deep.equal({ valid: true, needsRehash: false });
    for (const variant of [typed.trim(), typed.toUpperCase(), typed.normalize('NFD'), typed.slice(0, 72), typed + ' ']) {
      expect((await hasher.verify(variant, hash)).valid, JSON.stringify(variant.slice(0, 30))).to.equal(false);
    }
  });

  it('verifies legacy bcrypt hashes and asks for a rehash', async () => {
    const legacy = bcrypt.hashSync('legacy passphrase', 4);
    expect(await hasher.verify('legacy passphrase', legacy)).to.deep.equal({ valid: true, needsRehash: true });
    expect(await hasher.verify('legacy passphrasE', legacy)).to.deep.equal({ valid: false, needsRehash: false });
  });

  it('refuses a password over 72 bytes against a bcrypt hash, which would compare only its prefix', async () => {
    const prefix = 'p'.repeat(72);
    const legacy = bcrypt.hashSync(prefix, 4);
    expect(bcrypt.compareSync(prefix + 'anything', legacy), 'bcrypt itself truncates').to.equal(true);
    expect((await hasher.verify(prefix + 'anything', legacy)).valid).to.equal(false);
    // 72 bytes counted in UTF-8: 24 three-byte characters are 72 bytes, one more is 75.
    const wide = '€'.repeat(24);
    const wideHash = bcrypt.hashSync(wide, 4);
    expect((await hasher.verify(wide, wideHash)).valid).to.equal(true);
    expect((await hasher.verify(wide + '€', wideHash)).valid).to.equal(false);
  });

  it('never authenticates against a corrupt or unknown hash', async () => {
    for (const stored of ['', 'plaintext', '$argon2id$broken', '$2b$10$short', '$pbkdf2$whatever']) {
      expect((await hasher.verify('anything at all', stored)).valid, stored).to.equal(false);
    }
  });
});

describe('legacy bcrypt users log in and are upgraded to argon2id', () => {
  let t: TestApp;
  before(async () => {
    t = await buildApp();
  });
  after(() => t.close());

  /** A user imported from an older system: inserted directly, with its bcrypt hash. */
  async function insertLegacy(email: string, password: string): Promise<string> {
    const repository = t.dataSource.getRepository(User);
    const user = repository.create({ email, hashedPassword: bcrypt.hashSync(password, 10) });
    await repository.insert(user);
    return user.id;
  }
  const storedHash = async (id: string) => (await t.dataSource.getRepository(User).findOneByOrFail({ id })).hashedPassword;

  it('logs in with the bcrypt hash and stores an argon2id hash in its place', async () => {
    const id = await insertLegacy('legacy@example.com', 'my old bcrypt passphrase');
    expect(await storedHash(id)).to.match(/^\$2[aby]\$/);
    const res = await login(t.app, 'jwt', 'legacy@example.com', 'my old bcrypt passphrase');
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    const upgraded = await storedHash(id);
    expect(upgraded).to.match(/^\$argon2id\$/);
    // The new hash verifies the same password, and the next login uses it.
    expect((await login(t.app, 'jwt', 'legacy@example.com', 'my old bcrypt passphrase')).status).to.equal(200);
    expect(await storedHash(id)).to.equal(upgraded);
  });

  it('does not upgrade (or log in) on a wrong password', async () => {
    const id = await insertLegacy('legacy-wrong@example.com', 'the real old passphrase');
    const before = await storedHash(id);
    expect((await login(t.app, 'jwt', 'legacy-wrong@example.com', 'not the real passphrase')).body.code).to.equal('LOGIN_BAD_CREDENTIALS');
    expect(await storedHash(id)).to.equal(before);
  });

  it('refuses a longer password that bcrypt would have matched on its first 72 bytes', async () => {
    const prefix = 'a long legacy passphrase that fills exactly seventy-two bytes of input!!';
    expect(Buffer.byteLength(prefix)).to.equal(72);
    await insertLegacy('legacy-long@example.com', prefix);
    expect((await login(t.app, 'jwt', 'legacy-long@example.com', prefix + ' and more')).body.code).to.equal('LOGIN_BAD_CREDENTIALS');
    expect((await login(t.app, 'jwt', 'legacy-long@example.com', prefix)).status).to.equal(200);
  });
});
