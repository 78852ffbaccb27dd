/**
 * Signing secrets are judged by their randomness, not their length: 32 × 'a' is 32 bytes and no
 * secret. Each place that takes a secret (Auth.configure, JwtStrategy, the CSRF double-submit
 * tokens) refuses a weak one with the same `node -e` command that makes a good one.
 */
import { expect } from 'chai';
import { randomBytes } from 'crypto';
import { Auth, AuthConfigurationError, AuthenticationBackend, BearerTransport, CookieTransport, JwtStrategy } from '../../src';
import { weakSecretReason } from '../../src/security/secret-strength';
import { SECRET } from '../support/app';

const HINT = `use at least 32 random bytes (e.g. node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))")`;

const configure = (secret: string) =>
  Auth.configure({
    userStore: {} as any,
    secret,
    backends: [
      new AuthenticationBackend({ name: 'jwt', transport: new BearerTransport({ tokenUrl: '/login' }), strategy: new JwtStrategy({ secret: SECRET }) }),
    ],
    rateLimits: false,
  });

describe('secret strength', () => {
  const weak: [string, string][] = [
    ['a'.repeat(32), 'repeats one short sequence'],
    ['ab'.repeat(16), 'repeats one short sequence'],
    ['0123456789'.repeat(4), 'repeats one short sequence'],
    ['abcdefghabcdefghabcdefghabcdefgx', 'has only 9 distinct characters'],
    ['thequickbrownfoxjumpsoverthelazydog', 'uses one class of characters only'],
    ['31415926535897932384626433832795028841971', 'uses one class of characters only'],
    ['f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a59687', 'decodes to 192 bits (it reads as hex)'],
    [randomBytes(31).toString('hex'), 'decodes to 248 bits (it reads as hex)'],
    [randomBytes(24).toString('base64'), 'decodes to 192 bits (it reads as base64)'],
    ['test-secret-0123456789-abcdefghijklmnop', 'decodes to 234 bits (it reads as base64)'],
  ];
  for (const [secret, reason] of weak) {
    it(`refuses ${JSON.stringify(secret.slice(0, 40))}: ${reason}`, () => {
      expect(weakSecretReason(secret)).to.include(reason);
      for (const [who, make] of [
        ['Auth.configure: `secret` (it signs reset and verify tokens)', () => configure(secret)],
        ['JwtStrategy: the HS256 secret', () => new JwtStrategy({ secret })],
        ['CookieTransport: csrfToken.secret', () => new CookieTransport({ csrfToken: { secret } })],
      ] as const) {
        expect(make).to.throw(AuthConfigurationError, `${who} ${weakSecretReason(secret)}: too weak to sign tokens; ${HINT}.`);
      }
    });
  }

  it('accepts what the hint and the usual tools make, and long passphrases with more than one class', () => {
    const good = [
      randomBytes(32).toString('base64url'), // the hint's own command
      randomBytes(32).toString('base64'), // openssl rand -base64 32
      randomBytes(32).toString('hex'), // openssl rand -hex 32
      'correct horse battery staple, then some more words', // text, not an encoding
      SECRET,
    ];
    for (const secret of good) {
      expect(weakSecretReason(secret), secret).to.equal(undefined);
      expect(() => configure(secret)).not.to.throw();
      expect(() => new JwtStrategy({ secret })).not.to.throw();
      expect(() => new CookieTransport({ csrfToken: { secret } })).not.to.throw();
    }
  });

  it('a Buffer or KeyObject JWT secret is taken as made (bytes, not typed text): only its length is checked', () => {
    expect(() => new JwtStrategy({ secret: Buffer.alloc(32, 1) })).not.to.throw();
    expect(() => new JwtStrategy({ secret: randomBytes(16) })).to.throw(`JwtStrategy: the HS256 secret is 16 bytes; ${HINT}.`);
  });
});
