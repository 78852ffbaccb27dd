/**
 * What JwtStrategy publishes for other services (RFC 7517 JWKs) and how its keys rotate: the
 * current key's kid (given, or its RFC 7638 thumbprint), previous keys that verify and are
 * published until their tokens have expired, and never a private or symmetric member. jose (an
 * independent implementation) checks the thumbprints and verifies the tokens against the JWKs.
 */
import { expect } from 'chai';
import { constants, createHmac, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'crypto';
import {
  AuthConfigurationError,
  AuthenticationBackend,
  BearerTransport,
  DEFAULT_JWT_AUDIENCE,
  JwtStrategy,
  type JwtAlgorithm,
  type PublicJwk,
} from '../../src';
import { appJwks } from '../../src/jwks/app-jwks';
import { SECRET } from '../support/app';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const headerOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as Record<string, unknown>;
const CURVES = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' } as const;

function pairFor(algorithm: JwtAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  if (algorithm.startsWith('ES')) return generateKeyPairSync('ec', { namedCurve: CURVES[algorithm as keyof typeof CURVES] });
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

/** The members a private or symmetric JWK has and a public one must never carry. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];
const ALLOWED_MEMBERS = new Set(['kty', 'kid', 'alg', 'use', 'n', 'e', 'crv', 'x', 'y']);

function expectOnlyPublicMembers(keys: PublicJwk[]): void {
  for (const jwk of keys) {
    for (const member of PRIVATE_MEMBERS) expect(jwk, `${jwk.kid} has ${member}`).not.to.have.property(member);
    expect(
      Object.keys(jwk).filter((m) => !ALLOWED_MEMBERS.has(m)),
      jwk.kid,
    ).to.deep.equal([]);
    expect(jwk.use).to.equal('sig');
    expect(jwk.kty).to.be.oneOf(['RSA', 'EC']);
  }
  // And in the serialized form a client receives, at any depth.
  const text = JSON.stringify({ keys });
  for (const member of PRIVATE_MEMBERS) expect(text).not.to.include(`"${member}":`);
}

const payload = () => ({ sub: 'u', aud: DEFAULT_JWT_AUDIENCE, iat: Date.now() / 1000, exp: Math.floor(Date.now() / 1000) + 60, scope: '', jti: 'j' });

/** A token signed by hand with any key, header and algorithm (what an attacker can make). */
function forged(header: object, key: KeyObject | string | null, hash = 'sha256', claims: object = payload()): string {
  const input = `${b64(header)}.${b64(claims)}`;
  if (key === null) return `${input}.`;
  if (typeof key === 'string') return `${input}.${createHmac(hash, key).update(input).digest('base64url')}`;
  const dsa = key.asymmetricKeyType === 'ec' ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
  return `${input}.${sign(hash, Buffer.from(input), dsa).toString('base64url')}`;
}

const jwtBackend = (name: string, strategy: JwtStrategy) =>
  new AuthenticationBackend({ name, transport: new BearerTransport({ tokenUrl: `/auth/${name}/login` }), strategy });

describe('JwtStrategy: published keys (JWKS)', () => {
  const algorithms: JwtAlgorithm[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];
  for (const algorithm of algorithms) {
    it(`${algorithm}: publishes its public key with kid = its RFC 7638 thumbprint; jose verifies the token against the JWK`, async () => {
      const jose = await import('jose');
      const { privateKey } = pairFor(algorithm);
      const strategy = new JwtStrategy({ algorithm, secret: privateKey });
      const keys = strategy.publicJwks();
      expect(keys).to.have.length(1);
      const [jwk] = keys;
      expect(jwk).to.include({ alg: algorithm, use: 'sig' });
      expect(jwk.kid).to.equal(await jose.calculateJwkThumbprint(jwk, 'sha256'));
      expect(strategy.kid).to.equal(jwk.kid);
      expectOnlyPublicMembers(keys);
      const token = await strategy.write({ userId: 'u', scopes: ['a'], lifetimeSeconds: 60 });
      expect(headerOf(token)).to.include({ alg: algorithm, kid: jwk.kid, typ: 'at+jwt' });
      const { payload: claims } = await jose.jwtVerify(token, await jose.importJWK(jwk, algorithm), { audience: DEFAULT_JWT_AUDIENCE, typ: 'at+jwt' });
      expect(claims).to.include({ sub: 'u', scope: 'a' });
    });
  }

  it('keeps a kid given, and publishes under it', () => {
    const strategy = new JwtStrategy({ algorithm: 'ES256', secret: pairFor('ES256').privateKey, kid: '2026-12' });
    expect(strategy.publicJwks().map((k) => k.kid)).to.deep.equal(['2026-12']);
  });

  it('never publishes a private member, whatever form the keys were given in (KeyObject, PEM, encrypted PEM, private previous keys)', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const old = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const encrypted = rsa.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pass phrase' }).toString();
    const strategies = [
      new JwtStrategy({ algorithm: 'RS256', secret: rsa.privateKey }),
      new JwtStrategy({ algorithm: 'RS256', secret: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }),
      new JwtStrategy({ algorithm: 'RS256', secret: { privateKey: encrypted, passphrase: 'pass phrase' } }),
      new JwtStrategy({
        algorithm: 'ES384',
        secret: ec.privateKey,
        previousKeys: [
          { algorithm: 'RS512', secret: old.privateKey },
          { algorithm: 'PS256', secret: old.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), kid: 'pem' },
          { kid: 'hs', algorithm: 'HS256', secret: SECRET },
        ],
      }),
    ];
    for (const strategy of strategies) expectOnlyPublicMembers(strategy.publicJwks());
    // The previous HS key verifies but is never published; the RSA one is, under its thumbprint.
    const last = strategies[3].publicJwks();
    expect(last.map((k) => k.alg)).to.deep.equal(['ES384', 'RS512', 'PS256']);
    expect(last.map((k) => k.kid)).not.to.include('hs');
    expectOnlyPublicMembers(appJwks(strategies.map((s, i) => jwtBackend(`b${i}`, s))).keys);
  });

  it('publishes nothing for an HS strategy or a verify-only one; an app with no RS/PS/ES signer has no JWKS (AuthConfigurationError)', () => {
    const hs = new JwtStrategy({ secret: SECRET, kid: 'hs' });
    expect(hs.publicJwks()).to.deep.equal([]);
    const verifyOnly = new JwtStrategy({ algorithm: 'RS256', publicKey: pairFor('RS256').publicKey });
    expect(verifyOnly.publicJwks()).to.deep.equal([]);
    expect(() => appJwks([jwtBackend('hs', hs), jwtBackend('v', verifyOnly)])).to.throw(
      AuthConfigurationError,
      /no JwtStrategy .* signs with an RS\*, PS\* or ES\* key/,
    );
    expect(() => appJwks([])).to.throw(AuthConfigurationError);
    // Beside an RS signer, the HS strategy adds nothing.
    const rs = new JwtStrategy({ algorithm: 'RS256', secret: pairFor('RS256').privateKey });
    const set = appJwks([jwtBackend('hs', hs), jwtBackend('rs', rs), jwtBackend('again', rs)]);
    expect(set.keys.map((k) => k.kid)).to.deep.equal([rs.kid]);
  });

  it("a verify-only strategy with one key names none: it accepts its issuer's tokens whatever kid the issuer gives (as before key ids)", async () => {
    const { privateKey, publicKey } = pairFor('RS256');
    const verifier = new JwtStrategy({ algorithm: 'RS256', publicKey });
    expect(verifier.kid).to.equal(undefined);
    for (const issuer of [
      new JwtStrategy({ algorithm: 'RS256', secret: privateKey, kid: 'issuer-k1' }),
      new JwtStrategy({ algorithm: 'RS256', secret: privateKey }),
    ]) {
      const token = await issuer.write({ userId: 'u1', scopes: [], lifetimeSeconds: 60 });
      expect(headerOf(token).kid).to.equal(issuer.kid);
      expect(await verifier.read(token)).to.include({ userId: 'u1' });
    }
    // Another key's token is still refused, kid or not.
    const stranger = new JwtStrategy({ algorithm: 'RS256', secret: pairFor('RS256').privateKey, kid: 'issuer-k1' });
    expect(await verifier.read(await stranger.write({ userId: 'u1', scopes: [], lifetimeSeconds: 60 }))).to.deep.equal({ rejected: 'bad_signature' });
  });

  it('refuses two different keys under one kid across strategies; the same key in two strategies is published once', () => {
    const a = new JwtStrategy({ algorithm: 'ES256', secret: pairFor('ES256').privateKey, kid: 'same' });
    const b = new JwtStrategy({ algorithm: 'ES256', secret: pairFor('ES256').privateKey, kid: 'same' });
    expect(() => appJwks([jwtBackend('a', a), jwtBackend('b', b)])).to.throw(AuthConfigurationError, /two different keys have kid "same"/);
    const key = pairFor('RS256').privateKey;
    const one = new JwtStrategy({ algorithm: 'RS256', secret: key, audience: 'one' });
    const two = new JwtStrategy({ algorithm: 'RS256', secret: key, audience: 'two' });
    expect(appJwks([jwtBackend('one', one), jwtBackend('two', two)]).keys).to.have.length(1);
  });

  it('an RSA-PSS key (which node:crypto cannot export as a JWK) signs as before but cannot be published: a clear AuthConfigurationError', async () => {
    const pss = generateKeyPairSync('rsa-pss', {
      modulusLength: 2048,
      hashAlgorithm: 'sha256',
      mgf1HashAlgorithm: 'sha256',
      saltLength: 32,
    } as any) as unknown as {
      privateKey: KeyObject;
      publicKey: KeyObject;
    };
    const strategy = new JwtStrategy({ algorithm: 'PS256', secret: pss.privateKey });
    expect(strategy.kid).to.equal(undefined);
    expect(await strategy.read(await strategy.write({ userId: 'u', scopes: [], lifetimeSeconds: 60 }))).to.deep.include({ userId: 'u' });
    expect(() => strategy.publicJwks()).to.throw(AuthConfigurationError, /cannot be published as a JWK .* use a plain RSA key/);
    expect(
      () => new JwtStrategy({ algorithm: 'RS256', secret: pairFor('RS256').privateKey, previousKeys: [{ algorithm: 'PS256', publicKey: pss.publicKey }] }),
    ).to.throw(AuthConfigurationError, /needs a `kid`/);
  });
});

