/**
 * `GET /.well-known/jwks.json` (`auth.jwksController()`) on Express 4, Express 5 and Koa, tested
 * the way another service uses it: a second process verifies the app's tokens with jose's
 * `createRemoteJWKSet` + `jwtVerify` against the route over HTTP on 127.0.0.1, before, during and
 * after a key rotation, and refuses forged tokens.
 */
import { expect } from 'chai';
import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'crypto';
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import {
  AuthConfigurationError,
  AuthenticationBackend,
  BearerTransport,
  DEFAULT_JWT_AUDIENCE,
  JwtStrategy,
  type JwtStrategyOptions,
  type PublicJwk,
} from '../../src';
import { buildApp, createUser, makeDataSource, type TestApp, type User } from '../support/app';
import { bearerToken } from '../support/http';
import { RemoteVerifier } from '../support/remote-verifier';

const JWKS_PATH = '/.well-known/jwks.json';
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];
const LIFETIME = 3600;
const LEEWAY = 30;
const EMAIL = 'jwks@example.com';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const kidOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as { kid?: string }).kid;

function jwtBackends(options: JwtStrategyOptions): AuthenticationBackend[] {
  return [
    new AuthenticationBackend({
      name: 'jwt',
      transport: new BearerTransport({ tokenUrl: '/auth/jwt/login' }),
      strategy: new JwtStrategy({ lifetimeSeconds: LIFETIME, issuedAtLeewaySeconds: LEEWAY, ...options }),
    }),
  ];
}

/** A token an attacker signs by hand: any header, any key (an HMAC secret as a string, none as null). */
function forged(header: object, key: KeyObject | string | null, sub: string): string {
  const now = Date.now() / 1000;
  const input = `${b64(header)}.${b64({ sub, aud: DEFAULT_JWT_AUDIENCE, iat: now, exp: Math.floor(now) + 600, scope: '', jti: 'forged' })}`;
  if (key === null) return `${input}.`;
  if (typeof key === 'string') return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
  const dsa = key.asymmetricKeyType === 'ec' ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
  return `${input}.${sign('sha256', Buffer.from(input), dsa).toString('base64url')}`;
}

describe('GET /.well-known/jwks.json: the app publishes its public keys', () => {
  let t: TestApp | undefined;
  afterEach(() => t?.close());

  it('answers the JWK Set of auth.jwks() as JSON, cacheable, with kid / alg / use and no private member', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const next = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    t = await buildApp({
      backends: jwtBackends({ algorithm: 'RS256', secret: rsa.privateKey, previousKeys: [{ algorithm: 'ES256', secret: next.privateKey }] }),
      extraControllers: (auth) => [auth.jwksController()],
    });
    const res = await request(t.app).get(JWKS_PATH);
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^application\/json/);
    expect(res.headers['cache-control']).to.equal('public, max-age=300');
    const body = JSON.parse(res.text) as { keys: PublicJwk[] };
    expect(body).to.deep.equal(JSON.parse(JSON.stringify(t.auth.jwks())));
    expect(body.keys.map((k) => [k.kty, k.alg, k.use])).to.deep.equal([
      ['RSA', 'RS256', 'sig'],
      ['EC', 'ES256', 'sig'],
    ]);
    expect(body.keys[0].kid).to.equal((t.auth.getBackend('jwt').strategy as JwtStrategy).kid);
    for (const member of PRIVATE_MEMBERS) {
      expect(res.text).not.to.include(`"${member}":`);
      for (const jwk of body.keys) expect(jwk).not.to.have.property(member);
    }
    // A client asking for the RFC 7517 media type gets the set too.
    expect((await request(t.app).get(JWKS_PATH).set('Accept', 'application/jwk-set+json')).status).to.equal(200);
  });

  it('takes another path and max-age; the default max-age stays below the shortest token lifetime', async () => {
    const key = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
    t = await buildApp({
      backends: jwtBackends({ algorithm: 'ES384', secret: key }),
      extraControllers: (auth) => [auth.jwksController({ path: 'keys/jwks.json', maxAgeSeconds: 60 })],
    });
    const res = await request(t.app).get('/keys/jwks.json');
    expect(res.status).to.equal(200);
    expect(res.headers['cache-control']).to.equal('public, max-age=60');
    expect((await request(t.app).get(JWKS_PATH)).status).to.equal(404);
    await t.close();

    t = await buildApp({
      backends: jwtBackends({ algorithm: 'ES384', secret: key, lifetimeSeconds: 120 }),
      extraControllers: (auth) => [auth.jwksController()],
    });
    expect((await request(t.app).get(JWKS_PATH)).headers['cache-control']).to.equal('public, max-age=60');
    for (const maxAgeSeconds of [120, 500, -1, 1.5, Number.NaN]) {
      expect(() => t!.auth.jwksController({ maxAgeSeconds }), String(maxAgeSeconds)).to.throw(
        AuthConfigurationError,
        /below the shortest token lifetime \(120 s\)/,
      );
    }
  });

  it('an app whose JWTs are HS-signed has no JWKS: auth.jwks() and auth.jwksController() throw AuthConfigurationError', async () => {
    t = await buildApp();
    expect(() => t!.auth.jwks()).to.throw(AuthConfigurationError, /HS secrets never are/);
    expect(() => t!.auth.jwksController()).to.throw(AuthConfigurationError, /no public key to publish/);
  });

  it('is declared in the OpenAPI document (public, no security), which still validates', async () => {
    let jwks: Function | undefined;
    t = await buildApp({
      backends: jwtBackends({ algorithm: 'RS256', secret: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey }),
      extraControllers: (auth) => [(jwks = auth.jwksController())],
    });
    const document = t.auth.openApi({ controllers: [jwks!], onWarning: () => undefined });
    const operation = document.paths[JWKS_PATH].get;
    expect(Object.keys(document.paths)).to.deep.equal([JWKS_PATH]);
    expect(operation.summary).to.match(/JWK Set/);
    expect(operation.tags).to.deep.equal(['JWKS']);
    expect(operation.security).to.equal(undefined);
    expect(operation.responses['200'].content['application/json'].schema.properties.keys.items.required).to.deep.equal(['kty', 'kid', 'alg', 'use']);
    expect(operation.responses['200'].headers['Cache-Control'].description).to.include('public, max-age=300');
    const { Validator } = require('@seriousme/openapi-schema-validator');
    const result = await new Validator().validate(document);
    expect(result.valid, JSON.stringify(result.errors, null, 2)).to.equal(true);
  });
});

