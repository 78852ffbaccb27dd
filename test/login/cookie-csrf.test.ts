import { expect } from 'chai';
import request from 'supertest';
import { AccessToken, CookieTransport } from '../../src';
import { buildApp, createUser, PASSWORD, type TestApp } from '../support/app';
import { cookieFrom } from '../support/http';

describe('Cookie transport + database strategy', () => {
  let t: TestApp;
  let cookie: string;

  before(async () => {
    t = await buildApp();
    await createUser(t.auth, { email: 'cookie@example.com' });
  });
  after(() => t.close());

  it('logs in with 204 and a Set-Cookie carrying the default attributes', async () => {
    const res = await request(t.app).post('/auth/cookie/login').type('form').send({ username: 'cookie@example.com', password: PASSWORD });
    expect(res.status).to.equal(204);
    expect(res.text).to.equal('');
    expect(res.headers['cache-control']).to.equal('no-store');
    const line = (res.headers['set-cookie'] as unknown as string[])[0];
    expect(line).to.match(/^rcauth=[A-Za-z0-9_-]{43}; /);
    for (const attribute of ['Max-Age=3600', 'Path=/', 'HttpOnly', 'Secure', 'SameSite=Lax']) expect(line).to.contain(attribute);
    cookie = cookieFrom(res)!;
  });

  it('authenticates safe requests with the cookie, whatever their origin', async () => {
    const res = await request(t.app).get('/items').set('Cookie', cookie).set('Origin', 'https://evil.example');
    expect(res.status).to.equal(200);
    expect(res.body.owner).to.equal('cookie@example.com');
  });

  it('answers a forged cookie with 401 (and the Bearer challenge, as bearer backends are configured)', async () => {
    const res = await request(t.app).get('/items').set('Cookie', 'rcauth=forged-value');
    expect(res.status).to.equal(401);
    expect(res.headers['www-authenticate']).to.equal('Bearer');
  });

  describe('CSRF rule on unsafe requests authenticated by the cookie', () => {
    let csrfCookie: string;
    before(async () => {
      const res = await request(t.app).post('/auth/cookie/login').type('form').send({ username: 'cookie@example.com', password: PASSWORD });
      csrfCookie = cookieFrom(res)!;
    });
    const post = (headers: Record<string, string>) => {
      const req = request(t.app).post('/items').set('Host', 'app.test').set('Cookie', csrfCookie);
      for (const [k, v] of Object.entries(headers)) req.set(k, v);
      return req;
    };
    const allowed: [string, Record<string, string>][] = [
      ['no Origin, Referer or Sec-Fetch-Site (non-browser client)', {}],
      ['same Origin', { Origin: 'http://app.test' }],
      ['same-origin Referer without Origin', { Referer: 'http://app.test/page?x=1' }],
      ['Sec-Fetch-Site same-origin + same Origin', { 'Sec-Fetch-Site': 'same-origin', Origin: 'http://app.test' }],
      ['Sec-Fetch-Site none (typed URL / bookmark)', { 'Sec-Fetch-Site': 'none' }],
    ];
    const refused: [string, Record<string, string>][] = [
      ['foreign Origin', { Origin: 'https://evil.example' }],
      ['Origin with the right host but another scheme', { Origin: 'https://app.test' }],
      ['Origin with another port', { Origin: 'http://app.test:8080' }],
      ['Origin: null', { Origin: 'null' }],
      ['foreign Referer without Origin', { Referer: 'https://evil.example/attack' }],
      ['unparsable Referer', { Referer: 'not a url' }],
      ['Sec-Fetch-Site cross-site (even with a same Origin)', { 'Sec-Fetch-Site': 'cross-site', Origin: 'http://app.test' }],
      ['Sec-Fetch-Site cross-site alone', { 'Sec-Fetch-Site': 'cross-site' }],
      ['foreign Origin with a same-origin Referer', { Origin: 'https://evil.example', Referer: 'http://app.test/' }],
    ];
    for (const [name, headers] of allowed) {
      it(`allows: ${name}`, async () => {
        const res = await post(headers);
        expect(res.status, JSON.stringify(res.body)).to.equal(201);
      });
    }
    for (const [name, headers] of refused) {
      it(`refuses with 403 CSRF_FAILED: ${name}`, async () => {
        const res = await post(headers);
        expect(res.status).to.equal(403);
        expect(res.body.code).to.equal('CSRF_FAILED');
      });
    }

    it('does not apply to a bearer-authenticated request from a foreign origin', async () => {
      const login = await request(t.app).post('/auth/jwt/login').type('form').send({ username: 'cookie@example.com', password: PASSWORD });
      const res = await request(t.app).post('/items').set('Authorization', `Bearer ${login.body.access_token}`).set('Origin', 'https://evil.example');
      expect(res.status).to.equal(201);
    });

    it('refuses login CSRF: a foreign page cannot log the browser in through the cookie backend', async () => {
      const res = await request(t.app)
        .post('/auth/cookie/login')
        .set('Origin', 'https://evil.example')
        .type('form')
        .send({ username: 'cookie@example.com', password: PASSWORD });
      expect(res.status).to.equal(403);
      expect(res.body.code).to.equal('CSRF_FAILED');
      expect(res.headers['set-cookie']).to.equal(undefined);
    });

    it('says which origin was refused and how to trust it, in words for a login', async () => {
      const res = await request(t.app)
        .post('/auth/cookie/login')
        .set('Origin', 'http://localhost:5173')
        .type('form')
        .send({ username: 'cookie@example.com', password: PASSWORD });
      expect(res.status).to.equal(403);
      expect(res.body.message).to.match(/^Cookie login from http:\/\/localhost:5173 refused: it is not this app's origin/);
      expect(res.body.message).to.include("CookieTransport({ trustedOrigins: ['http://localhost:5173'] })");
      const sandboxed = await request(t.app)
        .post('/auth/cookie/login')
        .set('Origin', 'null')
        .type('form')
        .send({ username: 'cookie@example.com', password: PASSWORD });
      expect(sandboxed.body.message).to.equal(
        'Cookie login from an unknown origin refused: its origin is null or unreadable. If that front end is yours, add it to CookieTransport({ trustedOrigins }).',
      );
    });
  });

  it('stores only the SHA-256 digest of the token, never the token', async () => {
    const token = decodeURIComponent(cookie.split('=')[1]);
    const rows = await t.dataSource.getRepository(AccessToken).find();
    const dump = JSON.stringify(rows) + JSON.stringify(await t.dataSource.query('SELECT * FROM access_token'));
    expect(rows.length).to.be.greaterThan(0);
    expect(dump).not.to.contain(token);
    const { createHash } = require('crypto');
    expect(rows.map((r) => r.tokenHash)).to.include(createHash('sha256').update(token).digest('hex'));
  });

  it('logs out: 204, the row is deleted, the cookie is cleared and no longer works', async () => {
    const before = await t.dataSource.getRepository(AccessToken).count();
    const res = await request(t.app).post('/auth/cookie/logout').set('Cookie', cookie);
    expect(res.status).to.equal(204);
    const cleared = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('rcauth='))!;
    expect(cleared).to.match(/^rcauth=; /);
    expect(cleared).to.contain('Max-Age=0');
    expect(cleared).to.contain('Path=/');
    expect(await t.dataSource.getRepository(AccessToken).count()).to.equal(before - 1);
    const again = await request(t.app).get('/items').set('Cookie', cookie);
    expect(again.status).to.equal(401);
  });

  it('refuses contradictory cookie prefixes at configuration time', () => {
    expect(() => new CookieTransport({ cookieName: '__Host-auth', cookieDomain: 'example.com' })).to.throw(/__Host-/);
    expect(() => new CookieTransport({ cookieName: '__Host-auth', cookiePath: '/api' })).to.throw(/__Host-/);
    expect(() => new CookieTransport({ cookieName: '__Secure-auth', cookieSecure: false })).to.throw(/__Secure-/);
    expect(() => new CookieTransport({ cookieSameSite: 'none', cookieSecure: false })).to.throw(/SameSite=None/);
    expect(() => new CookieTransport({ trustedOrigins: ['not an origin'] })).to.throw(/not an origin/);
    expect(() => new CookieTransport({ cookieName: '__Host-auth' })).not.to.throw();
  });
});