describe('JwtStrategy: rotation by kid, with retired keys', () => {
  const LIFETIME = 600;
  const LEEWAY = 30;

  it('rotates without kids given: the old key, moved to previousKeys, keeps its thumbprint kid, so its tokens still verify', async () => {
    const a = pairFor('RS256');
    const b = pairFor('ES256');
    const before = new JwtStrategy({ algorithm: 'RS256', secret: a.privateKey, lifetimeSeconds: LIFETIME });
    const oldToken = await before.write({ userId: 'u', scopes: [], lifetimeSeconds: 60 });
    const after = new JwtStrategy({
      algorithm: 'ES256',
      secret: b.privateKey,
      lifetimeSeconds: LIFETIME,
      previousKeys: [{ algorithm: 'RS256', publicKey: a.publicKey, retiredAt: new Date() }],
    });
    const newToken = await after.write({ userId: 'u', scopes: [], lifetimeSeconds: 60 });
    expect(headerOf(newToken).kid).to.equal(after.kid).and.not.equal(before.kid);
    expect(await after.read(oldToken)).to.deep.include({ userId: 'u' });
    expect(await after.read(newToken)).to.deep.include({ userId: 'u' });
    expect(after.publicJwks().map((k) => [k.kid, k.alg])).to.deep.equal([
      [after.kid, 'ES256'],
      [before.kid, 'RS256'],
    ]);
  });

  it('a retired key verifies and is published until retiredAt + lifetime + leeway, then neither', async () => {
    const a = pairFor('RS256');
    const b = pairFor('RS256');
    const oldToken = await new JwtStrategy({ algorithm: 'RS256', secret: a.privateKey, lifetimeSeconds: LIFETIME }).write({
      userId: 'u',
      scopes: [],
      lifetimeSeconds: 60,
    });
    const retiredFor = (seconds: number) =>
      new JwtStrategy({
        algorithm: 'RS256',
        secret: b.privateKey,
        lifetimeSeconds: LIFETIME,
        issuedAtLeewaySeconds: LEEWAY,
        verifiedTokenCacheSize: 0,
        previousKeys: [{ algorithm: 'RS256', publicKey: a.publicKey, retiredAt: new Date(Date.now() - seconds * 1000) }],
      });
    // Retired just now, and at the end of its window: still published, its token still verifies.
    for (const seconds of [0, LIFETIME + LEEWAY - 5]) {
      const strategy = retiredFor(seconds);
      expect(strategy.publicJwks(), `retired ${seconds} s ago`).to.have.length(2);
    }
    expect(await retiredFor(0).read(oldToken)).to.deep.include({ userId: 'u' });
    // Past its window: unpublished, and its kid is refused like an unknown one.
    const past = retiredFor(LIFETIME + LEEWAY + 1);
    expect(past.publicJwks().map((k) => k.kid)).to.deep.equal([past.kid]);
    expect(await past.read(oldToken)).to.deep.equal({ rejected: 'bad_signature' });
  });

  it('refuses a token a retired key signed after its retirement (the key leaked), and one without iat', async () => {
    const a = pairFor('ES256');
    const b = pairFor('ES256');
    const retired = new Date(Date.now() - 120_000);
    const strategy = new JwtStrategy({
      algorithm: 'ES256',
      secret: b.privateKey,
      lifetimeSeconds: LIFETIME,
      previousKeys: [{ kid: 'old', algorithm: 'ES256', publicKey: a.publicKey, retiredAt: retired }],
    });
    const header = { alg: 'ES256', typ: 'at+jwt', kid: 'old' };
    const signedBefore = forged(header, a.privateKey, 'sha256', { ...payload(), iat: retired.getTime() / 1000 - 10 });
    expect(await strategy.read(signedBefore)).to.deep.include({ userId: 'u' });
    const signedAfter = forged(header, a.privateKey, 'sha256', payload());
    expect(await strategy.read(signedAfter)).to.deep.equal({ rejected: 'invalid_claims' });
    const { iat: _iat, ...noIat } = payload();
    expect(await strategy.read(forged(header, a.privateKey, 'sha256', noIat))).to.deep.equal({ rejected: 'invalid_claims' });
  });

  it('announces the next key before it signs: a previous key without retiredAt verifies and is published', async () => {
    const current = pairFor('RS256');
    const next = pairFor('ES256');
    const announcing = new JwtStrategy({ algorithm: 'RS256', secret: current.privateKey, previousKeys: [{ algorithm: 'ES256', publicKey: next.publicKey }] });
    const nextKid = announcing.publicJwks()[1].kid;
    // An instance already switched to the next key: the announcing one accepts its tokens.
    const switched = new JwtStrategy({ algorithm: 'ES256', secret: next.privateKey });
    expect(switched.kid).to.equal(nextKid);
    expect(await announcing.read(await switched.write({ userId: 'u', scopes: [], lifetimeSeconds: 60 }))).to.deep.include({ userId: 'u' });
  });

  it('refuses configuration mistakes: an invalid retiredAt, a previous HS key without kid, one key twice', () => {
    const rs = pairFor('RS256');
    const base = { algorithm: 'ES256' as const, secret: pairFor('ES256').privateKey };
    expect(() => new JwtStrategy({ ...base, previousKeys: [{ algorithm: 'RS256', publicKey: rs.publicKey, retiredAt: new Date('nope') }] })).to.throw(
      /retiredAt/,
    );
    expect(() => new JwtStrategy({ ...base, previousKeys: [{ algorithm: 'RS256', publicKey: rs.publicKey, retiredAt: '2026-01-01' as any }] })).to.throw(
      /retiredAt/,
    );
    expect(() => new JwtStrategy({ ...base, previousKeys: [{ algorithm: 'HS256', secret: SECRET }] })).to.throw(AuthConfigurationError, /needs a `kid`/);
    expect(
      () =>
        new JwtStrategy({
          ...base,
          previousKeys: [
            { algorithm: 'RS256', publicKey: rs.publicKey },
            { algorithm: 'RS256', secret: rs.privateKey },
          ],
        }),
    ).to.throw(/two keys have kid/);
  });
});

