/** The transports in isolation, against a fake exchange (the HTTP suites cover them end to end). */
import { expect } from 'chai';
import { BearerTransport, CookieTransport } from '../../src';
import { FakeExchange } from '../support/fake-exchange';

describe('BearerTransport (isolated)', () => {
  const bearer = new BearerTransport({ tokenUrl: '/auth/jwt/login' });

  it('reads the token of an Authorization: Bearer header, case-insensitively, and nothing else', () => {
    const cases: [Record<string, string>, string | undefined][] = [
      [{ Authorization: 'Bearer abc.def.ghi' }, 'abc.def.ghi'],
      [{ authorization: 'bearer   tok  ' }, 'tok'],
      [{ Authorization: 'Basic dXNlcjpwYXNz' }, undefined],
      [{ Authorization: 'Bearer' }, undefined],
      [{ Authorization: 'Bearer two tokens' }, undefined],
      [{}, undefined],
    ];
    for (const [headers, expected] of cases) expect(bearer.readToken(new FakeExchange(headers)), JSON.stringify(headers)).to.equal(expected);
  });

  it('answers login with the token in the body and no-store, plus expires_in and refresh_token with refresh', () => {
    const exchange = new FakeExchange();
    expect(bearer.loginResponse('T', exchange)).to.deep.equal({ access_token: 'T', token_type: 'bearer' });
    expect(exchange.sent.get('cache-control')).to.equal('no-store');
    const refreshed = bearer.loginResponse('T', new FakeExchange(), {
      refreshToken: 'R',
      accessExpiresInSeconds: 300,
      expiresAt: new Date(Date.now() + 1000),
      cookiePath: '/x',
    });
    expect(refreshed).to.deep.equal({ access_token: 'T', token_type: 'bearer', expires_in: 300, refresh_token: 'R' });
  });
});

describe('CookieTransport (isolated)', () => {
  it('reads its own cookie among others; ignores oversized and malformed Cookie headers', () => {
    const cookie = new CookieTransport();
    expect(cookie.readToken(new FakeExchange({ Cookie: 'a=1; rcauth=tok; b=2' }))).to.equal('tok');
    expect(cookie.readToken(new FakeExchange({ Cookie: 'rcauth=' }))).to.equal(undefined);
    expect(cookie.readToken(new FakeExchange({ Cookie: `rcauth=tok; pad=${'x'.repeat(17000)}` }))).to.equal(undefined);
    expect(cookie.readToken(new FakeExchange({}))).to.equal(undefined);
  });

  it('sets the cookie with the default attributes at login, and clears it at logout', () => {
    const cookie = new CookieTransport({ cookieMaxAge: 600 });
    const login = new FakeExchange();
    expect(cookie.loginResponse('tok', login)).to.equal(null);
    expect(login.setCookies).to.deep.equal(['rcauth=tok; Max-Age=600; Path=/; HttpOnly; Secure; SameSite=Lax']);
    const logout = new FakeExchange();
    cookie.logoutResponse(logout);
    expect(logout.setCookies[0]).to.match(/^rcauth=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax$/);
  });

  it('the CSRF rule: safe methods pass; unsafe ones pass same-origin or without browser headers, and are refused otherwise', () => {
    const cookie = new CookieTransport({ trustedOrigins: ['https://partner.example'] });
    const check = (method: string, headers: Record<string, string>) => {
      try {
        cookie.checkRequest(new FakeExchange(headers, method));
        return 'passed';
      } catch (error) {
        return (error as { code?: string }).code;
      }
    };
    expect(check('GET', { Origin: 'https://evil.example' })).to.equal('passed');
    expect(check('POST', {})).to.equal('passed');
    expect(check('POST', { Origin: 'https://app.example' })).to.equal('passed');
    expect(check('POST', { Origin: 'https://partner.example' })).to.equal('passed');
    expect(check('DELETE', { Origin: 'https://evil.example' })).to.equal('CSRF_FAILED');
    expect(check('POST', { Origin: 'http://app.example' })).to.equal('CSRF_FAILED');
    expect(check('POST', { Referer: 'https://evil.example/page' })).to.equal('CSRF_FAILED');
    expect(check('POST', { 'Sec-Fetch-Site': 'cross-site', Origin: 'https://app.example' })).to.equal('CSRF_FAILED');
  });
});