describe('Cookie transport: trusted origins, trust proxy, cookie-only apps', () => {
  it("honours trusted origins and Express trust proxy for the app's own origin", async () => {
    const t2 = await buildApp({
      backends: [
        new (require('../../src').AuthenticationBackend)({
          name: 'cookie',
          transport: new CookieTransport({ trustedOrigins: ['https://admin.example.com/'] }),
          strategy: new (require('../../src').DatabaseStrategy)(),
        }),
      ],
    });
    try {
      t2.setTrustProxy(true);
      await createUser(t2.auth, { email: 'trusted@example.com' });
      const login = await request(t2.app).post('/auth/cookie/login').type('form').send({ username: 'trusted@example.com', password: PASSWORD });
      const c = cookieFrom(login)!;
      const trusted = await request(t2.app).post('/items').set('Cookie', c).set('Origin', 'https://admin.example.com');
      expect(trusted.status).to.equal(201);
      const proxied = await request(t2.app)
        .post('/items')
        .set('Cookie', c)
        .set('Host', 'internal:3000')
        .set('X-Forwarded-Proto', 'https')
        .set('X-Forwarded-Host', 'public.example.com')
        .set('Origin', 'https://public.example.com');
      expect(proxied.status).to.equal(201);
      const foreign = await request(t2.app).post('/items').set('Cookie', c).set('Origin', 'https://other.example.com');
      expect(foreign.status).to.equal(403);
      // Without a bearer backend, a 401 carries no Bearer challenge.
      const anonymous = await request(t2.app).get('/items');
      expect(anonymous.status).to.equal(401);
      expect(anonymous.headers['www-authenticate']).to.equal(undefined);
    } finally {
      await t2.close();
    }
  });
});