describe('JwtStrategy with published keys: attacks', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const retiredKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const strategy = new JwtStrategy({
    algorithm: 'RS256',
    secret: rsa.privateKey,
    verifiedTokenCacheSize: 0,
    previousKeys: [{ kid: 'retired', algorithm: 'RS256', publicKey: retiredKey.publicKey, retiredAt: new Date(Date.now() - 86_400_000) }],
  });
  const kid = strategy.kid!;
  const jwk = strategy.publicJwks()[0];

  it('control: a token signed by hand with the real key verifies (so each refusal below is the attack, not the forging)', async () => {
    expect(await strategy.read(forged({ alg: 'RS256', typ: 'at+jwt', kid }, rsa.privateKey))).to.deep.include({ userId: 'u' });
  });

  it('algorithm confusion: HS256 "signed" with the published public key (PEM, DER, JWK JSON, n) is refused', async () => {
    const secrets = [
      rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      rsa.publicKey.export({ type: 'spki', format: 'der' }).toString('latin1'),
      JSON.stringify(jwk),
      jwk.n!,
    ];
    for (const secret of secrets) {
      for (const header of [
        { alg: 'HS256', typ: 'at+jwt', kid },
        { alg: 'HS256', typ: 'at+jwt' },
      ]) {
        expect(await strategy.read(forged(header, secret)), JSON.stringify(header)).to.deep.equal({ rejected: 'bad_signature' });
      }
    }
  });

  it('alg none, with the current kid or none, signed or not, is refused', async () => {
    for (const header of [
      { alg: 'none', typ: 'at+jwt', kid },
      { alg: 'none', typ: 'at+jwt' },
      { alg: 'None', typ: 'at+jwt', kid },
    ]) {
      expect(await strategy.read(forged(header, null)), JSON.stringify(header)).to.deep.equal({ rejected: 'malformed' });
      const withSignature = `${forged(header, null)}${randomBytes(32).toString('base64url')}`;
      expect(await strategy.read(withSignature), JSON.stringify(header)).to.deep.equal({ rejected: 'bad_signature' });
    }
  });

  it('an unknown kid, a kid of another type, and the current kid on a token signed by another key are refused', async () => {
    const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(await strategy.read(forged({ alg: 'RS256', typ: 'at+jwt', kid: 'unknown' }, attacker.privateKey))).to.deep.equal({ rejected: 'bad_signature' });
    expect(await strategy.read(forged({ alg: 'RS256', typ: 'at+jwt', kid: 7 }, rsa.privateKey))).to.deep.equal({ rejected: 'bad_signature' });
    expect(await strategy.read(forged({ alg: 'RS256', typ: 'at+jwt', kid }, attacker.privateKey))).to.deep.equal({ rejected: 'bad_signature' });
    // The kid is a look-up among configured keys only: a key the token carries is never used.
    const offered = { alg: 'RS256', typ: 'at+jwt', kid, jwk: attacker.publicKey.export({ format: 'jwk' }) };
    expect(await strategy.read(forged(offered, attacker.privateKey))).to.deep.equal({ rejected: 'bad_signature' });
  });

  it('the kid of a retired key after its overlap is refused, even with a valid signature, and the key is not published', async () => {
    const header = { alg: 'RS256', typ: 'at+jwt', kid: 'retired' };
    const claims = { ...payload(), iat: (Date.now() - 86_400_000 - 1000) / 1000 };
    expect(await strategy.read(forged(header, retiredKey.privateKey, 'sha256', claims))).to.deep.equal({ rejected: 'bad_signature' });
    expect(strategy.publicJwks().map((k) => k.kid)).to.deep.equal([kid]);
  });

  it('the algorithm stays pinned per key: an RS384/PS256 token under the RS256 key is refused', async () => {
    expect(await strategy.read(forged({ alg: 'RS384', typ: 'at+jwt', kid }, rsa.privateKey, 'sha384'))).to.deep.equal({ rejected: 'bad_signature' });
    const pss = (() => {
      const header = { alg: 'PS256', typ: 'at+jwt', kid };
      const input = `${b64(header)}.${b64(payload())}`;
      const signature = sign('sha256', Buffer.from(input), { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
      return `${input}.${signature.toString('base64url')}`;
    })();
    expect(await strategy.read(pss)).to.deep.equal({ rejected: 'bad_signature' });
  });
});
