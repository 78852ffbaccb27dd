/**
 * Cookie name prefixes (RFC 6265bis §4.1.3): every `__Host-` cookie the library sets is Secure,
 * `Path=/` and has no Domain; the refresh cookie, which lives on the refresh route, takes
 * `__Secure-` instead. Anything a browser would drop is refused at configuration time.
 */
import { expect } from 'chai';
import request from 'supertest';
import { AuthConfigurationError, AuthenticationBackend, CookieTransport, DatabaseStrategy, OAuthController, type OAuthProvider } from '../../src';
import { buildApp, createUser, PASSWORD, type TestApp } from '../support/app';

function setCookies(res: request.Response): string[] {
  return (res.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
}

function line(res: request.Response, name: string): string {
  const found = setCookies(res).find((c) => c.startsWith(`${name}=`));
  expect(found, `Set-Cookie ${name}`).to.be.a('string');
  return found!;
}

/** What RFC 6265bis asks of a `__Host-` cookie's Set-Cookie line. */
function expectHostCookie(setCookie: string): void {
  expect(setCookie).to.match(/; Secure/);
  expect(setCookie).to.match(/; Path=\/(;|$)/);
  expect(setCookie).not.to.match(/; Domain=/i);
}

const provider: OAuthProvider = {
  name: 'none',
  authorizationUrl: async () => 'https://provider.example/authorize',
  fetchProfile: async () => {
    throw new Error('not used');
  },
};

describe('cookie name prefixes (__Host-, __Secure-)', () => {
  describe('a __Host- cookie backend with refresh tokens and double-submit CSRF tokens', () => {
    let t: TestApp;
    const SECRET = 'csrf-double-submit-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

    before(async () => {
      t = await buildApp({
        backends: [
          new AuthenticationBackend({
            name: 'host',
            transport: new CookieTransport({ cookieName: '__Host-rc', csrfToken: { secret: SECRET } }),
            strategy: new DatabaseStrategy({ lifetimeSeconds: 3600 }),
            refresh: { lifetimeSeconds: 24 * 3600 },
          }),
        ],
      });
      await createUser(t.auth, { email: 'host@example.com' });
    });
    after(() => t.close());

    it('login sets __Host-rc and __Host-rc_csrf on Path=/, and the refresh cookie as __Secure-rc_refresh on the refresh path', async () => {
      const res = await request(t.app).post('/auth/host/login').type('form').send({ username: 'host@example.com', password: PASSWORD });
      expect(res.status).to.equal(204);
      expectHostCookie(line(res, '__Host-rc'));
      expectHostCookie(line(res, '__Host-rc_csrf'));
      const refresh = line(res, '__Secure-rc_refresh');
      expect(refresh).to.match(/; Path=\/auth\/host\/refresh(;|$)/);
      expect(refresh).to.match(/; Secure/);
      expect(setCookies(res).some((c) => c.startsWith('__Host-rc_refresh='))).to.equal(false);
    });

    it('POST /refresh reads the refresh cookie back under its __Secure- name (204, a new one set), and logout clears it', async () => {
      const login = await request(t.app).post('/auth/host/login').type('form').send({ username: 'host@example.com', password: PASSWORD });
      const refreshCookie = line(login, '__Secure-rc_refresh').split(';')[0];
      const res = await request(t.app).post('/auth/host/refresh').set('Cookie', refreshCookie).send();
      expect(res.status, JSON.stringify(res.body)).to.equal(204);
      const rotated = line(res, '__Secure-rc_refresh');
      expect(rotated.split(';')[0]).not.to.equal(refreshCookie);
      expectHostCookie(line(res, '__Host-rc'));

      const session = line(res, '__Host-rc').split(';')[0];
      const logout = await request(t.app).post('/auth/host/logout').set('Cookie', session).send();
      expect(logout.status).to.equal(204);
      expect(line(logout, '__Secure-rc_refresh')).to.match(/Max-Age=0; Path=\/auth\/host\/refresh/);
      expectHostCookie(line(logout, '__Host-rc'));
    });
  });

  describe('refused at configuration time (a browser would drop the cookie)', () => {
    const refusedTransports: [string, ConstructorParameters<typeof CookieTransport>[0], RegExp][] = [
      ['__Host- with a Path', { cookieName: '__Host-rc', cookiePath: '/app' }, /__Host-rc.*Path=\/.*its Path is \/app.*__Secure-/],
      ['__Host- with a Domain', { cookieName: '__Host-rc', cookieDomain: 'example.com' }, /it has a Domain/],
      ['__Host- not Secure', { cookieName: '__Host-rc', cookieSecure: false }, /it is not Secure/],
      ['__host- (browsers match prefixes case-insensitively) with a Path', { cookieName: '__host-rc', cookiePath: '/app' }, /__host-rc/],
      ['__Secure- not Secure', { cookieName: '__Secure-rc', cookieSecure: false }, /__Secure-rc.*must be Secure/],
    ];
    for (const [name, options, message] of refusedTransports) {
      it(`CookieTransport: ${name}`, () => {
        expect(() => new CookieTransport(options)).to.throw(AuthConfigurationError, message);
      });
    }

    it('CookieTransport: __Host- on Path=/ and __Secure- with a Path and a Domain are accepted; the refresh cookie of a plain name keeps it', () => {
      expect(new CookieTransport({ cookieName: '__Host-rc' }).refreshCookieName).to.equal('__Secure-rc_refresh');
      expect(new CookieTransport({ cookieName: '__Secure-rc', cookiePath: '/app', cookieDomain: 'example.com' }).refreshCookieName).to.equal(
        '__Secure-rc_refresh',
      );
      expect(new CookieTransport({ cookieName: 'rc' }).refreshCookieName).to.equal('rc_refresh');
    });

    it('OAuthController: a __Host- stateCookieName on the controller path → refused, naming the __Secure- fix', () => {
      expect(
        () => new OAuthController(provider, 'cookie', { redirectUri: 'https://app.example/auth/google/callback', stateCookieName: '__Host-state' }),
      ).to.throw(AuthConfigurationError, /OAuthController stateCookieName.*"__Host-state".*its Path is \/auth\/google.*__Secure-/);
    });

    it('OAuthController: a __Secure- stateCookieName without stateCookieSecure → refused; __Secure- (any path) and __Host- on Path=/ are accepted', () => {
      expect(
        () =>
          new OAuthController(provider, 'cookie', {
            redirectUri: 'http://localhost/auth/g/callback',
            stateCookieName: '__Secure-state',
            stateCookieSecure: false,
          }),
      ).to.throw(AuthConfigurationError, /__Secure-state.*must be Secure/);
      expect(
        () => new OAuthController(provider, 'cookie', { redirectUri: 'https://app.example/auth/g/callback', stateCookieName: '__Secure-state' }),
      ).not.to.throw();
      expect(() => new OAuthController(provider, 'cookie', { redirectUri: 'https://app.example/callback', stateCookieName: '__Host-state' })).not.to.throw();
    });
  });
});