describe('Cookie transport: signed double-submit CSRF tokens', () => {
  let t: TestApp;
  const { AuthenticationBackend, DatabaseStrategy } = require('../../src');
  before(async () => {
    t = await buildApp({
      backends: [
        new AuthenticationBackend({
          name: 'cookie',
          transport: new CookieTransport({ csrfToken: { secret: 'csrf-secret-0123456789-abcdefghijklmnopqrstuvwxyz' } }),
          strategy: new DatabaseStrategy(),
        }),
      ],
    });
    await createUser(t.auth, { email: 'spa@example.com' });
    await createUser(t.auth, { email: 'other-spa@example.com' });
  });
  after(() => t.close());

  const loginAs = async (email: string) => {
    const res = await request(t.app).post('/auth/cookie/login').type('form').send({ username: email, password: PASSWORD });
    expect(res.status).to.equal(204);
    return { cookie: cookieFrom(res)!, csrf: res.headers['x-csrf-token'], csrfCookie: cookieFrom(res, 'rcauth_csrf')! };
  };

  it('answers login with X-CSRF-Token and a readable (not HttpOnly) csrf cookie holding the same value', async () => {
    const session = await loginAs('spa@example.com');
    expect(session.csrf).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(session.csrfCookie).to.equal(`rcauth_csrf=${session.csrf}`);
  });

  it('lets a foreign origin through with the right token, and refuses a wrong, foreign-session or missing one', async () => {
    const mine = await loginAs('spa@example.com');
    const theirs = await loginAs('other-spa@example.com');
    const post = (headers: Record<string, string>) => {
      const req = request(t.app).post('/items').set('Cookie', mine.cookie).set('Origin', 'https://spa.partner.example');
      for (const [k, v] of Object.entries(headers)) req.set(k, v);
      return req;
    };
    expect((await post({ 'X-CSRF-Token': mine.csrf })).status).to.equal(201);
    for (const headers of [
      {} as Record<string, string>,
      { 'X-CSRF-Token': theirs.csrf },
      { 'X-CSRF-Token': `${mine.csrf.slice(0, -1)}${mine.csrf.endsWith('A') ? 'B' : 'A'}` },
      { 'X-CSRF-Token': 'x'.repeat(500) },
    ]) {
      const res = await post(headers);
      expect(res.status, JSON.stringify(headers).slice(0, 60)).to.equal(403);
      expect(res.body.code).to.equal('CSRF_FAILED');
    }
  });

  it('clears the csrf cookie at logout', async () => {
    const session = await loginAs('spa@example.com');
    const res = await request(t.app).post('/auth/cookie/logout').set('Cookie', session.cookie).set('X-CSRF-Token', session.csrf);
    expect(res.status).to.equal(204);
    const cleared = (res.headers['set-cookie'] as unknown as string[]).filter((c) => c.includes('Max-Age=0')).map((c) => c.split('=')[0]);
    expect(cleared.sort()).to.deep.equal(['rcauth', 'rcauth_csrf']);
  });

  it('refuses a short csrf secret at configuration time', () => {
    expect(() => new CookieTransport({ csrfToken: { secret: 'short' } })).to.throw(/is 5 bytes: too weak to sign tokens; use at least 32 random bytes/);
  });
});