describe('another service verifies the tokens through the JWKS route (jose, in a second process), across a key rotation', () => {
  const a = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const b = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const attackerEc = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const attackerRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

  let dataSource: DataSource;
  let server: Server;
  let verifier: RemoteVerifier;
  let t: TestApp | undefined;
  let user: User;
  let fetches = 0;
  let tokenA: string;
  let tokenB: string;
  let kidA: string;
  let kidB: string;

  /** The app restarted with another key configuration, behind the same address. */
  async function deploy(options: JwtStrategyOptions): Promise<TestApp> {
    await t?.close();
    t = await buildApp({ dataSource, keepDataSource: true, backends: jwtBackends(options), extraControllers: (auth) => [auth.jwksController()] });
    return t;
  }
  const items = (token: string) => request(t!.app).get('/items').set('Authorization', `Bearer ${token}`);

  before(async () => {
    dataSource = makeDataSource();
    await deploy({ algorithm: 'RS256', secret: a.privateKey });
    user = await createUser(t!.auth, { email: EMAIL });
    server = createServer((req, res) => {
      if (req.url === JWKS_PATH) fetches++;
      t!.app(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    verifier = await RemoteVerifier.start(`http://127.0.0.1:${(server.address() as AddressInfo).port}${JWKS_PATH}`, DEFAULT_JWT_AUDIENCE);
  });
  after(async () => {
    await verifier?.stop();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await t?.close();
    if (dataSource?.isInitialized) await dataSource.destroy();
  });

  it('1. one key: a logged-in token verifies in the other process (one fetch, then its cache)', async () => {
    expect(verifier.pid).to.be.a('number').and.not.equal(process.pid);
    tokenA = await bearerToken(t!.app, 'jwt', EMAIL);
    kidA = kidOf(tokenA)!;
    expect(kidA).to.equal((t!.auth.getBackend('jwt').strategy as JwtStrategy).kid);
    expect(await verifier.verify(tokenA)).to.deep.equal({ ok: true, kid: kidA, sub: user.id });
    expect(fetches).to.equal(1);
    expect(await verifier.verify(tokenA)).to.deep.include({ ok: true });
    expect(fetches).to.equal(1);
  });

  it('2. the next key announced (published, not yet signing): old tokens still verify', async () => {
    await deploy({ algorithm: 'RS256', secret: a.privateKey, previousKeys: [{ algorithm: 'ES256', publicKey: b.publicKey }] });
    expect(t!.auth.jwks().keys.map((k) => k.alg)).to.deep.equal(['RS256', 'ES256']);
    await verifier.reload();
    expect(await verifier.verify(tokenA)).to.deep.include({ ok: true, kid: kidA });
    expect(kidOf(await bearerToken(t!.app, 'jwt', EMAIL))).to.equal(kidA);
  });

  it('3. rotated: new tokens carry the new kid; tokens of the retired key verify while it is published, here and there', async () => {
    await deploy({ algorithm: 'ES256', secret: b.privateKey, previousKeys: [{ algorithm: 'RS256', publicKey: a.publicKey, retiredAt: new Date() }] });
    tokenB = await bearerToken(t!.app, 'jwt', EMAIL);
    kidB = kidOf(tokenB)!;
    expect(kidB).not.to.equal(kidA);
    const before = fetches;
    // The verifier knows the new kid already (announced in step 2): no fetch needed.
    expect(await verifier.verify(tokenB)).to.deep.equal({ ok: true, kid: kidB, sub: user.id });
    expect(fetches).to.equal(before);
    await verifier.reload();
    expect(await verifier.verify(tokenA)).to.deep.equal({ ok: true, kid: kidA, sub: user.id });
    expect((await items(tokenA)).status).to.equal(200);
    expect((await items(tokenB)).status).to.equal(200);
  });

  it('4. after the overlap the retired key is unpublished: its tokens are refused there (once the set is refetched) and here', async () => {
    const longAgo = new Date(Date.now() - (LIFETIME + LEEWAY + 1) * 1000);
    await deploy({ algorithm: 'ES256', secret: b.privateKey, previousKeys: [{ algorithm: 'RS256', publicKey: a.publicKey, retiredAt: longAgo }] });
    expect(t!.auth.jwks().keys.map((k) => k.kid)).to.deep.equal([kidB]);
    await verifier.reload();
    expect(await verifier.verify(tokenA)).to.deep.equal({ ok: false, code: 'ERR_JWKS_NO_MATCHING_KEY' });
    expect((await items(tokenA)).status).to.equal(401);
    expect(await verifier.verify(tokenB)).to.deep.include({ ok: true, kid: kidB });
    expect((await items(tokenB)).status).to.equal(200);
  });

  it('refuses, there and here: a forged kid, an unknown kid, alg none, and HS256 keyed with a published public key', async () => {
    const rsaPem = a.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    // The app as in step 3, so the RSA key is published and its kid known.
    await deploy({ algorithm: 'ES256', secret: b.privateKey, previousKeys: [{ algorithm: 'RS256', publicKey: a.publicKey, retiredAt: new Date() }] });
    await verifier.reload();
    const published = JSON.stringify(t!.auth.jwks().keys.find((k) => k.kid === kidA));
    const cases: Array<[string, string, string]> = [
      [
        'the current kid, signed by another key',
        forged({ alg: 'ES256', typ: 'at+jwt', kid: kidB }, attackerEc.privateKey, user.id),
        'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
      ],
      [
        'the retired kid, signed by another key',
        forged({ alg: 'RS256', typ: 'at+jwt', kid: kidA }, attackerRsa.privateKey, user.id),
        'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
      ],
      ['an unknown kid', forged({ alg: 'ES256', typ: 'at+jwt', kid: 'not-a-key' }, attackerEc.privateKey, user.id), 'ERR_JWKS_NO_MATCHING_KEY'],
      ['alg none', forged({ alg: 'none', typ: 'at+jwt', kid: kidB }, null, user.id), 'ERR_JOSE_NOT_SUPPORTED'],
      ['HS256 keyed with the RSA PEM', forged({ alg: 'HS256', typ: 'at+jwt', kid: kidA }, rsaPem, user.id), 'ERR_JOSE_NOT_SUPPORTED'],
      ['HS256 keyed with the published JWK', forged({ alg: 'HS256', typ: 'at+jwt', kid: kidA }, published, user.id), 'ERR_JOSE_NOT_SUPPORTED'],
    ];
    for (const [name, token, code] of cases) {
      const verdict = await verifier.verify(token);
      expect(verdict.ok, name).to.equal(false);
      expect((verdict as { code: string }).code, name).to.equal(code);
      expect((await items(token)).status, name).to.equal(401);
    }
    // (jose refuses none and HS* outright against a JWK Set: no key of the set is ever tried as an HMAC secret.)
    // Control: the real keys still pass, so each refusal above is the forgery's.
    expect(await verifier.verify(tokenB)).to.deep.include({ ok: true });
  });
});
